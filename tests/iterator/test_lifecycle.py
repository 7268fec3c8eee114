"""The iterator in process: health, reflection, and a Solve that survives a graceful stop."""

from __future__ import annotations

from grpc_health.v1 import health_pb2

from services.common.clients import channel
from services.iterator.config import IteratorConfig
from services.iterator.server import build
from synthmesh.iterator.v1 import iterator_pb2 as pb
from synthmesh.iterator.v1 import iterator_pb2_grpc
from tests.lifecycle import health, model_request_arrives, reflected_services, stop_with_call_in_flight

from .conftest import OfflineModel, Running
from .test_strategies import ADD, RIGHT

SERVICE = "synthmesh.iterator.v1.IteratorService"


async def test_health_reflection_and_graceful_stop(executor: Running, offline_model: OfflineModel) -> None:
    config = IteratorConfig.from_env({"EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{executor.port}", "LLM_OFFLINE": "true",
                                      "OFFLINE_LLM_URL": f"{offline_model.url}/v1"})
    runtime = await build(config)
    port = await runtime.start("127.0.0.1:0")
    assert await health(port, SERVICE) == health_pb2.HealthCheckResponse.SERVING
    assert SERVICE in await reflected_services(port)
    # The model answers the first request after 3 s: the run is still in flight when the listener closes.
    model = await offline_model.script("lifecycle", [{"fault": "delay", "seconds": 3, "content": RIGHT}, RIGHT])
    arrived = await model_request_arrives(offline_model.client)
    request = pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_DIRECT, model=model)
    async with channel(f"127.0.0.1:{port}") as chan:
        stub = iterator_pb2_grpc.IteratorServiceStub(chan)

        async def result() -> pb.Result:
            final = pb.Result()
            async for item in stub.Solve(request):
                if item.HasField("result"):
                    final = item.result
            return final

        solved = await stop_with_call_in_flight(runtime, result, result, arrived)
    assert solved.solved and solved.usage.llm_calls == 1
