"""Builds the iterator: the LLM client, a channel to the executor, and the gRPC server."""

from __future__ import annotations

from services.common.clients import channel, health_status
from services.common.llm import LlmClient
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings
from services.iterator.config import IteratorConfig
from services.iterator.servicer import SERVICE_NAME, IteratorServicer
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2_grpc

EXECUTOR_SERVICE = "synthmesh.executor.v1.ExecutorService"


async def build(config: IteratorConfig, settings: ServerSettings | None = None) -> ServiceRuntime:
    """The iterator's runtime; ready while the executor reports SERVING."""
    runtime = ServiceRuntime(settings or config.server, [SERVICE_NAME])
    llm = LlmClient(config.llm)
    await llm.start()
    executor_channel = channel(config.executor_address)
    servicer = IteratorServicer(config, llm, executor_pb2_grpc.ExecutorServiceStub(executor_channel))
    iterator_pb2_grpc.add_IteratorServiceServicer_to_server(servicer, runtime.server)

    async def ready() -> bool:
        return await health_status(executor_channel, EXECUTOR_SERVICE) == "SERVING" and llm.fatal_error is None

    async def close() -> None:
        await executor_channel.close()

    runtime.readiness(ready)
    runtime.on_shutdown(close)
    return runtime
