"""The generator's moving parts wired together: build a QAP, push it, account for it, keep the pool full."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from dataclasses import dataclass
from pathlib import Path

import grpc
from redis.exceptions import RedisError

from services.common.clients import channel
from services.common.errors import call_failure_details
from services.common.llm import LlmClient
from services.common.redis_conn import create_client
from services.generator import metrics
from services.generator.config import GeneratorConfig
from services.generator.dedupe import Deduper
from services.generator.pipeline import Outcome, Pipeline, Request
from services.generator.refill import Refiller, Reservations, Round
from services.generator.verify import Verifier
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2_grpc
from synthmesh.pool.v1 import pool_pb2, pool_pb2_grpc

log = logging.getLogger(__name__)
PERSONAS = Path(__file__).resolve().parent / "data" / "personas.txt"
POOLS = {"v1": pool_pb2.POOL_KIND_V1, "v2": pool_pb2.POOL_KIND_V2}
# Drops caused by the world (LLM or service outages, a fault of the mesh): the refill loop backs off exponentially
# and GetStats shows the last one; drops of unusable LLM output only pause the loop briefly.
OUTAGE_PREFIXES = ("llm_", "executor_", "iterator_", "pool_", "internal_")
# Why the pool did not take a QAP, by the PoolService's status; anything else means it could not be reached.
PUSH_REASONS = {grpc.StatusCode.INVALID_ARGUMENT: "push_rejected", grpc.StatusCode.ALREADY_EXISTS: "duplicate"}


def load_personas(path: Path = PERSONAS) -> list[str]:
    """The bundled personas (one per line; # comments)."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@dataclass
class Pushed:
    """The result of pushing a QAP."""

    ok: bool
    reason: str = ""
    message: str = ""


class Generator:
    """Builds, pushes and accounts QAPs; owns the refill loop."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.llm = LlmClient(config.llm)
        self.redis = create_client(config.redis)
        self.channels = [channel(a) for a in (config.executor_address, config.iterator_address,
                                              config.gateway_address)]
        self.executor = executor_pb2_grpc.ExecutorServiceStub(self.channels[0])
        self.iterator = iterator_pb2_grpc.IteratorServiceStub(self.channels[1])
        self.pool = pool_pb2_grpc.PoolServiceStub(self.channels[2])
        verifier = Verifier(self.executor, self.iterator, config.llm.role("fixer").model,
                            config.repair_attempts, config.repair_budget_calls, config.settle_seconds)
        self.deduper = Deduper(self.redis, config.dedupe_threshold, config.dedupe_window)
        self.pipeline = Pipeline(self.llm, verifier, self.deduper, load_personas(), config.topic_weights)
        self.refiller = Refiller(Reservations(self.redis, config.lease_seconds),
                                 {"v1": config.target_v1, "v2": config.target_v2}, config.workers, config.replica_id,
                                 self._refill_one)
        self.generated = 0
        self.dropped: Tally[str] = Tally()
        self.push_failures: Tally[str] = Tally()
        self.last_error = ""
        self._resume: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Imports litellm and starts the refill loop (when enabled)."""
        await self.llm.start()
        if self.config.refill:
            self.refiller.start()
            metrics.REFILLING.set(1)

    async def close(self) -> None:
        """Stops the loop and closes every connection."""
        await self.refiller.stop()
        if self._resume is not None:
            self._resume.cancel()
        metrics.REFILLING.set(0)
        for chan in self.channels:
            await chan.close()
        await self.redis.aclose()

    async def build(self, request: Request) -> Outcome:
        """Builds one QAP under the overall deadline and records its metrics."""
        outcome = Outcome()
        try:
            await asyncio.wait_for(self.pipeline.build(request, outcome), self.config.qap_deadline_seconds)
        except TimeoutError:
            # The calls and tokens spent so far stay on the record of the dropped QAP.
            outcome.qap, outcome.drop_reason = None, "deadline"
            outcome.message = f"over {self.config.qap_deadline_seconds:g} s"
        except Exception as exc:
            # A fault of the mesh, not of the LLM's output: dropped and counted like any other drop, with the
            # traceback in the log, instead of escaping uncounted.
            log.exception("qap build failed")
            outcome.qap, outcome.drop_reason = None, "internal_error"
            outcome.message = f"{type(exc).__name__}: {exc}"
        self._account(outcome)
        return outcome

    def _account(self, outcome: Outcome) -> None:
        for stage, seconds in outcome.timings.items():
            metrics.STAGE_SECONDS.labels(stage).observe(seconds)
        metrics.LLM_CALLS.observe(outcome.usage.calls)
        metrics.TOKENS.observe(outcome.usage.total_tokens)
        for _cid, _rank, check in outcome.checks:
            if check.repair_attempts:
                metrics.REPAIRS.labels("attempted").inc(check.repair_attempts)
                if check.clean:
                    metrics.REPAIRS.labels("succeeded").inc()
        if outcome.qap is not None:
            self.generated += 1
            metrics.QAPS.labels("generated").inc()
            metrics.TOPICS.labels(outcome.topic).inc()
        else:
            self.dropped[outcome.drop_reason] += 1
            metrics.QAPS.labels("dropped").inc()
            metrics.DROPPED.labels(outcome.drop_reason).inc()
            log.info("qap dropped", extra={"reason": outcome.drop_reason, "detail": outcome.message[:500]})
            if outcome.drop_reason.startswith(OUTAGE_PREFIXES):
                self.last_error = f"{outcome.drop_reason}: {outcome.message[:300]}"

    async def push(self, qap: pool_pb2.Qap, pool: str, question: str) -> Pushed:
        """Pushes through the gateway's PoolService (which validates against Dojo's rules again)."""
        try:
            await self.pool.Push(pool_pb2.PushRequest(pool=POOLS[pool], qap=qap), timeout=30)
        except grpc.aio.AioRpcError as exc:
            details = call_failure_details(exc)
            reason = PUSH_REASONS.get(exc.code(), "pool_unavailable")
            self.push_failures[reason] += 1
            metrics.PUSH_FAILURES.labels(reason).inc()
            log.warning("push failed", extra={"reason": reason, "detail": details})
            return Pushed(False, reason, details)
        metrics.PUSHED.labels(pool).inc()
        try:
            await self.deduper.remember(question)
        except RedisError as exc:
            # The QAP is pooled; only later near-duplicate checks will miss this question.
            log.warning("pushed, but the question was not remembered for duplicate checks", extra={"error": str(exc)})
        log.info("pushed qap", extra={"pool": pool, "cids": list(qap.ground_truth)})
        return Pushed(True)

    async def _refill_one(self, pool: str) -> Round:
        """One refill round, and how it ended (the loop pauses after drops and backs off after outages)."""
        outcome = await self.build(Request())
        if outcome.qap is None:
            if outcome.drop_reason in ("llm_auth", "llm_credit"):
                self._pause_after_fatal()
            return Round.OUTAGE if outcome.drop_reason.startswith(OUTAGE_PREFIXES) else Round.DROPPED
        pushed = await self.push(outcome.qap, pool, outcome.question)
        if pushed.ok:
            return Round.POOLED
        return Round.OUTAGE if pushed.reason == "pool_unavailable" else Round.DROPPED

    def _pause_after_fatal(self) -> None:
        """Auth or credit failure: take no pool place for a while (readiness shows NOT_SERVING), then try again.

        The round returns at once, so its reserved place goes back to the other replicas during the pause.
        """
        self.refiller.paused = True
        metrics.REFILLING.set(0)
        log.error("LLM provider refused our credentials or credit; refilling paused", extra={"error": self.last_error})
        if self._resume is not None:
            self._resume.cancel()
        self._resume = asyncio.get_running_loop().call_later(self.config.fatal_pause_seconds, self._resume_refilling)

    def _resume_refilling(self) -> None:
        self._resume = None
        self.refiller.paused = False
        metrics.REFILLING.set(1)
