"""The refill loop: keep each pool at its target depth, never more, with any number of generator replicas.

Before building a QAP a worker reserves a place atomically in Redis: a Lua script drops expired reservations,
then adds one for this worker only if `depth + reservations < target`. The reservation is a lease that the
worker renews while it builds, and removes after pushing (or dropping) — so a crashed replica's reservations
expire instead of blocking the pool forever, and no count needs "resetting at start-up" (upstream's shared
counter broke as soon as a second process ran). Between a push and the lease's removal the QAP counts twice,
which errs towards building less, never more.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from services.common.pool import keys

log = logging.getLogger(__name__)
RESERVATIONS = "synthetic:mesh:generator:reservations:"
DEPTH_KEYS = {"v1": keys.QUEUE, "v2": keys.QUESTIONS}

# KEYS[1] reservations (sorted set member -> expiry), KEYS[2] the pool's list
# ARGV[1] member, ARGV[2] lease seconds, ARGV[3] target depth
RESERVE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t)
local have = redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[1])
if have >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], t + tonumber(ARGV[2]), ARGV[1])
return 1
"""
RENEW = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
return redis.call('ZADD', KEYS[1], 'XX', 'CH', t + tonumber(ARGV[2]), ARGV[1])
"""


class Reservations:
    """Atomic, expiring reservations of pool places."""

    def __init__(self, redis: Redis, lease_seconds: float) -> None:
        self.redis = redis
        self.lease = lease_seconds
        self._reserve = redis.register_script(RESERVE)
        self._renew = redis.register_script(RENEW)

    async def reserve(self, pool: str, member: str, target: int) -> bool:
        """Takes a place in `pool` if depth plus reservations stays within `target`."""
        if target <= 0:
            return False
        taken = await self._reserve(keys=[RESERVATIONS + pool, DEPTH_KEYS[pool]], args=[member, self.lease, target])
        return bool(taken)

    async def renew(self, pool: str, member: str) -> None:
        """Extends a held reservation."""
        await self._renew(keys=[RESERVATIONS + pool], args=[member, self.lease])

    async def release(self, pool: str, member: str) -> None:
        """Gives the place back (after the push, or after a drop)."""
        await self.redis.zrem(RESERVATIONS + pool, member)

    async def count(self, pool: str) -> int:
        """Reservations currently held in `pool` (expired ones included until the next reserve)."""
        return int(await self.redis.zcard(RESERVATIONS + pool))



class Round(enum.Enum):
    """How a refill round ended, which decides the pause before the next one."""

    POOLED = "pooled"  # next round at once
    DROPPED = "dropped"  # the LLM's output was not usable (a duplicate, an untrusted ranking): a short pause
    OUTAGE = "outage"  # a dependency failed: exponential backoff until a round pools again


Build = Callable[[str], Awaitable[Round]]


class Refiller:
    """`workers` loops that reserve a place, build a QAP for it, and back off when building fails."""

    def __init__(self, reservations: Reservations, targets: dict[str, int], workers: int, replica: str,
                 build: Build, idle_seconds: float = 2.0) -> None:
        self.reservations = reservations
        self.targets = targets
        self.workers = workers
        self.replica = replica
        self.build = build
        self.idle = idle_seconds
        self.paused = False
        self.in_progress = 0
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Starts the worker loops."""
        self._tasks = [asyncio.create_task(self._loop(i), name=f"refill-{i}") for i in range(self.workers)]

    async def stop(self) -> None:
        """Cancels the loops (a QAP being built is abandoned and its reservation released)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _reserve_any(self, member: str) -> str | None:
        for pool, target in self.targets.items():
            if await self.reservations.reserve(pool, member, target):
                return pool
        return None

    async def _loop(self, index: int) -> None:
        failures = 0
        counter = 0
        while True:
            if self.paused:
                await asyncio.sleep(self.idle)
                continue
            counter += 1
            member = f"{self.replica}:{index}:{counter}"
            try:
                pool = await self._reserve_any(member)
            except Exception:
                log.warning("cannot reserve a pool place (Redis?)", exc_info=True)
                await asyncio.sleep(self.idle)
                continue
            if pool is None:
                await asyncio.sleep(self.idle)
                continue
            ended = await self._build_holding(pool, member)
            failures = failures + 1 if ended is Round.OUTAGE else 0
            if failures:
                # Repeated outages back off exponentially, with jitter; the next round that reaches them resets it.
                await asyncio.sleep(min(300.0, self.idle * 2 ** min(failures, 8)) * random.uniform(0.5, 1.0))  # noqa: S311
            elif ended is Round.DROPPED:
                # Not an outage, but never at once: a model that keeps repeating a question was rebuilt 100+ times
                # a second, a paid call each time.
                await asyncio.sleep(self.idle * random.uniform(0.5, 1.0))  # noqa: S311

    async def _build_holding(self, pool: str, member: str) -> Round:
        renewer = asyncio.create_task(self._renew(pool, member))
        self.in_progress += 1
        try:
            return await self.build(pool)
        except Exception:
            log.exception("refill build failed")
            return Round.OUTAGE
        finally:
            self.in_progress -= 1
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(Exception):
                await self.reservations.release(pool, member)

    async def _renew(self, pool: str, member: str) -> None:
        while True:
            await asyncio.sleep(self.reservations.lease / 3)
            with contextlib.suppress(Exception):
                await self.reservations.renew(pool, member)
