"""Every injected LLM fault is retried or ends in a drop with its reason, and the generator stays up."""

from __future__ import annotations

import dataclasses

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from synthmesh.generator.v1 import generator_pb2 as pb
from tests.procs import free_port
from tests.redisproc import RedisProcess

from .conftest import (
    GeneratorUnderTest,
    IteratorService,
    OfflineModel,
    PoolGateway,
    Running,
    generator_config,
    start_generator,
)

SERVICE = "synthmesh.generator.v1.GeneratorService"


async def fault(offline: OfflineModel, kind: str, count: int | None = 1, step: str | None = None) -> None:
    reply = await offline.client.post("/admin/faults", json={"kind": kind, "count": count, "step": step})
    reply.raise_for_status()


async def generate(gen: GeneratorUnderTest, seed: int) -> pb.GenerateQapResponse:
    return await gen.stub.GenerateQap(pb.GenerateQapRequest(topic=pb.TOPIC_ANIMATION, seed=seed), timeout=300)


@pytest.mark.parametrize("kind", ["429", "503", "malformed", "truncate"])
async def test_a_transient_fault_is_retried_and_the_qap_still_built(generator: GeneratorUnderTest,
                                                                    offline_model: OfflineModel, kind: str) -> None:
    # One fault on the answer step: the adapter retries HTTP errors; complete_json repairs malformed/cut JSON.
    await fault(offline_model, kind, count=1, step="answer")
    reply = await generate(generator, seed=100 + len(kind))
    assert reply.outcome == pb.OUTCOME_GENERATED, reply.message
    faulted = [r for r in await offline_model.requests() if r.get("fault")]
    assert len(faulted) == 1


@pytest.mark.parametrize(("kind", "reason"), [("500", "llm_server_error"), ("malformed", "llm_malformed_output")])
async def test_a_persistent_fault_drops_the_qap_with_its_reason(generator: GeneratorUnderTest,
                                                                offline_model: OfflineModel, kind: str,
                                                                reason: str) -> None:
    await fault(offline_model, kind, count=None, step="question" if kind != "malformed" else "answer")
    reply = await generate(generator, seed=200)
    assert reply.outcome == pb.OUTCOME_DROPPED and reply.drop_reason == reason, reply.message
    assert not reply.HasField("qap")
    await offline_model.client.post("/admin/reset")
    await offline_model.client.post("/admin/config", json={"broken_rate": 0.0})
    assert (await generate(generator, seed=201)).outcome == pb.OUTCOME_GENERATED


async def test_an_auth_failure_turns_the_generator_not_serving_without_killing_it(
        generator: GeneratorUnderTest, offline_model: OfflineModel) -> None:
    await fault(offline_model, "401", count=1, step="question")
    reply = await generate(generator, seed=300)
    assert reply.outcome == pb.OUTCOME_DROPPED and reply.drop_reason == "llm_auth"
    health = health_pb2_grpc.HealthStub(generator.channel)
    await generator.runtime.refresh_readiness()  # the readiness loop polls every 2 s; look now
    status = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE))
    assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
    # Still up: the next call succeeds, which clears the alert, and the service is ready again.
    assert (await generate(generator, seed=301)).outcome == pb.OUTCOME_GENERATED
    await generator.runtime.refresh_readiness()
    status = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE))
    assert status.status == health_pb2.HealthCheckResponse.SERVING


async def test_redis_down_drops_the_qap_with_a_reason_instead_of_failing_the_call(
        executor: Running, iterator: IteratorService, offline_model: OfflineModel, pool_gateway: PoolGateway) -> None:
    # The generator reads recent questions (near-duplicate check) from Redis before paying for answers.
    config = generator_config(executor, iterator, offline_model, pool_gateway, f"redis://127.0.0.1:{free_port()}",
                              REDIS_CONNECT_TIMEOUT="0.2")
    replica = await start_generator(config)
    try:
        reply = await generate(replica, seed=400)
        assert reply.outcome == pb.OUTCOME_DROPPED and reply.drop_reason == "pool_unavailable", reply.message
        assert replica.generator.dropped["pool_unavailable"] == 1
    finally:
        await replica.close()


async def test_a_qap_over_its_deadline_is_dropped_with_the_calls_it_spent(
        executor: Running, iterator: IteratorService, offline_model: OfflineModel, pool_gateway: PoolGateway,
        redis_server: RedisProcess, clean_pool: Redis) -> None:
    # The answer step hangs past the QAP's deadline; the question and augmentation calls were already paid for.
    await offline_model.client.post("/admin/faults", json={"kind": "delay", "seconds": 15, "step": "answer"})
    config = generator_config(executor, iterator, offline_model, pool_gateway, redis_server.url,
                              GENERATOR_QAP_DEADLINE_SECONDS="10")
    replica = await start_generator(config)
    try:
        request = pb.GenerateQapRequest(seed=500, augment_type=pb.AUGMENT_TYPE_CHANGE_ANSWERS)
        reply = await replica.stub.GenerateQap(request, timeout=60)
    finally:
        await replica.close()
    assert reply.outcome == pb.OUTCOME_DROPPED and reply.drop_reason == "deadline", reply.message
    assert reply.llm_calls >= 1 and reply.tokens > 0


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_qap_the_pool_cannot_take_is_a_push_failure_not_a_drop(
        executor: Running, iterator: IteratorService, offline_model: OfflineModel, pool_gateway: PoolGateway,
        redis_server: RedisProcess, clean_pool: Redis) -> None:
    nowhere = dataclasses.replace(pool_gateway, address=f"127.0.0.1:{free_port()}")  # no PoolService there
    replica = await start_generator(generator_config(executor, iterator, offline_model, nowhere, redis_server.url))
    counts = {"generated": sample("synthmesh_generator_qaps_total", outcome="generated"),
              "dropped": sample("synthmesh_qap_dropped_total", reason="pool_unavailable"),
              "push failed": sample("synthmesh_generator_push_failures_total", reason="pool_unavailable")}
    try:
        reply = await replica.stub.GenerateQap(pb.GenerateQapRequest(seed=600, push=True), timeout=120)
        stats = await replica.stub.GetStats(pb.GetStatsRequest(), timeout=30)
    finally:
        await replica.close()
    assert stats.generated_total == 1 and dict(stats.push_failures_total) == {"pool_unavailable": 1}
    assert "pool_unavailable" not in stats.dropped_total
    assert reply.outcome == pb.OUTCOME_GENERATED and not reply.pushed
    assert reply.message.startswith("pool_unavailable: "), reply.message
    assert sample("synthmesh_generator_qaps_total", outcome="generated") == counts["generated"] + 1
    assert sample("synthmesh_qap_dropped_total", reason="pool_unavailable") == counts["dropped"]
    assert sample("synthmesh_generator_push_failures_total", reason="pool_unavailable") == counts["push failed"] + 1
