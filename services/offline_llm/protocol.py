"""The wire side of the offline model: the step header, token estimates, stable hashing, OpenAI reply shapes.

Replies follow OpenAI's chat-completion format closely enough for litellm's OpenAI client (the path every
real provider takes), including usage counts and, for `stream: true`, server-sent-event chunks.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

HEADER = "synthmesh-step:"
_HEADER_RE = re.compile(r"^\s*synthmesh-step:\s*([A-Za-z0-9_-]+)\s*(?:;(.*))?$")
OFFLINE_NAME = "synthmesh-offline"

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """What the step handlers need from one chat request."""

    model: str
    messages: list[dict[str, Any]]
    seed: int | None = None
    max_tokens: int | None = None
    step: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> str:
        """The first user message (minus a header line): the question, code or prompt a step works on."""
        for message in self.messages:
            if message.get("role") == "user":
                return strip_header(text_of(message))
        return strip_header(text_of(self.messages[-1])) if self.messages else ""

    @property
    def user_texts(self) -> list[str]:
        """Every user message's text (minus a header line), latest first."""
        return [strip_header(text_of(m)) for m in reversed(self.messages) if m.get("role") == "user"]

    def find(self, recognise: Callable[[str], T | None]) -> T | None:
        """The first result of `recognise` over the user messages, latest first.

        A question or page may sit in an earlier turn than the last one (a JSON repair note, a follow-up
        with only the error), so every user turn is tried, newest first.
        """
        for text in self.user_texts:
            found = recognise(text)
            if found is not None:
                return found
        return None

    @property
    def conversation(self) -> str:
        """Every message's text, for replies that look at the whole exchange (feedback, repair turns)."""
        return "\n".join(text_of(m) for m in self.messages)

    def digest(self, *extra: object) -> int:
        """A stable hash of the request's meaning and seed: same request + same seed → same number."""
        return digest(self.model, self.messages, self.seed, *extra)

    def unit(self, *extra: object) -> float:
        """`digest` mapped to [0, 1), for deterministic choices with a probability."""
        return (self.digest(*extra) % 1_000_003) / 1_000_003


def text_of(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of typed parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def parse_header(messages: list[dict[str, Any]]) -> tuple[str | None, dict[str, str]]:
    """Reads `synthmesh-step: <step>; key=value; ...` from the first line of the system message.

    Falls back to the first message of any role, for providers or callers that send no system message.
    """
    ordered = [m for m in messages if m.get("role") == "system"][:1] + messages[:1]
    for message in ordered:
        first_line = text_of(message).lstrip().split("\n", 1)[0]
        match = _HEADER_RE.match(first_line)
        if match:
            params: dict[str, str] = {}
            for pair in (match.group(2) or "").split(";"):
                key, sep, value = pair.partition("=")
                if sep and key.strip():
                    params[key.strip().lower()] = value.strip()
            return match.group(1).lower(), params
    return None, {}


def strip_header(text: str) -> str:
    """`text` without a leading step header line."""
    head, _, rest = text.lstrip().partition("\n")
    return rest.lstrip("\n") if _HEADER_RE.match(head) else text


def digest(*parts: object) -> int:
    """A 64-bit stable hash of JSON-serialisable parts (Python's hash() is salted per process)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")


def count_tokens(text: str) -> int:
    """A rough token count: words × 1.3, rounded up (real tokenizers land near this for English and code)."""
    return math.ceil(len(text.split()) * 1.3)


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """Token estimate for the whole prompt, plus a few per message for the chat template."""
    return sum(count_tokens(text_of(m)) + 4 for m in messages)


def truncate(text: str, max_tokens: int) -> str:
    """Cuts `text` so that it holds about `max_tokens` tokens, keeping the characters' order and spacing."""
    total = count_tokens(text)
    if total <= max_tokens:
        return text
    return text[: max(1, len(text) * max_tokens // max(total, 1))]


def completion_body(request_id: str, model: str, text: str, finish: str, prompt: int) -> dict[str, Any]:
    """A non-streaming OpenAI chat.completion object."""
    completion = count_tokens(text)
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": OFFLINE_NAME,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None,
                     "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def stream_events(request_id: str, model: str, text: str, finish: str, prompt: int,
                  include_usage: bool) -> Iterator[str]:
    """The same reply as server-sent events: a role chunk, a few content chunks, the finish chunk, [DONE]."""
    base = {"id": request_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "system_fingerprint": OFFLINE_NAME}

    def event(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return "data: " + json.dumps({**base, "choices": [choice], **extra}) + "\n\n"

    yield event({"role": "assistant", "content": ""})
    size = max(1, math.ceil(len(text) / 4))
    for start in range(0, len(text), size):
        yield event({"content": text[start : start + size]})
    yield event({}, finish)
    if include_usage:
        completion = count_tokens(text)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        yield "data: " + json.dumps({**base, "choices": [], "usage": usage}) + "\n\n"
    yield "data: [DONE]\n\n"


def error_body(status: int, message: str) -> dict[str, Any]:
    """An OpenAI-style error object; litellm maps the HTTP status to its exception classes."""
    kinds = {400: "invalid_request_error", 401: "authentication_error", 402: "insufficient_credits",
             403: "permission_error", 404: "not_found_error", 429: "rate_limit_error"}
    kind = kinds.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}
