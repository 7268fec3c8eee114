"""What the pool raises, and the translation of Redis failures into one clear error."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from redis import exceptions as redis_errors

from services.common.pool.metrics import REDIS_ERRORS
from services.common.pool.validation import Problem, summary


class PoolError(Exception):
    """Base of the pool's errors."""


class PoolUnavailable(PoolError):
    """Redis did not answer (down, restarting, unreachable or too slow)."""


class Rejected(PoolError):
    """A QAP that Dojo would reject; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"QAP rejected: {summary(problems)}")


class Duplicate(PoolError):
    """A QAP with this qa_id (rank-0 cid) was pushed within the history TTL; nothing was stored."""

    def __init__(self, qa_id: str) -> None:
        self.qa_id = qa_id
        super().__init__(f"a QAP with qa_id {qa_id!r} is already in the pool or was handed out recently")


def describe(exc: BaseException) -> str:
    """A short, human-readable cause for a Redis failure."""
    if isinstance(exc, redis_errors.TimeoutError | TimeoutError):
        return "Redis did not answer in time"
    if isinstance(exc, redis_errors.ConnectionError | OSError):
        return f"cannot reach Redis ({exc or type(exc).__name__})"
    return f"Redis error: {exc}"


@contextlib.contextmanager
def redis_guard(op: str) -> Iterator[None]:
    """Turns Redis and socket failures inside the block into PoolUnavailable, counted by operation."""
    try:
        yield
    except (TimeoutError, redis_errors.RedisError, OSError) as exc:
        REDIS_ERRORS.labels(op).inc()
        raise PoolUnavailable(describe(exc)) from exc
