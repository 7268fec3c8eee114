"""Gateway tests: the real app over a private redis-server, in-process (ASGI) or on a real socket (uvicorn)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from redis.asyncio import Redis

from services.common.pool.config import PoolConfig
from services.common.pool.handout import HandOuts
from services.common.pool.store import Pool
from services.common.redis_conn import RedisConfig, create_blocking_client, create_client
from services.gateway.app import create_app
from services.gateway.server import HttpServer
from services.gateway.state import GatewayState
from tests.redisproc import RedisProcess

WAIT_SECONDS = 0.5


@dataclass
class Gateway:
    """A gateway under test: its HTTP client, the pool it serves and a raw Redis view."""

    client: httpx.AsyncClient
    pool: Pool
    handouts: HandOuts
    state: GatewayState
    redis: Redis


@contextlib.asynccontextmanager
async def open_gateway(redis_url: str, wait: float = WAIT_SECONDS, api_key: str = "", live: bool = False,
                       pool_config: PoolConfig | None = None,
                       cors_origins: tuple[str, ...] = ("*",)) -> AsyncIterator[Gateway]:
    """The gateway's HTTP app over `redis_url`: in-process through ASGITransport, or served by uvicorn."""
    cfg = RedisConfig(url=redis_url, connect_timeout=0.5, socket_timeout=2.0)
    command, blocking = create_client(cfg), create_blocking_client(cfg, 64)
    pool = Pool(command, pool_config or PoolConfig(lease_seconds=30.0))
    handouts = HandOuts(pool, blocking)
    state = GatewayState(pool=pool, handouts=handouts, wait_seconds=wait)
    app = create_app(state, api_key=api_key, max_body_bytes=1024, cors_origins=cors_origins)
    raw = Redis.from_url(redis_url)
    http: HttpServer | None = None
    if live:
        http = HttpServer(app, "127.0.0.1", 0, grace=2.0)
        port = await http.start()
        # Idle connections are dropped well before uvicorn's 5 s keep-alive ends them: reusing one just as the
        # server closes it fails the request ("Server disconnected") on a busy machine.
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0,
                                   limits=httpx.Limits(max_connections=64, keepalive_expiry=2.0))
    else:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    try:
        yield Gateway(client, pool, handouts, state, raw)
    finally:
        await client.aclose()
        state.stopping.set()
        if http is not None:
            await http.stop()
        await handouts.close()
        for redis_client in (command, blocking, raw):
            await redis_client.aclose()


@pytest.fixture
async def gateway(redis_server: RedisProcess, redis: Redis) -> AsyncIterator[Gateway]:
    async with open_gateway(redis_server.url) as gw:
        yield gw


@pytest.fixture
async def live_gateway(redis_server: RedisProcess, redis: Redis) -> AsyncIterator[Gateway]:
    async with open_gateway(redis_server.url, live=True) as gw:
        yield gw
