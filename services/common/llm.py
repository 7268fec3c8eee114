"""The one thin litellm adapter every service uses (style.md habit 11).

`LlmClient.complete` sends one chat completion through `litellm.acompletion` with `drop_params=True`, an
explicit timeout, a concurrency limit and bounded exponential backoff with jitter on rate limits, 5xx, timeouts
and connection errors. Authentication and credit failures raise `LlmFatalError` at once and raise the
`synthmesh_llm_fatal` alert; every other failure raises `LlmError` with a machine-readable `reason`.
`complete_json` parses and validates a pydantic model, with one repair round trip on malformed output.

litellm takes about 2 s to import, so it is imported once, on `start()` or the first call, never per call.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from services.common import llm_errors as errors
from services.common.llm_config import LlmConfig, is_offline_model
from services.common.llm_errors import LlmError, LlmFatalError, to_llm_error
from services.common.llm_json import M, Parsed, complete_json
from services.common.llm_metrics import FATAL, OTHER_MODEL, REQUEST_SECONDS, REQUESTS, record_reply
from services.common.llm_usage import Completion, LlmUsage, record_usage, usage_scope

log = logging.getLogger(__name__)

Message = dict[str, Any]

_litellm: ModuleType | None = None
_import_lock = threading.Lock()
# The offline model server is free. Told so, litellm prices a reply from one entry of its cost map; left to
# guess, it matches an unknown model against its whole map on every call (1.6 ms of CPU per call, measured).
_OFFLINE_PRICE = {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "cache_creation_input_token_cost": 0.0,
                  "cache_read_input_token_cost": 0.0, "mode": "chat"}
_priced: set[str] = set()
# litellm's acompletion prepares each request in a worker thread, which hands a coroutine back to the event loop.
# A call cancelled during that hop (a QAP's other chains are cancelled once one drops it) leaves the coroutine
# unstarted: no request was sent, yet Python warns when it is collected, long after and far from the cause.
# pytest's filterwarnings in pyproject.toml repeats this pattern (pytest resets filters for every test).
UNSTARTED_CALL_WARNING = r"coroutine '\w+\.acompletion' was never awaited"


def load_litellm() -> ModuleType:
    """Imports and configures litellm once per process (thread-safe; call via asyncio.to_thread when hot)."""
    global _litellm
    with _import_lock:
        if _litellm is None:
            # Without this litellm downloads its model price map at import; nothing here has a network.
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            module: Any = importlib.import_module("litellm")
            module.suppress_debug_info = True
            module.telemetry = False
            ignore_unstarted_calls()
            _litellm = module
        return _litellm


def ignore_unstarted_calls() -> None:
    """Silences the warning about a cancelled call's unstarted litellm coroutine (see UNSTARTED_CALL_WARNING)."""
    warnings.filterwarnings("ignore", message=UNSTARTED_CALL_WARNING, category=RuntimeWarning)


def price_offline_model(litellm: Any, model: str) -> None:
    """Registers an offline model's zero price with litellm, once per model and process."""
    if model in _priced:
        return
    provider = model.partition("/")[0] if "/" in model else "openai"
    litellm.register_model({model: {**_OFFLINE_PRICE, "litellm_provider": provider}})
    _priced.add(model)


class LlmClient:
    """Chat completions per role, with retries, limits, metrics and usage accounting."""

    def __init__(self, config: LlmConfig, *, on_usage: Callable[[Completion], None] | None = None) -> None:
        self.config = config
        self.on_usage = on_usage
        # The last auth or credit failure per configured role model, cleared by that model's next success.
        self._fatal: dict[str, LlmFatalError] = {}
        self._role_models = frozenset(m for r in config.roles.values() for m in r.models)
        self._semaphore = asyncio.Semaphore(config.concurrency)

    @property
    def fatal_error(self) -> LlmFatalError | None:
        """The latest unresolved auth or credit failure of a configured role model (readiness reads this).

        A model a caller named for one request is not tracked: its bad key says nothing about the service's own
        models, nothing would ever call it again to clear the failure, and the caller already got the error.
        """
        return next(reversed(self._fatal.values()), None)

    def model_label(self, model: str) -> str:
        """The metrics label of `model`: itself when configured for a role, else one shared value (bounded)."""
        return model if model in self._role_models else OTHER_MODEL

    def fatal_for(self, model: str) -> LlmFatalError | None:
        """The unresolved auth or credit failure of configured role model `model`, if any."""
        return self._fatal.get(model)

    @property
    def offline(self) -> bool:
        """True when every role is answered by the offline model server."""
        return self.config.offline

    async def start(self) -> None:
        """Imports litellm off the event loop so the first call does not stall other tasks."""
        await asyncio.to_thread(load_litellm)
        log.info("llm adapter ready", extra={"offline": self.offline, "provider_key": self.config.provider_key,
                                             "models": {r: list(c.models) for r, c in self.config.roles.items()}})

    def pick_model(self, role: str, key: str | None = None) -> str:
        """One of the role's models: stable for a given `key` (e.g. a QAP id), random without one."""
        models = self.config.role(role).models
        if key is None:
            return random.choice(models)  # noqa: S311 - load spreading, not security
        return models[sum(key.encode()) % len(models)]

    async def complete(
        self,
        role: str,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        timeout: float | None = None,
        model: str | None = None,
        usage: LlmUsage | None = None,
    ) -> Completion:
        """Sends one chat completion for `role` and returns its text, usage and cost.

        Args:
            role: One of question, augment, answer, fixer, iterator; picks the model and default timeout.
            messages: OpenAI-style chat messages.
            temperature: Sampling temperature; None leaves the provider's default.
            top_p: Nucleus sampling; None leaves the provider's default.
            max_tokens: Completion token cap; a reply cut by it has `truncated == True`.
            seed: Sampling seed where the provider supports it (dropped silently elsewhere).
            timeout: Seconds per attempt; defaults to the role's configured timeout.
            model: Overrides the role's model (e.g. the answer model picked for a QAP).
            usage: Accumulator credited with this call, in addition to any `usage_scope()` in effect.

        Raises:
            LlmFatalError: authentication or credit failure (never retried).
            LlmError: any other failure after the retries allowed for it, with `reason` set.
        """
        role_cfg = self.config.role(role)
        model = model or role_cfg.model
        timeout = timeout if timeout is not None else role_cfg.timeout_seconds
        kwargs = self._request(model, messages, temperature, top_p, max_tokens, seed, timeout)
        litellm: Any = _litellm or await asyncio.to_thread(load_litellm)
        if is_offline_model(model):
            price_offline_model(litellm, model)
        for attempt in range(self.config.max_retries + 1):
            sent = [0.0]
            try:
                response = await self._send(litellm, kwargs, timeout, sent)
            except asyncio.CancelledError:
                # A QAP's deadline, or its sibling chain failed: a call already sent still counts.
                if sent[0]:
                    self._record_outcome(model, role, "cancelled", time.monotonic() - sent[0])
                raise
            except Exception as exc:  # every provider failure is classified, retried or raised as LlmError
                err = to_llm_error(exc, model=model, role=role)
                self._record_failure(err, time.monotonic() - (sent[0] or time.monotonic()), usage)
                if isinstance(err, LlmFatalError):
                    self._raise_fatal(err, exc)
                if not err.retryable or attempt == self.config.max_retries:
                    raise err from exc
                delay = self._backoff(attempt, errors.retry_after_seconds(exc))
                log.warning("llm call failed, retrying", extra={"model": model, "role": role, "reason": err.reason,
                                                                 "attempt": attempt + 1, "delay_s": round(delay, 3)})
                await asyncio.sleep(delay)
                continue
            completion = self._completion(response, model, role, time.monotonic() - sent[0], attempt + 1)
            self._record_reply(completion, usage)
            return completion
        raise AssertionError("unreachable: the retry loop returns or raises")

    async def _send(self, litellm: Any, kwargs: dict[str, Any], timeout: float, sent: list[float]) -> Any:
        """Waits for a local slot, then sends; `sent[0]` is when: waiting for a slot is not the provider's time."""
        async with self._semaphore:
            sent[0] = time.monotonic()
            # litellm's own timeout covers the HTTP call; this also bounds its pre- and post-processing.
            async with asyncio.timeout(timeout + 5):
                return await litellm.acompletion(**kwargs)

    def _request(self, model: str, messages: Sequence[Message], temperature: float | None, top_p: float | None,
                 max_tokens: int | None, seed: int | None, timeout: float) -> dict[str, Any]:
        """The keyword arguments for litellm.acompletion; unset sampling options are left out."""
        api_base, api_key = self.config.endpoint(model)
        # Retries are ours (bounded, classified, metered); the OpenAI client's hidden retries are switched off.
        kwargs: dict[str, Any] = {"model": model, "messages": list(messages), "drop_params": True,
                                  "timeout": timeout, "max_retries": 0}
        optional = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "seed": seed,
                    "api_base": api_base, "api_key": api_key}
        kwargs.update({k: v for k, v in optional.items() if v is not None})
        return kwargs

    def _completion(self, response: Any, model: str, role: str, seconds: float, attempts: int) -> Completion:
        """The reply as a Completion; a reply without choices (some providers send `choices: []`) has no text."""
        choices = getattr(response, "choices", None) or []
        choice = choices[0] if choices else None
        message = getattr(choice, "message", None)
        text = getattr(message, "content", None) or ""
        finish = getattr(choice, "finish_reason", None) or "stop"
        usage = getattr(response, "usage", None)
        hidden = getattr(response, "_hidden_params", None) or {}
        return Completion(
            text=text,
            model=model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=float(hidden.get("response_cost") or 0.0),
            seconds=seconds,
            finish_reason=finish,
            role=role,
            attempts=attempts,
            offline=is_offline_model(model),
        )

    def _record_reply(self, completion: Completion, usage: LlmUsage | None) -> None:
        """Accounts a reply (tokens, cost and time even when it is empty), then raises if it has no text."""
        empty = not completion.text.strip()
        outcome = "truncated" if completion.truncated else ("empty_output" if empty else "ok")
        record_reply(completion, outcome, self.model_label(completion.model))
        record_usage(completion, usage, failed=empty)
        if self.on_usage is not None:
            self.on_usage(completion)
        if empty:
            finish = completion.finish_reason
            raise LlmError(errors.EMPTY_OUTPUT, f"the model returned no text (finish_reason={finish})",
                           model=completion.model, role=completion.role)
        # A reply proves the key and credit work for this model again.
        if completion.model in self._role_models:
            FATAL.labels(model=completion.model).set(0)
        self._fatal.pop(completion.model, None)
        self._log_reply(completion)

    @staticmethod
    def _log_reply(completion: Completion) -> None:
        if completion.truncated:
            log.warning("llm reply truncated at max_tokens", extra={"model": completion.model,
                                                                     "role": completion.role})
        log.debug("llm call", extra={"model": completion.model, "role": completion.role,
                                     "prompt_tokens": completion.prompt_tokens, "offline": completion.offline,
                                     "completion_tokens": completion.completion_tokens,
                                     "seconds": round(completion.seconds, 3)})

    def _record_failure(self, err: LlmError, seconds: float, usage: LlmUsage | None) -> None:
        self._record_outcome(err.model, err.role, err.reason.removeprefix("llm_"), seconds)
        record_usage(None, usage)

    def _record_outcome(self, model: str, role: str, outcome: str, seconds: float) -> None:
        """Counts and times one attempt that got no reply (failed or cancelled)."""
        label = self.model_label(model)
        REQUESTS.labels(model=label, role=role, outcome=outcome).inc()
        REQUEST_SECONDS.labels(model=label, role=role).observe(seconds)

    def _raise_fatal(self, err: LlmFatalError, exc: BaseException) -> None:
        if err.model in self._role_models:
            # The alert means this service cannot work; a one-off per-request model's failure went to its caller.
            FATAL.labels(model=err.model).set(1)
            # Re-inserted at the end, so that fatal_error reports the most recent failure.
            self._fatal.pop(err.model, None)
            self._fatal[err.model] = err
        log.error("fatal llm error: generation cannot continue", extra={"model": err.model, "role": err.role,
                                                                         "reason": err.reason})
        raise err from exc

    def _backoff(self, attempt: int, hint: float | None) -> float:
        """Exponential backoff with full jitter in [½, 1] of the step, honouring a Retry-After hint."""
        step = min(self.config.retry_max_seconds, self.config.retry_base_seconds * (2**attempt))
        delay = step * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
        if hint is not None:
            delay = max(delay, min(hint, self.config.retry_max_seconds))
        return float(delay)

    async def complete_json(self, role: str, messages: Sequence[Message], model_type: type[M],
                            **kwargs: Any) -> Parsed[M]:
        """Completes and validates a `model_type` reply, with one repair round trip; see `llm_json`.

        Raises:
            LlmError: `llm_malformed_output` (or `llm_truncated`) when the repaired reply is still invalid, or
                any failure `complete` raises.
        """
        return await complete_json(self, role, messages, model_type, **kwargs)


__all__ = ["Completion", "LlmClient", "LlmError", "LlmFatalError", "LlmUsage", "Parsed", "load_litellm", "usage_scope"]
