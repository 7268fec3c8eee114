"""The generator in process: health, reflection, and a GenerateQap that survives a graceful stop."""

from __future__ import annotations

from grpc_health.v1 import health_pb2

from services.common.clients import channel
from synthmesh.generator.v1 import generator_pb2 as pb
from synthmesh.generator.v1 import generator_pb2_grpc
from tests.lifecycle import health, model_request_arrives, reflected_services, stop_with_call_in_flight

from .conftest import GeneratorUnderTest, OfflineModel

SERVICE = "synthmesh.generator.v1.GeneratorService"


async def test_health_reflection_and_graceful_stop(generator: GeneratorUnderTest,
                                                   offline_model: OfflineModel) -> None:
    port = generator.runtime.port
    await generator.runtime.refresh_readiness()
    assert await health(port, SERVICE) == health_pb2.HealthCheckResponse.SERVING
    assert SERVICE in await reflected_services(port)
    # Every model request takes 300 ms: the generation is still running when the listener closes.
    await offline_model.client.post("/admin/config", json={"latency_ms": 300})
    arrived = await model_request_arrives(offline_model.client)
    async with channel(f"127.0.0.1:{port}") as chan:
        stub = generator_pb2_grpc.GeneratorServiceStub(chan)
        reply = await stop_with_call_in_flight(
            generator.runtime, lambda: stub.GenerateQap(pb.GenerateQapRequest(seed=77), timeout=120),
            lambda: stub.GenerateQap(pb.GenerateQapRequest(seed=78), timeout=5), arrived)
    await offline_model.client.post("/admin/config", json={"latency_ms": 0})
    assert reply.outcome == pb.OUTCOME_GENERATED, reply.message
