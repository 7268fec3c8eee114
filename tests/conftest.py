"""Shared test setup: an offline-safe environment, and the private redis-server the pool's tests share.

Area-specific fixtures live in conftest.py files of the test sub-folders (tests/executor/, tests/gateway/, ...).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from tests.redisproc import RedisProcess

# litellm fetches a model price map from the internet at import unless told not to; nothing here has a network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    """A private redis-server: Dojo's layout fixes the `synthetic:` keys, so tests cannot share the machine's."""
    server = RedisProcess()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    """A client to the private server, emptied before the test."""
    client = Redis.from_url(redis_server.url)
    await client.flushall()
    yield client
    await client.aclose()
