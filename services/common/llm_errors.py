"""LLM failures as data: a machine-readable reason, whether a retry can help, and whether it is fatal.

Callers drop a QAP (or end a synthesis run) with `LlmError.reason` as the metric label. Authentication and
credit failures are `LlmFatalError`: retrying cannot help and every further call would fail the same way, so the
generator stops and reports NOT_SERVING instead of burning through the pool's refill budget.
"""

from __future__ import annotations

import asyncio
import re

# Reasons (values of LlmError.reason); stable strings used as metric labels and in logs.
RATE_LIMITED = "llm_rate_limited"
TIMEOUT = "llm_timeout"
SERVER_ERROR = "llm_server_error"
CONNECTION = "llm_connection"
AUTH = "llm_auth"
CREDIT = "llm_credit"
BAD_REQUEST = "llm_bad_request"
CONTEXT_WINDOW = "llm_context_window"
EMPTY_OUTPUT = "llm_empty_output"
MALFORMED_OUTPUT = "llm_malformed_output"
TRUNCATED = "llm_truncated"
UNKNOWN = "llm_error"

RETRYABLE = frozenset({RATE_LIMITED, TIMEOUT, SERVER_ERROR, CONNECTION})
FATAL = frozenset({AUTH, CREDIT})

# Providers report exhausted credit in different ways: OpenRouter with 402, OpenAI with a 429 whose code is
# insufficient_quota, others with 403 and a billing message. All of them mean "stop", not "wait".
_CREDIT_WORDS = ("insufficient_quota", "insufficient credit", "exceeded your current quota", "credit balance",
                 "payment required")

# litellm reports a key that is not set at all in its own words and often with a 500 or a connection error
# ("Missing credentials" from the OpenAI client, "Missing Gemini API key"); like a 401, no retry can help.
_MISSING_KEY = re.compile(r"missing (credentials|(\w+ )?api[ _]key)|api_key client option must be set")


class LlmError(Exception):
    """An LLM call failed; `reason` says why in a form fit for a metric label."""

    def __init__(self, reason: str, message: str, *, model: str = "", role: str = "",
                 status_code: int | None = None) -> None:
        self.reason = reason
        self.model = model
        self.role = role
        self.status_code = status_code
        super().__init__(f"{reason}: {message}")

    @property
    def retryable(self) -> bool:
        """True when waiting and trying again may succeed (rate limits, 5xx, timeouts, connection errors)."""
        return self.reason in RETRYABLE


class LlmFatalError(LlmError):
    """Authentication or credit failure: no retry, generation must stop and raise the alert."""


def classify(exc: BaseException) -> tuple[str, int | None]:
    """Maps a litellm/openai/httpx/asyncio exception to (reason, HTTP status if any).

    Works on class names along the MRO so the mapping holds without importing litellm here, and keeps working
    when litellm adds subclasses (its Timeout subclasses the connection error, so timeouts are checked first).
    """
    names = {cls.__name__ for cls in type(exc).__mro__}
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    text = str(exc).lower()
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) or names & {"Timeout", "APITimeoutError",
                                                                          "TimeoutException"}:
        return TIMEOUT, status
    if status == 402 or names & {"PaymentRequiredError", "BudgetExceededError"}:
        return CREDIT, status
    credit_words = any(word in text for word in _CREDIT_WORDS)
    if status in (401, 403) or names & {"AuthenticationError", "PermissionDeniedError"} or _MISSING_KEY.search(text):
        return (CREDIT if credit_words else AUTH), status
    if status == 429 or "RateLimitError" in names:
        return (CREDIT if credit_words else RATE_LIMITED), status
    if status in (408, 504):
        return TIMEOUT, status
    # litellm reports a refused or dropped connection as a 500 InternalServerError saying "Connection error".
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "TransportError",
                "ClientConnectorError"} or "connection error" in text:
        return CONNECTION, status
    if "ContextWindowExceededError" in names:
        return CONTEXT_WINDOW, status
    if (status is not None and status >= 500) or names & {"InternalServerError", "ServiceUnavailableError",
                                                          "BadGatewayError"}:
        return SERVER_ERROR, status
    if (status is not None and 400 <= status < 500) or names & {"BadRequestError", "NotFoundError",
                                                                "UnprocessableEntityError"}:
        return BAD_REQUEST, status
    if "APIError" in names:
        # litellm raises a bare APIError for unparseable or unexpected provider replies; usually transient.
        return SERVER_ERROR, status
    return UNKNOWN, status


def to_llm_error(exc: BaseException, *, model: str, role: str) -> LlmError:
    """Wraps `exc` in LlmError, or LlmFatalError for auth and credit failures."""
    reason, status = classify(exc)
    message = f"{type(exc).__name__}: {str(exc)[:500]}"
    kind = LlmFatalError if reason in FATAL else LlmError
    return kind(reason, message, model=model, role=role, status_code=status)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The provider's Retry-After hint in seconds, when the error carries an HTTP response with one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get("retry-after")
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
