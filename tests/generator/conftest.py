"""The generator against real peers: the session's executor and iterator, the offline model server, and a
gateway (PoolService) over a private redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
from grpc import aio
from redis.asyncio import Redis

from services.common.clients import channel
from services.common.env import Env
from services.common.server import ServiceRuntime
from services.gateway.config import GatewayConfig
from services.gateway.server import build_gateway
from services.generator.config import GeneratorConfig
from services.generator.generator import Generator
from services.generator.server import build
from synthmesh.generator.v1 import generator_pb2_grpc
from synthmesh.pool.v1 import pool_pb2_grpc
from tests.executor.conftest import Running, executor  # noqa: F401 - session fixtures
from tests.iterator.conftest import Iterator as IteratorService
from tests.iterator.conftest import OfflineModel, iterator, offline_model  # noqa: F401
from tests.redisproc import RedisProcess


@dataclass
class PoolGateway:
    """The gateway's PoolService, in-process."""

    runtime: ServiceRuntime
    address: str
    stub: pool_pb2_grpc.PoolServiceAsyncStub
    channel: aio.Channel


@pytest_asyncio.fixture(scope="session")
async def pool_gateway(redis_server: RedisProcess) -> AsyncIterator[PoolGateway]:
    """A gateway on free ports over the private Redis.

    It lives for the whole session on the Redis every test shares, so its sweeper runs only at start: a periodic
    sweep would race the pool tests that expire leases on purpose and sweep them themselves.
    """
    config = GatewayConfig.from_env(Env({"REDIS_URL": redis_server.url, "HTTP_PORT": "0", "HTTP_HOST": "127.0.0.1",
                                         "GRPC_PORT": "0", "DRAIN_SECONDS": "0", "GATEWAY_WAIT_SECONDS": "1",
                                         "POOL_SWEEP_SECONDS": "3600"}))
    runtime = await build_gateway(config)
    port = await runtime.start("127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    yield PoolGateway(runtime, f"127.0.0.1:{port}", pool_pb2_grpc.PoolServiceStub(chan), chan)  # type: ignore[arg-type]
    await chan.close()
    await runtime.stop(0, 0)


@pytest_asyncio.fixture
async def clean_pool(redis: Redis, offline_model: OfflineModel) -> AsyncIterator[Redis]:  # noqa: F811
    """An empty pool, and the offline model with its default behaviour, before each test."""
    await offline_model.client.post("/admin/reset")
    await offline_model.client.post("/admin/config", json={"broken_rate": 0.0})
    yield redis


def generator_config(executor: Running, iterator: IteratorService, offline: OfflineModel,  # noqa: F811
                     gateway: PoolGateway, redis_url: str, **extra: str) -> GeneratorConfig:
    """Generator settings pointing at the test peers; the refill loop is off unless asked for."""
    env = {"EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{executor.port}",
           "ITERATOR_SERVICE_ADDR": f"127.0.0.1:{iterator.runtime.port}", "GATEWAY_SERVICE_ADDR": gateway.address,
           "REDIS_URL": redis_url, "OFFLINE_LLM_URL": f"{offline.url}/v1", "LLM_OFFLINE": "true",
           "LLM_MAX_RETRIES": "2", "LLM_RETRY_BASE_SECONDS": "0.01", "GENERATOR_REFILL": "false",
           "DRAIN_SECONDS": "0", "GENERATOR_LEASE_SECONDS": "10"}
    env.update(extra)
    return GeneratorConfig.from_env(env)


@dataclass
class GeneratorUnderTest:
    """One generator replica and a client stub to it."""

    runtime: ServiceRuntime
    generator: Generator
    stub: generator_pb2_grpc.GeneratorServiceAsyncStub
    channel: aio.Channel

    async def close(self) -> None:
        await self.channel.close()
        await self.runtime.stop(0, 0)


async def start_generator(config: GeneratorConfig) -> GeneratorUnderTest:
    """Builds and serves one replica on a free port."""
    runtime, generator = await build(config)
    port = await runtime.start("127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    return GeneratorUnderTest(runtime, generator, generator_pb2_grpc.GeneratorServiceStub(chan), chan)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def generator(executor: Running, iterator: IteratorService, offline_model: OfflineModel,  # noqa: F811
                    pool_gateway: PoolGateway, redis_server: RedisProcess,
                    clean_pool: Redis) -> AsyncIterator[GeneratorUnderTest]:
    """One replica with the refill loop off (tests drive GenerateQap)."""
    under_test = await start_generator(generator_config(executor, iterator, offline_model, pool_gateway,
                                                        redis_server.url))
    yield under_test
    await under_test.close()
