"""Atomic v1 hand-outs: claim under a lease, block on an empty queue, acknowledge, requeue, sweep.

The rule, at most once: a QAP leaves `synthetic:queue` in one atomic step into the in-flight hash under a lease.
After the reply is sent the lease is acknowledged and the delivery logged (an acknowledgement that fails while
Redis is down is kept and retried, and logged once even if retried). If the reply was certainly not sent
(the client left first, or sending raised) the QAP goes back to the head of the queue. If nobody acknowledges
before the lease expires (the process died between pop and reply, or the send hung), the sweeper moves the QAP
to the dead-letter list and counts it: it may have reached the caller, and serving it twice is worse than
losing it visibly. An empty queue is waited on with BLMOVE into the caller's own claim list, so a new QAP wakes
exactly one caller; a claim list left behind by a crashed waiter was never sent and is requeued by the sweeper.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from services.common.pool import keys
from services.common.pool.batching import Coalescer
from services.common.pool.errors import PoolUnavailable, describe, redis_guard
from services.common.pool.ids import uuid7
from services.common.pool.metrics import DEAD_LETTERED, EMPTY_WAITS, HANDOUTS, POOL_DEPTH, REQUEUED, WAIT_SECONDS
from services.common.pool.store import Pool
from services.common.pool.validation import Problem, reasons, summary, validate_body

log = logging.getLogger(__name__)

Interrupt = Callable[[], Awaitable[object]]

# Consecutive invalid stored items one request dead-letters before giving up (keeps a poisoned queue bounded).
MAX_INVALID_IN_A_ROW = 16
# Shortest wait worth a BLMOVE (its timeout 0 would mean "forever").
MIN_WAIT_SECONDS = 0.01
# Slack on top of a BLMOVE's own timeout before the client gives up on the reply.
BLOCK_MARGIN_SECONDS = 2.0
# A waiter entry this much past its end belongs to a dead process (live ones adopt within milliseconds).
STALE_WAITER_SECONDS = 30.0
SWEEP_BATCH = 1000
# How long the sweeper remembers an expired lease, so that its late acknowledgement is still logged once.
EXPIRED_KEEP_SECONDS = 7 * 86400
# Acknowledgements kept for retry while Redis is down; beyond this their leases simply expire (dead letter).
MAX_UNACKED = 100_000
# Label lookups cost microseconds each; the hot path uses pre-bound children.
_DEPTH_V1 = POOL_DEPTH.labels("v1")
_HANDOUTS_V1 = HANDOUTS.labels("v1")


@dataclass(frozen=True)
class Claim:
    """A QAP held under a lease: the stored bytes, their decoded body and its cids."""

    lease: str
    caller: str
    raw: bytes
    body: dict[str, Any]
    cids: tuple[str, ...]

    def ack_item(self) -> tuple[str, str, str, str]:
        """What the ACK script records for this hand-out: lease, pool, caller and the comma-joined cids."""
        return (self.lease, "v1", self.caller, ",".join(self.cids))


class HandOuts:
    """v1 hand-outs over the pool's command client and a blocking client for waits.

    Claims and acknowledgements are coalesced (see `batching`): concurrent callers share one script call, each
    with its own lease, so a busy gateway makes far fewer Redis round trips than it serves QAPs.
    """

    def __init__(self, pool: Pool, blocking: Redis, max_batch: int = 64) -> None:
        self.pool = pool
        self.blocking = blocking
        self.scripts = pool.scripts
        self.cfg = pool.cfg
        self._claims: Coalescer[tuple[str, str], bytes | None] = Coalescer(
            self._claim_batch, max_batch, orphan=self._orphaned)
        self._acks: Coalescer[tuple[str, str, str, str], str] = Coalescer(self._ack_batch, max_batch)
        self._unacked: list[tuple[str, str, str, str]] = []

    async def take(self, caller: str, wait: float, interrupt: Interrupt | None = None) -> Claim | None:
        """Claims the head of the v1 queue, waiting up to `wait` seconds for one; None when none came.

        `interrupt`, called only if the queue is empty, returns an awaitable that ends the wait early (the client
        left, the server is stopping). Raises PoolUnavailable when Redis does not answer.
        """
        start = time.monotonic()
        try:
            return await self._take(caller, start + wait, interrupt)
        finally:  # every ask is timed: served, given up, failed on Redis or cancelled
            WAIT_SECONDS.observe(time.monotonic() - start)

    async def _take(self, caller: str, deadline: float, interrupt: Interrupt | None) -> Claim | None:
        for _ in range(MAX_INVALID_IN_A_ROW):
            lease = uuid7()
            raw = await self._claims.submit((lease, caller))
            remaining = deadline - time.monotonic()
            if raw is None and remaining >= MIN_WAIT_SECONDS:
                raw = await self._block(lease, caller, remaining, interrupt)
            if raw is None:
                return None
            claim = await self._accept(lease, caller, raw)
            if claim is not None:
                return claim
        return None

    async def _claim_batch(self, callers: list[tuple[str, str]]) -> list[bytes | None]:
        args: list[Any] = [self.cfg.lease_seconds]
        for lease, caller in callers:
            args += (lease, caller)
        with redis_guard("claim"):
            out = await self.scripts.claim(keys=[keys.QUEUE, keys.INFLIGHT, keys.LEASES], args=args)
        _DEPTH_V1.set(int(out[0]))
        bodies: list[bytes | None] = list(out[1:])
        return bodies + [None] * (len(callers) - len(bodies))

    async def _orphaned(self, caller: tuple[str, str], raw: bytes | None) -> None:
        """A claim whose caller was cancelled while its batch was in flight: never sent, so requeued."""
        if raw is None:
            return
        try:
            await self._requeue_lease(caller[0], "client_left")
        except PoolUnavailable:
            log.error("could not requeue an orphaned claim; its lease will expire into the dead-letter list",
                      extra={"lease": caller[0]})

    async def _block(self, lease: str, caller: str, wait: float, interrupt: Interrupt | None) -> bytes | None:
        with redis_guard("claim"):
            await self.scripts.wait(keys=[keys.WAITERS], args=[lease, wait])
        # Redis takes fractional timeouts; redis-py's annotation says int.
        timeout: Any = round(wait, 3)
        move = asyncio.ensure_future(self.blocking.blmove(keys.QUEUE, keys.claim(lease), timeout, "LEFT", "LEFT"))
        stop = asyncio.ensure_future(interrupt()) if interrupt else None
        try:
            done, _ = await asyncio.wait({move} | ({stop} if stop else set()), timeout=wait + BLOCK_MARGIN_SECONDS,
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self._abandon(move, lease)
            raise
        finally:
            if stop is not None:
                stop.cancel()
        if move not in done:
            await self._abandon(move, lease)
            EMPTY_WAITS.labels("interrupted" if stop in done else "timeout").inc()
            return None
        try:
            moved = move.result()
        except Exception as exc:
            EMPTY_WAITS.labels("error").inc()
            raise PoolUnavailable(describe(exc)) from exc
        if moved is None:
            EMPTY_WAITS.labels("timeout").inc()
            # The server answered the BLMOVE, so nothing can arrive in the claim list any more.
            with redis_guard("claim"):
                await self.pool.redis.zrem(keys.WAITERS, lease)
            return None
        EMPTY_WAITS.labels("served").inc()
        try:
            with redis_guard("claim"):
                got = await self.scripts.adopt(
                    keys=[keys.claim(lease), keys.WAITERS, keys.INFLIGHT, keys.LEASES, keys.QUEUE],
                    args=[lease, self.cfg.lease_seconds, caller])
        except asyncio.CancelledError:
            # Cancelled (a caller's deadline) while the adopt's reply was on its way: whether or not it ran, the
            # QAP was never sent, so it goes back to the head instead of expiring into the dead-letter list.
            await asyncio.shield(self._give_back(lease))
            raise
        if got is None:
            return None
        _DEPTH_V1.set(int(got[1]))
        body: bytes = got[0]
        return body

    async def _give_back(self, lease: str) -> None:
        """Requeues what a cancelled waiter holds: its lease if the adopt ran, else its claim list."""
        try:
            await self._requeue_lease(lease, "client_left")
            await self.scripts.release(keys=[keys.claim(lease), keys.QUEUE], args=[])
        except Exception:  # the lease expires into the dead-letter list, or the sweeper requeues the claim list
            log.error("could not give back a cancelled claim", extra={"lease": lease}, exc_info=True)

    async def _abandon(self, move: asyncio.Future[Any], lease: str) -> None:
        """Cancels a pending BLMOVE and gives back anything it already delivered."""
        move.cancel()
        await asyncio.gather(move, return_exceptions=True)
        try:
            released = await self.scripts.release(keys=[keys.claim(lease), keys.QUEUE], args=[])
        except Exception:  # the sweeper requeues it later: the waiter entry is still there
            log.warning("could not release an abandoned claim; the sweeper will", exc_info=True)
            return
        if released:
            REQUEUED.labels("abandoned_wait").inc(int(released))

    async def _accept(self, lease: str, caller: str, raw: bytes) -> Claim | None:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            problems = [Problem("qap", "stored value is not valid JSON", "invalid_json")]
        else:
            problems = validate_body(body)
        if not problems:
            return Claim(lease, caller, raw, body, tuple(r["cid"] for r in body["responses"]))
        with redis_guard("bury"):
            await self.scripts.bury(keys=[keys.INFLIGHT, keys.LEASES, keys.DEAD, keys.STATS],
                                    args=[lease, reasons(problems)[0], summary(problems), self.cfg.dead_letter_max])
        DEAD_LETTERED.labels("invalid_stored").inc()
        log.error("dead-lettered an invalid stored QAP", extra={"problems": summary(problems)})
        return None

    async def ack(self, claim: Claim) -> str:
        """The reply was sent: ends the lease and logs the delivery; returns the log entry id ("" for a repeat).

        If Redis does not answer, the acknowledgement is kept and retried by `maintain()`, so the delivery log
        stays complete across an outage (marked late if the lease expired meanwhile); PoolUnavailable is raised.
        """
        item = claim.ack_item()
        try:
            return await self._acks.submit(item)
        except PoolUnavailable:
            if len(self._unacked) < MAX_UNACKED:
                self._unacked.append(item)
            raise

    def ack_soon(self, claim: Claim) -> None:
        """`ack` without waiting for it: the HTTP reply is already sent, so nothing is left to do with the result.

        The acknowledgement rides on the next batch; if Redis does not answer it is kept for `maintain()` to retry,
        exactly as with `ack`. `close()` waits for acknowledgements still in flight.
        """
        item = claim.ack_item()
        self._acks.enqueue(item).add_done_callback(lambda done: self._acked(item, done))

    def _acked(self, item: tuple[str, str, str, str], done: asyncio.Future[str]) -> None:
        error = None if done.cancelled() else done.exception()
        if error is None and not done.cancelled():
            return
        if len(self._unacked) < MAX_UNACKED:
            self._unacked.append(item)
        log.warning("hand-out sent but not yet acknowledged; retried once Redis answers",
                    extra={"lease": item[0], "cids": item[3], "error": str(error or "cancelled")})

    async def maintain(self) -> tuple[int, int]:
        """Retries kept acknowledgements, then sweeps; returns (dead-lettered, requeued)."""
        await self._retry_unacked()
        return await self.sweep()

    async def _retry_unacked(self) -> None:
        while self._unacked:
            batch = self._unacked[:SWEEP_BATCH]
            await self._ack_batch(batch)
            del self._unacked[: len(batch)]
            log.info("late acknowledgements recorded", extra={"count": len(batch)})

    async def _ack_batch(self, items: list[tuple[str, str, str, str]]) -> list[str]:
        args: list[Any] = [self.cfg.delivery_log_max]
        for item in items:
            args += item
        with redis_guard("ack"):
            entries = await self.scripts.ack(
                keys=[keys.INFLIGHT, keys.LEASES, keys.DELIVERIES, keys.STATS, keys.EXPIRED], args=args)
        ids = [e.decode() if isinstance(e, bytes) else str(e) for e in entries]
        _HANDOUTS_V1.inc(sum(1 for i in ids if i))
        return ids

    async def requeue(self, claim: Claim, reason: str) -> bool:
        """The reply was certainly not sent: puts the QAP back at the head of the queue."""
        return await self._requeue_lease(claim.lease, reason)

    async def _requeue_lease(self, lease: str, reason: str) -> bool:
        with redis_guard("requeue"):
            done = bool(await self.scripts.requeue(keys=[keys.INFLIGHT, keys.LEASES, keys.QUEUE, keys.STATS],
                                                   args=[lease]))
        if done:
            REQUEUED.labels(reason).inc()
            log.info("requeued a claimed QAP", extra={"reason": reason, "lease": lease})
        return done

    async def close(self) -> None:
        """Finishes the claims and acknowledgements still in flight, and retries kept ones once more."""
        await self._claims.close()
        await self._acks.close()
        try:
            await self._retry_unacked()
        except PoolUnavailable:
            log.error("hand-outs sent but never acknowledged; their leases will expire into the dead-letter list",
                      extra={"count": len(self._unacked)})

    async def sweep(self) -> tuple[int, int]:
        """Dead-letters expired leases and requeues abandoned claims; returns (dead-lettered, requeued)."""
        with redis_guard("sweep"):
            dead, requeued = await self.scripts.sweep(
                keys=[keys.LEASES, keys.INFLIGHT, keys.DEAD, keys.STATS, keys.WAITERS, keys.QUEUE, keys.EXPIRED],
                args=[STALE_WAITER_SECONDS, self.cfg.dead_letter_max, SWEEP_BATCH, keys.CLAIM_PREFIX,
                      EXPIRED_KEEP_SECONDS])
        if dead:
            DEAD_LETTERED.labels("lease_expired").inc(int(dead))
            log.error("dead-lettered unacknowledged hand-outs", extra={"count": int(dead)})
        if requeued:
            REQUEUED.labels("abandoned_wait").inc(int(requeued))
            log.warning("requeued QAPs left by dead waiters", extra={"count": int(requeued)})
        return int(dead), int(requeued)
