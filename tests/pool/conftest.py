"""Pool tests run against a private redis-server (Dojo's layout fixes the `synthetic:` prefix)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.common.pool.config import PoolConfig
from services.common.pool.handout import HandOuts
from services.common.pool.store import Pool
from services.common.redis_conn import RedisConfig, create_blocking_client, create_client
from tests.redisproc import RedisProcess


@pytest.fixture
def pool_config() -> PoolConfig:
    return PoolConfig(history_ttl_seconds=3600, lease_seconds=30.0, delivery_log_max=1000, dead_letter_max=100)


@pytest.fixture
async def pool(redis_server: RedisProcess, redis: Redis, pool_config: PoolConfig) -> AsyncIterator[Pool]:
    client = create_client(RedisConfig(url=redis_server.url))
    yield Pool(client, pool_config)
    await client.aclose()


@pytest.fixture
async def handouts(redis_server: RedisProcess, pool: Pool) -> AsyncIterator[HandOuts]:
    blocking = create_blocking_client(RedisConfig(url=redis_server.url), 64)
    outs = HandOuts(pool, blocking)
    yield outs
    await outs.close()
    await blocking.aclose()
