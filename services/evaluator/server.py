"""Builds the evaluator: peer channels, the servicer, and the runtime whose health follows the executor."""

from __future__ import annotations

from grpc import aio

from services.common.clients import channel, health_status
from services.common.server import ServiceRuntime
from services.evaluator.config import EvaluatorConfig
from services.evaluator.servicer import SERVICE_NAME, EvaluatorServicer
from synthmesh.evaluator.v1 import evaluator_pb2_grpc
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2_grpc

EXECUTOR_SERVICE = pb.DESCRIPTOR.services_by_name["ExecutorService"].full_name


def build_runtime(config: EvaluatorConfig) -> ServiceRuntime:
    """The evaluator's gRPC runtime: SERVING only while the executor reports SERVING (readiness)."""
    runtime = ServiceRuntime(config.server, [SERVICE_NAME])
    executor_channel = channel(config.executor_addr)
    iterator_channel: list[aio.Channel] = []

    def iterator() -> iterator_pb2_grpc.IteratorServiceAsyncStub:
        # Created on first use: only generation mode needs the iterator, and it is not a readiness dependency.
        if not iterator_channel:
            iterator_channel.append(channel(config.iterator_addr))
        return iterator_pb2_grpc.IteratorServiceStub(iterator_channel[0])

    servicer = EvaluatorServicer(config, executor_pb2_grpc.ExecutorServiceStub(executor_channel), iterator)
    evaluator_pb2_grpc.add_EvaluatorServiceServicer_to_server(servicer, runtime.server)

    async def ready() -> bool:
        return await health_status(executor_channel, EXECUTOR_SERVICE) == "SERVING"

    async def close() -> None:
        await executor_channel.close()
        for chan in iterator_channel:
            await chan.close()

    runtime.readiness(ready)
    runtime.on_shutdown(close)
    return runtime


async def create_server(config: EvaluatorConfig, address: str) -> tuple[ServiceRuntime, int]:
    """A started evaluator bound to `address` (tests use 127.0.0.1:0); returns the runtime and its port."""
    runtime = build_runtime(config)
    port = await runtime.start(address)
    return runtime, port
