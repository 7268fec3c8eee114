"""The gRPC PoolService over the pool library, and the gRPC runtime that hosts it in the gateway process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
import orjson
from grpc import aio

from services.common.errors import Violations, abort_invalid, error_status
from services.common.pool.codec import body_to_qap, qap_to_body, v2_to_qap
from services.common.pool.errors import Duplicate, PoolUnavailable, Rejected
from services.common.pool.handout import HandOuts
from services.common.pool.store import Kind, Pool
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings
from synthmesh.pool.v1 import pool_pb2, pool_pb2_grpc

SERVICE_NAME = "synthmesh.pool.v1.PoolService"
MAX_POP_WAIT_SECONDS = 110.0
MAX_PEEK = 100
Context = aio.ServicerContext[Any, Any]
T = TypeVar("T")

_KINDS = {pool_pb2.POOL_KIND_UNSPECIFIED: Kind.V1, pool_pb2.POOL_KIND_V1: Kind.V1, pool_pb2.POOL_KIND_V2: Kind.V2}
_KIND_NAMES = {"v1": pool_pb2.POOL_KIND_V1, "v2": pool_pb2.POOL_KIND_V2}


async def _unavailable(context: Context, exc: PoolUnavailable) -> NoReturn:
    await context.abort_with_status(
        error_status(grpc.StatusCode.UNAVAILABLE, f"QAP pool unavailable: {exc}", "POOL_UNAVAILABLE", 1.0))
    raise AssertionError("unreachable: abort_with_status raises")


async def _guarded(context: Context, call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except PoolUnavailable as exc:
        await _unavailable(context, exc)


def _kind(value: int, violations: Violations) -> Kind:
    kind = _KINDS.get(value)  # type: ignore[call-overload]
    violations.require(kind is not None, "pool", f"unknown pool kind {value}")
    return kind or Kind.V1


class PoolServicer(pool_pb2_grpc.PoolServiceServicer):
    """Reads and writes the QAP pool for the generator and the CLI."""

    def __init__(self, pool: Pool, handouts: HandOuts) -> None:
        self.pool = pool
        self.handouts = handouts

    async def GetDepth(self, request: pool_pb2.GetDepthRequest, context: Context) -> pool_pb2.GetDepthResponse:
        """Depths of the v1 queue, the v2 list and the in-flight hand-outs."""
        depth = await _guarded(context, self.pool.depth)
        return pool_pb2.GetDepthResponse(v1=depth.v1, v2=depth.v2, in_flight=depth.in_flight)

    async def Push(self, request: pool_pb2.PushRequest, context: Context) -> pool_pb2.PushResponse:
        """Validates and stores one QAP; INVALID_ARGUMENT with field violations when Dojo would reject it."""
        violations = Violations()
        kind = _kind(request.pool, violations)
        violations.require(request.HasField("qap"), "qap", "required")
        if violations:
            await abort_invalid(context, violations, "invalid push")
        try:
            qap_id, depth = await self.pool.push(qap_to_body(request.qap), kind)
        except Rejected as exc:
            for problem in exc.problems:
                violations.add(f"qap.{problem.field}" if problem.field != "qap" else "qap", problem.description)
            await abort_invalid(context, violations, "QAP rejected by Dojo's rules")
        except Duplicate as exc:
            await context.abort_with_status(
                error_status(grpc.StatusCode.ALREADY_EXISTS, str(exc), "DUPLICATE_QAP", qa_id=exc.qa_id))
        except PoolUnavailable as exc:
            await _unavailable(context, exc)
        return pool_pb2.PushResponse(id=qap_id, depth=depth)

    async def Pop(self, request: pool_pb2.PopRequest, context: Context) -> pool_pb2.PopResponse:
        """Hands out the head of the v1 queue (acknowledged before replying) or removes a v2 pair."""
        violations = Violations()
        kind = _kind(request.pool, violations)
        caller = request.caller or f"grpc:{context.peer()}"
        if kind is Kind.V2:
            violations.require(bool(request.qa_id), "qa_id", "required for the v2 pool")
        else:
            violations.require(0 <= request.wait_seconds <= MAX_POP_WAIT_SECONDS, "wait_seconds",
                               f"must lie in [0, {MAX_POP_WAIT_SECONDS:g}]")
        if violations:
            await abort_invalid(context, violations, "invalid pop")
        if kind is Kind.V2:
            delivery = await _guarded(context, lambda: self.pool.pop_v2(request.qa_id, caller))
            return pool_pb2.PopResponse(found=delivery is not None, delivery_id=delivery or "")
        claim = await _guarded(context, lambda: self.handouts.take(caller, request.wait_seconds))
        if claim is None:
            return pool_pb2.PopResponse(found=False)
        if context.cancelled():
            await _guarded(context, lambda: self.handouts.requeue(claim, "client_left"))
            return pool_pb2.PopResponse(found=False)
        # gRPC offers no hook after the reply is written, so the hand-out is acknowledged just before it. If Redis
        # stops answering now, the QAP is still delivered: the acknowledgement is kept and retried (HandOuts.ack).
        try:
            delivery = await self.handouts.ack(claim)
        except PoolUnavailable:
            delivery = ""
        return pool_pb2.PopResponse(found=True, qap=body_to_qap(claim.body), delivery_id=delivery)

    async def Peek(self, request: pool_pb2.PeekRequest, context: Context) -> pool_pb2.PeekResponse:
        """Up to `limit` QAPs from the head of a pool, untouched."""
        violations = Violations()
        kind = _kind(request.pool, violations)
        violations.require(0 <= request.limit <= MAX_PEEK, "limit", f"must lie in [0, {MAX_PEEK}]")
        if violations:
            await abort_invalid(context, violations, "invalid peek")
        limit = request.limit or 1
        if kind is Kind.V1:
            raws = await _guarded(context, lambda: self.pool.peek_v1(limit))
            return pool_pb2.PeekResponse(qaps=[body_to_qap(_decode(raw)) for raw in raws])
        pairs = await _guarded(context, lambda: self.pool.peek_v2(limit))
        return pool_pb2.PeekResponse(qaps=[v2_to_qap(question, answer) for question, answer in pairs])

    async def GetStats(self, request: pool_pb2.GetStatsRequest, context: Context) -> pool_pb2.GetStatsResponse:
        """Depths, shared counters and the newest deliveries."""
        if not 0 <= request.recent_deliveries <= MAX_PEEK:
            violations = Violations()
            violations.add("recent_deliveries", f"must lie in [0, {MAX_PEEK}]")
            await abort_invalid(context, violations, "invalid stats request")
        stats = await _guarded(context, lambda: self.pool.stats(request.recent_deliveries))
        depth = pool_pb2.GetDepthResponse(v1=stats.depth.v1, v2=stats.depth.v2, in_flight=stats.depth.in_flight)
        counters = stats.counters
        return pool_pb2.GetStatsResponse(
            depth=depth,
            pushed_total=counters.get("pushed_v1", 0) + counters.get("pushed_v2", 0),
            handed_out_total=counters.get("handed_out_v1", 0) + counters.get("handed_out_v2", 0),
            rejected_total=stats.rejected,
            delivery_log_length=stats.delivery_log_length,
            recent=[pool_pb2.Delivery(id=d.id, pool=_KIND_NAMES.get(d.pool, pool_pb2.POOL_KIND_UNSPECIFIED),
                                      caller=d.caller, ids=d.ids, time=d.time) for d in stats.recent])


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def create_runtime(settings: ServerSettings, pool: Pool, handouts: HandOuts) -> ServiceRuntime:
    """The gateway's gRPC server: PoolService, health (SERVING while Redis answers PING) and reflection."""
    runtime = ServiceRuntime(settings, [SERVICE_NAME])
    pool_pb2_grpc.add_PoolServiceServicer_to_server(PoolServicer(pool, handouts), runtime.server)

    async def redis_answers() -> bool:
        try:
            return await pool.ping()
        except PoolUnavailable:
            return False

    runtime.readiness(redis_answers)
    return runtime
