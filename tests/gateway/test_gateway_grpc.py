"""The gRPC PoolService hosted by the gateway: health, reflection, rich errors and the five RPCs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from redis.asyncio import Redis

from services.common.clients import channel
from services.common.env import Env
from services.common.errors import field_violations
from services.common.pool import keys
from services.common.pool.codec import body_to_qap, qap_to_body
from services.common.settings import ServerSettings
from services.gateway.poolservice import SERVICE_NAME, create_runtime
from synthmesh.pool.v1 import pool_pb2, pool_pb2_grpc
from tests.gateway.conftest import Gateway, open_gateway
from tests.qaps import cids_of, make_body
from tests.redisproc import RedisProcess, free_port


@dataclass
class Rpc:
    stub: pool_pb2_grpc.PoolServiceAsyncStub
    channel: aio.Channel
    redis: Redis


@pytest.fixture
async def rpc(redis_server: RedisProcess, redis: Redis) -> AsyncIterator[Rpc]:
    async with _served(redis_server.url) as (chan, gw):
        yield Rpc(pool_pb2_grpc.PoolServiceStub(chan), chan, gw.redis)


@contextlib.asynccontextmanager
async def _served(url: str) -> AsyncIterator[tuple[aio.Channel, Gateway]]:
    """The gateway's gRPC runtime on 127.0.0.1:0 over the pool at `url`, and a channel to it."""
    async with open_gateway(url) as gw:
        settings = ServerSettings.from_env(Env({"DRAIN_SECONDS": "0", "GRACE_SECONDS": "1"}), "gateway")
        runtime = create_runtime(settings, gw.pool, gw.handouts)
        chan = channel(f"127.0.0.1:{await runtime.start('127.0.0.1:0')}")
        try:
            yield chan, gw
        finally:
            await chan.close()
            await runtime.stop(drain=0, grace=0)


async def _health(chan: aio.Channel) -> int:
    reply = await health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME),
                                                         timeout=5)
    return int(reply.status)


async def test_serving_while_redis_answers_and_listed_by_reflection(rpc: Rpc) -> None:
    assert await _health(rpc.channel) == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(rpc.channel)
    replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name async for reply in replies for s in reply.list_services_response.service}
    assert SERVICE_NAME in names and "grpc.health.v1.Health" in names


async def test_not_serving_when_redis_does_not_answer(redis: Redis) -> None:
    async with _served(f"redis://127.0.0.1:{free_port()}") as (chan, _):
        assert await _health(chan) == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_push_pop_peek_stats_round_trip(rpc: Rpc) -> None:
    bodies = [make_body(), make_body("CHANGE_ANSWERS")]
    for i, body in enumerate(bodies, 1):
        pushed = await rpc.stub.Push(pool_pb2.PushRequest(pool=pool_pb2.POOL_KIND_V1, qap=body_to_qap(body)),
                                     timeout=5)
        assert pushed.depth == i and await rpc.redis.exists(keys.history(pushed.id))
    peeked = await rpc.stub.Peek(pool_pb2.PeekRequest(pool=pool_pb2.POOL_KIND_V1, limit=5), timeout=5)
    assert [qap_to_body(q) for q in peeked.qaps] == bodies
    popped = await rpc.stub.Pop(pool_pb2.PopRequest(caller="cli", wait_seconds=0), timeout=5)
    assert popped.found and qap_to_body(popped.qap) == bodies[0] and popped.delivery_id
    depth = await rpc.stub.GetDepth(pool_pb2.GetDepthRequest(), timeout=5)
    assert (depth.v1, depth.v2, depth.in_flight) == (1, 0, 0)
    stats = await rpc.stub.GetStats(pool_pb2.GetStatsRequest(recent_deliveries=10), timeout=5)
    assert (stats.pushed_total, stats.handed_out_total, stats.delivery_log_length) == (2, 1, 1)
    assert stats.recent[0].caller == "cli" and list(stats.recent[0].ids) == cids_of(bodies[0])
    assert stats.recent[0].pool == pool_pb2.POOL_KIND_V1


async def test_v2_push_and_pop(rpc: Rpc) -> None:
    body = make_body()
    pushed = await rpc.stub.Push(pool_pb2.PushRequest(pool=pool_pb2.POOL_KIND_V2, qap=body_to_qap(body)), timeout=5)
    assert pushed.id == cids_of(body)[0]
    peeked = await rpc.stub.Peek(pool_pb2.PeekRequest(pool=pool_pb2.POOL_KIND_V2), timeout=5)
    assert peeked.qaps[0].prompt == body["prompt"] and peeked.qaps[0].responses[0].cid == pushed.id
    request = pool_pb2.PopRequest(pool=pool_pb2.POOL_KIND_V2, qa_id=pushed.id, caller="go-dojo")
    assert (await rpc.stub.Pop(request, timeout=5)).found
    assert not (await rpc.stub.Pop(request, timeout=5)).found


async def test_an_invalid_push_is_refused_with_field_violations(rpc: Rpc) -> None:
    body = make_body()
    body["ground_truth"][cids_of(body)[3]] = 9
    body["metadata"]["augment_type"] = "UNIFIED"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.stub.Push(pool_pb2.PushRequest(qap=body_to_qap(body)), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = dict(field_violations(err.value))
    assert set(fields) == {"qap.ground_truth", "qap.metadata.augment_type"}
    assert "0..3" in fields["qap.ground_truth"]
    assert await rpc.redis.llen(keys.QUEUE) == 0
    assert await rpc.redis.hgetall(keys.REJECTED) == {b"ranks": b"1", b"augment_type": b"1"}


@pytest.mark.parametrize(("request_", "field"), [
    (pool_pb2.PushRequest(pool=7), "pool"),  # type: ignore[arg-type]
    (pool_pb2.PushRequest(), "qap"),
    (pool_pb2.PopRequest(wait_seconds=500), "wait_seconds"),
    (pool_pb2.PopRequest(pool=pool_pb2.POOL_KIND_V2), "qa_id"),
    (pool_pb2.PeekRequest(limit=1000), "limit"),
    (pool_pb2.GetStatsRequest(recent_deliveries=-1), "recent_deliveries"),
])
async def test_bad_requests_name_the_field(rpc: Rpc, request_: object, field: str) -> None:
    method = {pool_pb2.PushRequest: rpc.stub.Push, pool_pb2.PopRequest: rpc.stub.Pop,
              pool_pb2.PeekRequest: rpc.stub.Peek, pool_pb2.GetStatsRequest: rpc.stub.GetStats}[type(request_)]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await method(request_, timeout=5)  # type: ignore[operator]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in dict(field_violations(err.value))


async def test_a_duplicate_push_already_exists(rpc: Rpc) -> None:
    qap = body_to_qap(make_body())
    await rpc.stub.Push(pool_pb2.PushRequest(qap=qap), timeout=5)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await rpc.stub.Push(pool_pb2.PushRequest(qap=qap), timeout=5)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert await rpc.redis.llen(keys.QUEUE) == 1
