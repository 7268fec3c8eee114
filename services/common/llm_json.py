"""Structured replies: JSON validated against a pydantic model, with one repair round trip.

Upstream used instructor's MD_JSON mode for this. Here the reply is parsed with `llm_parse.extract_json` (bare,
fenced or embedded in prose) and validated; when that fails, the model gets its reply back with the exact parse
or validation error and one chance to fix it. A second failure raises `LlmError("llm_malformed_output")`, or
`llm_truncated` when the reply was cut at max_tokens, so the caller can drop the QAP with that reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pydantic

from services.common import llm_errors as errors
from services.common.llm_errors import LlmError
from services.common.llm_parse import extract_json
from services.common.llm_usage import Completion

if TYPE_CHECKING:
    from services.common.llm import LlmClient

M = TypeVar("M", bound=pydantic.BaseModel)

# The bad reply is echoed back for repair; beyond this many characters the head is enough to show the error.
_ECHO_LIMIT = 24_000


@dataclass(frozen=True)
class Parsed(Generic[M]):
    """A validated structured reply, the completion that produced it, and whether a repair was needed."""

    value: M
    completion: Completion
    repaired: bool = False


def parse_model(text: str, model_type: type[M]) -> M:
    """Extracts JSON from `text` and validates it as `model_type`.

    Raises:
        ValueError: no JSON could be read, or it does not match the model (message fit to show the model).
    """
    data = extract_json(text)
    try:
        return model_type.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"the JSON does not match the schema: {problems}") from exc


def schema_instruction(model_type: type[pydantic.BaseModel]) -> str:
    """A prompt paragraph asking for JSON that matches `model_type`'s JSON schema."""
    schema = json.dumps(model_type.model_json_schema(), separators=(",", ":"))
    return f"Reply with a single JSON object (optionally in a ```json fence) that matches this JSON schema:\n{schema}"


def repair_messages(messages: Sequence[dict[str, Any]], reply: Completion, problem: str) -> list[dict[str, Any]]:
    """The conversation plus the bad reply and a request to fix exactly what was wrong."""
    note = f"Your previous reply could not be used: {problem}\n"
    if reply.truncated:
        note += "It was cut off at the token limit, so keep the reply shorter.\n"
    note += "Reply again with only the corrected JSON object."
    echoed = reply.text if len(reply.text) <= _ECHO_LIMIT else reply.text[:_ECHO_LIMIT] + "\n[...]"
    return [*messages, {"role": "assistant", "content": echoed}, {"role": "user", "content": note}]


async def complete_json(client: LlmClient, role: str, messages: Sequence[dict[str, Any]], model_type: type[M],
                        **kwargs: Any) -> Parsed[M]:
    """Completes, parses and validates; on failure repairs once, then raises.

    Args:
        client: The adapter making the calls.
        role: The LLM role (see LlmClient.complete).
        messages: The chat messages; they should already ask for JSON (see `schema_instruction`).
        model_type: The pydantic model the reply must validate as.
        **kwargs: Passed to LlmClient.complete (temperature, max_tokens, seed, timeout, model, usage).

    Raises:
        LlmError: `llm_malformed_output` or `llm_truncated` after the failed repair, or whatever
            LlmClient.complete raises.
    """
    first = await client.complete(role, messages, **kwargs)
    try:
        return Parsed(parse_model(first.text, model_type), first)
    except ValueError as exc:
        problem = str(exc)
    second = await client.complete(role, repair_messages(messages, first, problem), **kwargs)
    try:
        return Parsed(parse_model(second.text, model_type), second, repaired=True)
    except ValueError as exc:
        reason = errors.TRUNCATED if second.truncated else errors.MALFORMED_OUTPUT
        raise LlmError(reason, f"invalid JSON after one repair: {exc}", model=second.model, role=role) from exc
