"""Injected failures: the ways a real provider misbehaves, on demand.

A fault comes from the admin queue (`POST /admin/faults`, for the next N matching requests, optionally only for
one step or one model) or from the model name itself, so a test needs no admin call:

    synthmesh-offline-fault-429        every request fails with 429
    synthmesh-offline-fault-429x2      the first 2 requests with this exact name fail, later ones succeed
    synthmesh-offline-fault-delay-2.5  wait 2.5 s, then answer normally (client timeouts)
    synthmesh-offline-latency-150      answer after 150 ms (benchmarks)

Kinds: any HTTP error status as three digits — 429, 500, 502, 503, 504 (retryable), 401, 403 (auth), 402
(credit), 400 (bad request) — or `delay`
(sleep `seconds`, then answer), `malformed` (broken JSON with finish_reason stop), `truncate` (half the reply with
finish_reason length), `empty` (no text), `no_choices` (a 200 reply with usage but `choices: []`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

REPLY_KINDS = ("delay", "malformed", "truncate", "empty", "no_choices")

_MODEL_FAULT = re.compile(r"-fault-([45]\d\d|delay-[0-9.]+|malformed|truncate|empty|no_choices)(?:x(\d+))?")
_MODEL_LATENCY = re.compile(r"-latency-(\d+)")

MESSAGES = {
    400: "bad request (synthmesh offline fault)",
    401: "invalid api key (synthmesh offline fault)",
    402: "insufficient credits: add credits to continue (synthmesh offline fault)",
    403: "forbidden: this key may not use the model (synthmesh offline fault)",
    429: "rate limit exceeded, retry later (synthmesh offline fault)",
    500: "internal server error (synthmesh offline fault)",
    502: "bad gateway (synthmesh offline fault)",
    503: "service unavailable, overloaded (synthmesh offline fault)",
    504: "gateway timeout (synthmesh offline fault)",
}


class FaultNameError(ValueError):
    """A model name asks for a fault in a form the server cannot read (the request gets a 400)."""


@dataclass
class Fault:
    """One queued fault: what happens, to how many more requests, and which requests it matches."""

    kind: str
    remaining: int | None = 1
    step: str | None = None
    model: str | None = None
    seconds: float = 0.0
    # Error text for status faults; providers word the same status differently (e.g. OpenAI's 429
    # "insufficient_quota" means no credit, not a rate limit), and the adapter reads the words.
    message: str | None = None

    @property
    def status(self) -> int | None:
        """The HTTP status this fault answers with, or None for reply-shaping faults."""
        return int(self.kind) if self.kind.isdigit() else None

    def matches(self, model: str, step: str | None) -> bool:
        """True when the fault applies to a request for `model` at `step`."""
        return (self.step is None or self.step == step) and (self.model is None or self.model == model)


class FaultBook:
    """The admin fault queue plus per-model-name counters, shared by request handlers (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self._seen: dict[str, int] = {}

    def add(self, fault: Fault) -> None:
        """Queues a fault behind the ones already queued."""
        with self._lock:
            self._queue.append(fault)

    def pending(self) -> list[Fault]:
        """The faults still queued."""
        with self._lock:
            return [Fault(**vars(f)) for f in self._queue]

    def reset(self) -> None:
        """Drops every queued fault and model-name counter."""
        with self._lock:
            self._queue.clear()
            self._seen.clear()

    def take(self, model: str, step: str | None) -> Fault | None:
        """The fault to apply to this request, consuming one use of it; model-name faults come first.

        Raises:
            FaultNameError: the model name's fault cannot be read (e.g. `-fault-delay-1.2.3`).
        """
        with self._lock:
            from_name = self._from_model_name(model)
            if from_name is not None:
                return from_name
            for fault in self._queue:
                if fault.matches(model, step):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._queue.remove(fault)
                    return Fault(**vars(fault))
            return None

    def _from_model_name(self, model: str) -> Fault | None:
        match = _MODEL_FAULT.search(model)
        if match is None:
            return None
        spec, times = match.group(1), match.group(2)
        self._seen[model] = self._seen.get(model, 0) + 1
        if times is not None and self._seen[model] > int(times):
            return None
        if spec.startswith("delay-"):
            try:
                return Fault("delay", None, seconds=float(spec.removeprefix("delay-")))
            except ValueError:
                raise FaultNameError(f"model {model!r}: {spec!r} is not a delay in seconds (e.g. delay-2.5)") from None
        return Fault(spec, None)


def valid_kind(kind: str) -> bool:
    """True for an HTTP error status (400-599) or one of the reply-shaping kinds."""
    return (kind.isdigit() and 400 <= int(kind) <= 599) or kind in REPLY_KINDS


def model_latency_ms(model: str) -> int:
    """Extra latency asked for in the model name (`-latency-<ms>`), else 0."""
    match = _MODEL_LATENCY.search(model)
    return int(match.group(1)) if match else 0
