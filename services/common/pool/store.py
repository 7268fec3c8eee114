"""Writing, reading and inspecting the pool (pushes, peeks, v2 pops, depths and statistics).

Hand-outs of v1 QAPs, which need leases and blocking waits, live in `handout.py`; both share one `Scripts`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from services.common.pool import keys, scripts
from services.common.pool.codec import parse_question, v2_records
from services.common.pool.config import PoolConfig
from services.common.pool.errors import Duplicate, Rejected, redis_guard
from services.common.pool.ids import uuid7
from services.common.pool.metrics import DEAD_LETTERED, HANDOUTS, POOL_DEPTH, PUSHES, REJECTED_PUSHES
from services.common.pool.validation import Problem, ranked_cids, reasons, validate_body, validate_v2_ids

log = logging.getLogger(__name__)


class Kind(Enum):
    """Dojo's two layouts."""

    V1 = "v1"
    V2 = "v2"


class Scripts:
    """The Lua scripts, registered once on the command client (EVALSHA, reloaded after a Redis restart)."""

    def __init__(self, redis: Redis) -> None:
        def reg(source: str) -> AsyncScript:
            return redis.register_script(source)

        self.claim, self.wait, self.adopt = reg(scripts.CLAIM), reg(scripts.WAIT), reg(scripts.ADOPT)
        self.release = reg(scripts.RELEASE)
        self.ack, self.requeue, self.bury = reg(scripts.ACK), reg(scripts.REQUEUE), reg(scripts.BURY)
        self.sweep, self.bury_v2 = reg(scripts.SWEEP), reg(scripts.BURY_V2)
        self.push_v1, self.push_v2 = reg(scripts.PUSH_V1), reg(scripts.PUSH_V2)
        self.head_v2, self.pop_v2 = reg(scripts.HEAD_V2), reg(scripts.POP_V2)


@dataclass(frozen=True)
class Depth:
    """How many items sit in each part of the pool."""

    v1: int
    v2: int
    in_flight: int
    dead_letter: int


@dataclass(frozen=True)
class Delivery:
    """One entry of the delivery log."""

    id: str
    pool: str
    caller: str
    ids: list[str]
    time: float


@dataclass(frozen=True)
class Stats:
    """Counters shared by every replica, plus the newest deliveries."""

    depth: Depth
    counters: dict[str, int]
    rejected: dict[str, int]
    delivery_log_length: int
    recent: list[Delivery] = field(default_factory=list)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Pool:
    """The pool over one Redis client."""

    def __init__(self, redis: Redis, cfg: PoolConfig, scripts_: Scripts | None = None) -> None:
        self.redis = redis
        self.cfg = cfg
        self.scripts = scripts_ or Scripts(redis)

    async def ping(self) -> bool:
        """True when Redis answers PING."""
        with redis_guard("ping"):
            return bool(await self.redis.ping())

    async def record_rejection(self, problems: list[Problem]) -> None:
        """Counts a refused QAP once per reason, in Prometheus and in Redis (shared by every replica)."""
        found = reasons(problems)
        for reason in found:
            REJECTED_PUSHES.labels(reason).inc()
        with redis_guard("record_rejection"):
            pipe = self.redis.pipeline(transaction=False)
            for reason in found:
                pipe.hincrby(keys.REJECTED, reason, 1)
            await pipe.execute()

    async def push(self, body: Mapping[str, Any], kind: Kind) -> tuple[str, int]:
        """Validates and stores a QAP body; returns (id, depth of the target pool).

        The id is the uuid7 of the archive key for v1 and the qa_id for v2. Raises Rejected or Duplicate.
        """
        problems = validate_body(body) or (validate_v2_ids(body) if kind is Kind.V2 else [])
        if problems:
            await self.record_rejection(problems)
            raise Rejected(problems)
        raw, history_id, qa_id = orjson.dumps(body), uuid7(), ranked_cids(body)[0]
        ttl = self.cfg.history_ttl_seconds
        with redis_guard("push"):
            if kind is Kind.V1:
                depth = await self.scripts.push_v1(
                    keys=[keys.QUEUE, keys.history(history_id), keys.seen(qa_id), keys.STATS], args=[raw, ttl])
            else:
                rec = v2_records(body)
                depth = await self.scripts.push_v2(
                    keys=[keys.QUESTIONS, keys.answer(rec.qa_id), keys.answer(rec.ans_aug_id),
                          keys.history(history_id), keys.seen(qa_id), keys.STATS],
                    args=[rec.question, rec.answer, rec.augmented_answer, raw, ttl])
        if int(depth) < 0:
            await self.record_rejection([Problem("qap.responses", "already pushed", "duplicate")])
            raise Duplicate(qa_id)
        PUSHES.labels(kind.value).inc()
        POOL_DEPTH.labels(kind.value).set(int(depth))
        log.info("pushed", extra={"pool": kind.value, "qa_id": qa_id, "depth": int(depth)})
        return (history_id if kind is Kind.V1 else qa_id), int(depth)

    async def depth(self) -> Depth:
        """Current depths; also refreshes the synthmesh_pool_depth gauges."""
        with redis_guard("depth"):
            pipe = self.redis.pipeline(transaction=False)
            pipe.llen(keys.QUEUE)
            pipe.llen(keys.QUESTIONS)
            pipe.zcard(keys.LEASES)
            pipe.llen(keys.DEAD)
            v1, v2, in_flight, dead = (int(n) for n in await pipe.execute())
        for name, value in (("v1", v1), ("v2", v2), ("in_flight", in_flight), ("dead_letter", dead)):
            POOL_DEPTH.labels(name).set(value)
        return Depth(v1, v2, in_flight, dead)

    async def peek_v1(self, limit: int) -> list[bytes]:
        """Up to `limit` bodies from the head of the v1 queue, untouched."""
        with redis_guard("peek"):
            raws = await self.redis.lrange(keys.QUEUE, 0, limit - 1)
        return [raw if isinstance(raw, bytes) else raw.encode() for raw in raws]

    async def peek_v2(self, limit: int) -> list[tuple[str, bytes | None]]:
        """Up to `limit` (question, base-answer record) pairs from the head of the v2 list, untouched."""
        with redis_guard("peek"):
            raws = await self.redis.lrange(keys.QUESTIONS, 0, limit - 1)
            parsed = [parse_question(raw) for raw in raws]
            pipe = self.redis.pipeline(transaction=False)
            for p in parsed:
                pipe.get(keys.answer(p[1] if p else ""))
            answers = await pipe.execute()
        return [(p[0] if p else _text(raw), a if p else None) for p, raw, a in zip(parsed, raws, answers, strict=True)]

    async def head_v2(self, window: int = 64) -> tuple[str, str, str] | None:
        """The first listed v2 question (of the first `window`) whose two answers exist, or None.

        Nothing is removed (dojo-contract §10): a question whose answers are not written yet is skipped, as Dojo's
        Go client skips it, and so is a record Dojo could not use.
        """
        start = 0
        while start < window:
            with redis_guard("peek"):
                found = await self.scripts.head_v2(keys=[keys.QUESTIONS],
                                                   args=[keys.ANSWER_PREFIX, start, window - start])
            if found is None:
                return None
            question = parse_question(found[0])
            if question is not None:
                return question
            start = int(found[1]) + 1
        return None

    async def bury_unusable_v2(self, window: int = 64) -> int:
        """Dead-letters the records Dojo could never use among the first `window` listed v2 questions; how many.

        A question merely waiting for its answers stays. Another writer may list garbage: skipped by every peek,
        enough of it would hide the usable questions.
        """
        with redis_guard("peek"):
            raws = await self.redis.lrange(keys.QUESTIONS, 0, window - 1)
        buried = 0
        for raw in raws:
            if parse_question(raw) is not None:
                continue
            with redis_guard("bury"):
                buried += int(await self.scripts.bury_v2(
                    keys=[keys.QUESTIONS, keys.DEAD, keys.STATS],
                    args=[raw, "v2_invalid_question", "listed v2 record unusable by Dojo", self.cfg.dead_letter_max]))
        if buried:
            DEAD_LETTERED.labels("v2_invalid_question").inc(buried)
            log.error("dead-lettered unusable v2 records", extra={"count": buried})
        return buried

    async def pop_v2(self, qa_id: str, caller: str) -> str | None:
        """Removes the v2 question `qa_id` and both its answers; the delivery id, or None if it was not listed."""
        with redis_guard("pop"):
            removed, _deleted, delivery = await self.scripts.pop_v2(
                keys=[keys.QUESTIONS, keys.DELIVERIES, keys.STATS],
                args=[qa_id, keys.ANSWER_PREFIX, caller, self.cfg.delivery_log_max])
        if not int(removed):
            return None
        HANDOUTS.labels("v2").inc()
        return _text(delivery)

    async def stats(self, recent: int) -> Stats:
        """Depths, shared counters, rejections by reason, and the `recent` newest hand-outs."""
        depth = await self.depth()
        with redis_guard("stats"):
            pipe = self.redis.pipeline(transaction=False)
            pipe.hgetall(keys.STATS)
            pipe.hgetall(keys.REJECTED)
            pipe.xlen(keys.DELIVERIES)
            if recent:
                pipe.xrevrange(keys.DELIVERIES, count=recent)
            else:
                pipe.xlen(keys.DELIVERIES)
            counters, rejected, length, entries = await pipe.execute()
        deliveries = [
            Delivery(id=_text(entry_id), pool=_text(f.get(b"pool", b"")), caller=_text(f.get(b"caller", b"")),
                     ids=[i for i in _text(f.get(b"ids", b"")).split(",") if i],
                     time=int(_text(entry_id).split("-")[0]) / 1000)
            for entry_id, f in (entries if recent else [])
        ]
        return Stats(depth=depth, counters={_text(k): int(v) for k, v in counters.items()},
                     rejected={_text(k): int(v) for k, v in rejected.items()},
                     delivery_log_length=int(length), recent=deliveries)
