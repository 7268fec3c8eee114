"""What one LLM call returned and cost, and accumulators that add calls up per QAP or per synthesis run.

An iterator enforcing a call budget, or the generator accounting tokens per QAP, wraps its work in
`usage_scope()`; every completion made inside it (including in tasks it spawns, which inherit the context) is
added to the scope's `LlmUsage`. Scopes nest: an inner scope's calls also count in the outer ones.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Completion:
    """One successful chat completion."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    seconds: float
    finish_reason: str
    role: str = ""
    attempts: int = 1
    offline: bool = False

    @property
    def truncated(self) -> bool:
        """True when the reply was cut at max_tokens (finish_reason "length"); callers decide what to do."""
        return self.finish_reason == "length"


@dataclass
class LlmUsage:
    """Running totals over many calls: successful calls, failed attempts, tokens, cost and time."""

    calls: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    truncated: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, completion: Completion | None, *, failed: bool = False) -> None:
        """Credits one successful completion, or one failed attempt when `completion` is None or `failed`.

        A failed reply that still arrived (an empty one) spent tokens, cost and time: those are credited too.
        """
        if completion is None or failed:
            self.failures += 1
        else:
            self.calls += 1
        if completion is None:
            return
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.cost_usd += completion.cost_usd
        self.seconds += completion.seconds
        self.truncated += int(completion.truncated)


_scopes: contextvars.ContextVar[tuple[LlmUsage, ...]] = contextvars.ContextVar("llm_usage_scopes", default=())


@contextlib.contextmanager
def usage_scope(usage: LlmUsage | None = None) -> Iterator[LlmUsage]:
    """Counts every LLM call made inside the block (and in tasks started from it) into the yielded usage."""
    scope = usage if usage is not None else LlmUsage()
    token = _scopes.set((*_scopes.get(), scope))
    try:
        yield scope
    finally:
        _scopes.reset(token)


def record_remote_usage(calls: int, prompt_tokens: int, completion_tokens: int, cost_usd: float) -> None:
    """Credits LLM calls another service made for this work (the iterator repairing a page) to every active scope.

    Those calls are the provider's cost of the work as much as the ones made here; their time is the other
    service's, so it is not added.
    """
    for target in _scopes.get():
        target.calls += calls
        target.prompt_tokens += prompt_tokens
        target.completion_tokens += completion_tokens
        target.cost_usd += cost_usd


def record_usage(completion: Completion | None, explicit: LlmUsage | None, *, failed: bool = False) -> None:
    """Credits a completion (or a failed attempt) to the explicit accumulator and every active scope."""
    targets = list(_scopes.get())
    if explicit is not None and all(explicit is not t for t in targets):
        targets.append(explicit)
    for target in targets:
        target.add(completion, failed=failed)
