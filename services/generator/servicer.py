"""GeneratorService: build a QAP on demand (optionally pushing it), and report the loop's statistics."""

from __future__ import annotations

from typing import Any

import grpc
from grpc import aio

from services.common.errors import Violations, abort_invalid
from services.generator.generator import POOLS, Generator
from services.generator.pipeline import Request
from synthmesh.generator.v1 import generator_pb2 as pb
from synthmesh.generator.v1 import generator_pb2_grpc
from synthmesh.pool.v1 import pool_pb2

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["GeneratorService"].full_name
TOPICS = {pb.TOPIC_ANIMATION: "ANIMATION", pb.TOPIC_SCIENCE: "SCIENCE", pb.TOPIC_GAMES: "GAMES"}
AUGMENTS = {pb.AUGMENT_TYPE_CHANGE_QUESTIONS: "CHANGE_QUESTIONS", pb.AUGMENT_TYPE_CHANGE_ANSWERS: "CHANGE_ANSWERS"}


class GeneratorServicer(generator_pb2_grpc.GeneratorServiceServicer):
    """On-demand QAPs and statistics."""

    def __init__(self, generator: Generator) -> None:
        self.generator = generator

    async def GenerateQap(self, request: pb.GenerateQapRequest,
                          context: aio.ServicerContext[Any, Any]) -> pb.GenerateQapResponse:
        """Builds one QAP; a QAP that cannot be trusted is an outcome (DROPPED with its reason)."""
        violations = Violations()
        if request.topic and request.topic not in TOPICS:
            violations.add("topic", "unknown topic")
        if request.augment_type and request.augment_type not in AUGMENTS:
            violations.add("augment_type", "unknown augment type")
        if request.pool not in (pool_pb2.POOL_KIND_UNSPECIFIED, *POOLS.values()):
            violations.add("pool", "unknown pool")
        if len(request.persona) > 2000:
            violations.add("persona", "at most 2000 characters")
        if request.seed < 0:
            violations.add("seed", "must not be negative")
        if violations:
            await abort_invalid(context, violations, "invalid GenerateQapRequest")
        outcome = await self.generator.build(Request(topic=TOPICS.get(request.topic, ""),
                                                     augment_type=AUGMENTS.get(request.augment_type, ""),
                                                     persona=request.persona, seed=request.seed))
        response = pb.GenerateQapResponse(
            outcome=pb.OUTCOME_GENERATED if outcome.qap else pb.OUTCOME_DROPPED, drop_reason=outcome.drop_reason,
            message=outcome.message[:2000], llm_calls=outcome.usage.calls, tokens=outcome.usage.total_tokens,
            timings=[pb.StageTiming(stage=k, seconds=v) for k, v in outcome.timings.items()],
            checks=[pb.AnswerCheck(cid=cid, rank=rank, errors_before=c.errors_before, errors_after=c.errors_after,
                                   repair_attempts=c.repair_attempts) for cid, rank, c in outcome.checks])
        if outcome.qap is not None:
            response.qap.CopyFrom(outcome.qap)
            if request.push:
                pool = "v2" if request.pool == pool_pb2.POOL_KIND_V2 else "v1"
                pushed = await self.generator.push(outcome.qap, pool, outcome.question)
                response.pushed = pushed.ok
                if not pushed.ok:
                    response.message = f"{pushed.reason}: {pushed.message}"[:2000]
        return response

    async def GetStats(self, request: pb.GetStatsRequest,
                       context: aio.ServicerContext[Any, Any]) -> pb.GetStatsResponse:
        """This replica's counters, targets, the pool's depth and the models per role."""
        g = self.generator
        depth = {}
        try:
            reply = await g.pool.GetDepth(pool_pb2.GetDepthRequest(), timeout=5)
            depth = {"v1": reply.v1, "v2": reply.v2}
        except grpc.aio.AioRpcError:
            pass
        return pb.GetStatsResponse(
            generated_total=g.generated, dropped_total=dict(g.dropped), push_failures_total=dict(g.push_failures),
            in_progress=g.refiller.in_progress,
            target_depth={"v1": g.config.target_v1, "v2": g.config.target_v2}, depth=depth,
            refilling=g.config.refill and not g.refiller.paused, last_error=g.last_error,
            models={role: ",".join(g.config.llm.role(role).models)
                    for role in ("question", "augment", "answer", "fixer")})
