"""Builds the generator's gRPC server; ready while its dependencies answer and the LLM accepts our key."""

from __future__ import annotations

from services.common.clients import health_status
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings
from services.generator.config import GeneratorConfig
from services.generator.generator import Generator
from services.generator.servicer import SERVICE_NAME, GeneratorServicer
from synthmesh.generator.v1 import generator_pb2_grpc

PEERS = ("synthmesh.executor.v1.ExecutorService", "synthmesh.iterator.v1.IteratorService",
         "synthmesh.pool.v1.PoolService")


async def build(config: GeneratorConfig, settings: ServerSettings | None = None) -> tuple[ServiceRuntime, Generator]:
    """The runtime and the generator behind it (the refill loop starts with it)."""
    runtime = ServiceRuntime(settings or config.server, [SERVICE_NAME])
    generator = Generator(config)
    generator_pb2_grpc.add_GeneratorServiceServicer_to_server(GeneratorServicer(generator), runtime.server)

    async def ready() -> bool:
        if generator.llm.fatal_error is not None or generator.refiller.paused:
            return False
        for chan, service in zip(generator.channels, PEERS, strict=True):
            if await health_status(chan, service) != "SERVING":
                return False
        return bool(await generator.redis.ping())

    runtime.readiness(ready)
    runtime.on_shutdown(generator.close)
    await generator.start()
    return runtime, generator
