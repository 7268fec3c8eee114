"""Turning model replies into program files, and programs into prompt text."""

from __future__ import annotations

import json

from services.common.llm_parse import extract_code_block, extract_json
from synthmesh.executor.v1 import executor_pb2 as ex

FENCE = {ex.LANGUAGE_PYTHON: "python", ex.LANGUAGE_JAVASCRIPT: "javascript", ex.LANGUAGE_HTML: "html"}
DEFAULT_NAMES = {ex.LANGUAGE_PYTHON: "main.py", ex.LANGUAGE_JAVASCRIPT: "main.js", ex.LANGUAGE_HTML: "index.html"}


def files_from_reply(text: str, language: ex.Language.ValueType,
                     template: list[ex.File] | None = None) -> list[ex.File]:
    """The program in a reply: a JSON `{"files": [...]}` object, a fenced block, or the bare text.

    With a template (the program being repaired), a single returned file replaces the template's entry file
    and keeps its name.
    """
    try:
        data = extract_json(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("files"), list):
        files = [ex.File(path=str(f.get("filename") or f.get("path")), content=str(f.get("content", "")))
                 for f in data["files"] if isinstance(f, dict) and (f.get("filename") or f.get("path"))]
        if files:
            return files
    lang = FENCE.get(language)
    code = extract_code_block(text, lang) or extract_code_block(text) or text.strip()
    name = template[0].path if template else DEFAULT_NAMES.get(language, "main.py")
    rest = list(template[1:]) if template else []
    return [ex.File(path=name, content=code + ("\n" if not code.endswith("\n") else "")), *rest]


def render_files(files: list[ex.File], language: ex.Language.ValueType) -> str:
    """A program as fenced text for a prompt."""
    fence = FENCE.get(language, "")
    if len(files) == 1:
        return f"```{fence}\n{files[0].content.rstrip()}\n```"
    return json.dumps({"files": [{"filename": f.path, "content": f.content} for f in files]}, indent=1)
