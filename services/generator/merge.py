"""Merging an answer's files into the single self-contained index.html Dojo renders in an iframe.

Upstream asserted exactly one .html, at most one .js and one .css, and crashed on anything else (a missing
index.js raised an unhandled StopIteration). Here any file set merges: every stylesheet goes into one <style>
in the head, every script (in file order, index.js last so it can use helpers) into one <script> at the end of
the body; references to those files are dropped. A set without any HTML file becomes a page around its scripts.
Only an answer with no code at all is refused, with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?(?P<src>[^\"'\s>]+)[^>]*>\s*</script\s*>", re.IGNORECASE)
STYLESHEET = re.compile(r"<link[^>]*\bhref\s*=\s*[\"']?(?P<href>[^\"'\s>]+)[^>]*>", re.IGNORECASE)


class MergeError(ValueError):
    """The answer has nothing to merge; `reason` is the drop reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SourceFile:
    """One file of an answer as the model returned it."""

    filename: str
    content: str


def _kind(name: str) -> str:
    lower = name.lower()
    for suffix, kind in ((".html", "html"), (".htm", "html"), (".js", "js"), (".mjs", "js"), (".css", "css")):
        if lower.endswith(suffix):
            return kind
    return "other"


def _ensure_skeleton(html: str) -> str:
    if not re.search(r"<html[\s>]", html, re.IGNORECASE):
        html = f"<!DOCTYPE html>\n<html>\n{html}\n</html>"
    if not re.search(r"<head[\s>]", html, re.IGNORECASE):
        html = re.sub(r"(<html[^>]*>)", r"\1\n<head></head>", html, count=1, flags=re.IGNORECASE)
    if not re.search(r"<body[\s>]", html, re.IGNORECASE):
        html = re.sub(r"(</head\s*>)", r"\1\n<body>", html, count=1, flags=re.IGNORECASE)
        html = re.sub(r"(</html\s*>)", r"</body>\n\1", html, count=1, flags=re.IGNORECASE)
    return html


def merge(files: list[SourceFile]) -> str:
    """One index.html with every script and stylesheet inlined."""
    pages = [f for f in files if _kind(f.filename) == "html"]
    scripts = [f for f in files if _kind(f.filename) == "js"]
    styles = [f for f in files if _kind(f.filename) == "css"]
    if not pages and not scripts:
        raise MergeError("answer_without_code", f"no HTML or JavaScript among {[f.filename for f in files]}")
    page = next((p for p in pages if p.filename.lower().endswith("index.html")), pages[0] if pages else None)
    html = _ensure_skeleton(page.content if page else "<body></body>")
    names = {f.filename.rsplit("/", 1)[-1] for f in scripts + styles}
    html = SCRIPT_SRC.sub(lambda m: "" if m["src"].rsplit("/", 1)[-1] in names else m.group(0), html)
    html = STYLESHEET.sub(lambda m: "" if m["href"].rsplit("/", 1)[-1] in names else m.group(0), html)
    if styles:
        css = "\n".join(s.content for s in styles)
        html = re.sub(r"</head\s*>", lambda _m: f"<style>\n{css}\n</style>\n</head>", html, count=1,
                      flags=re.IGNORECASE)
    if scripts:
        ordered = sorted(scripts, key=lambda s: s.filename.lower().endswith("index.js"))
        # A literal "</script" inside the code would end the inline block early.
        js = "\n".join(s.content for s in ordered).replace("</script", "<\\/script")
        html = re.sub(r"</body\s*>", lambda _m: f"<script>\n{js}\n</script>\n</body>", html, count=1,
                      flags=re.IGNORECASE)
    return html
