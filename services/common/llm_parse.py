"""Pulling structured content out of model replies: JSON objects and fenced code blocks.

Models wrap JSON in ```json fences, put a sentence before it, or both; code comes in ```lang fences, sometimes
several. These helpers find the intended piece without guessing beyond that.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[^\n]*\n(.*?)(?:\n```|```|\Z)", re.DOTALL)

# Aliases models use in fence labels, mapped to the name callers ask for.
_LANG_ALIASES = {
    "py": "python", "python3": "python", "js": "javascript", "node": "javascript", "mjs": "javascript",
    "htm": "html", "xhtml": "html", "sh": "bash", "shell": "bash", "ts": "typescript",
}


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Every ```lang fenced block as (normalised language, body); an unclosed last fence runs to the end."""
    return [(_LANG_ALIASES.get(m.group(1).lower(), m.group(1).lower()), m.group(2)) for m in _FENCE.finditer(text)]


def extract_code_block(text: str, language: str | None = None) -> str | None:
    """The body of the first fenced block in `language` (aliases accepted), else of the first unlabelled one.

    Args:
        text: The model's reply.
        language: Wanted language (e.g. "python", "js"); None takes the first block of any language.

    Returns:
        The block's body without the fences, or None when the reply has no suitable block.
    """
    blocks = fenced_blocks(text)
    if language is None:
        return blocks[0][1] if blocks else None
    wanted = _LANG_ALIASES.get(language.lower(), language.lower())
    for lang, body in blocks:
        if lang == wanted:
            return body
    for lang, body in blocks:
        if not lang:
            return body
    return None


def extract_json(text: str) -> Any:
    """Parses the JSON value a reply carries: bare, inside a ```json fence, or embedded in prose.

    Raises:
        ValueError: naming why no JSON could be read (the message is sent back to the model on repair).
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError("the reply is empty")
    candidates = [stripped]
    candidates += [body for lang, body in fenced_blocks(text) if lang in ("json", "", "json5", "javascript")]
    first_error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
    embedded = _first_embedded_value(text)
    if embedded is not None:
        return embedded
    assert first_error is not None
    raise ValueError(f"no valid JSON found: {first_error.msg} at line {first_error.lineno} column {first_error.colno}")


def _first_embedded_value(text: str) -> Any | None:
    """Decodes the first complete JSON object or array that starts somewhere inside `text`."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        # A lone "[1]" inside prose is rarely the payload; objects and non-empty arrays are.
        if isinstance(value, dict) or (isinstance(value, list) and value):
            return value
    return None
