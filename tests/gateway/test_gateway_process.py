"""`python -m services.gateway` as Dojo's compose runs it: fast /health, clean SIGTERM, config checked at start."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from starlette.types import Receive, Scope, Send

from services.common.env import ConfigError, Env
from services.common.pool import keys
from services.gateway.config import GatewayConfig
from services.gateway.server import HttpServer
from tests.lifecycle import eventually
from tests.redisproc import RedisProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
# How long a caller waits on an empty pool: far longer than a shutdown takes to release it.
WAIT_SECONDS = 30


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "services.gateway"], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


async def test_health_at_once_and_sigterm_releases_a_blocked_caller(redis_server: RedisProcess, redis: Redis) -> None:
    # `redis` flushes the server: the caller below must find the pool empty and block.
    http_port = free_port()
    proc = _start({"REDIS_URL": redis_server.url, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(http_port),
                   "GRPC_HOST": "127.0.0.1", "GRPC_PORT": str(free_port()), "METRICS_PORT": str(free_port()),
                   "GATEWAY_WAIT_SECONDS": str(WAIT_SECONDS), "DRAIN_SECONDS": "0.1", "GRACE_SECONDS": "5"})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=WAIT_SECONDS + 10) as client:
            started = time.monotonic()
            while True:
                try:
                    health = await client.get("/health")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() - started < 60, "gateway did not start"
                    await asyncio.sleep(0.02)
            # Answered without waiting for anything (start-up speed is measured in bench/, not here).
            assert health.json() == {"status": "OK"}
            blocked = asyncio.create_task(client.get("/api/synthetic-gen"))
            await eventually(lambda: _waiters(redis, blocked), "the caller blocked on the empty pool")
            stopping = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            envelope = (await blocked).json()
            assert envelope["success"] is False and "shutting down" in envelope["error"]
            # Released by the shutdown, not by the end of its wait.
            assert time.monotonic() - stopping < WAIT_SECONDS / 2
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def _waiters(redis: Redis, caller: asyncio.Task[httpx.Response]) -> bool:
    """True once a caller is registered as blocked on the empty pool; fails if `caller` was answered meanwhile."""
    if caller.done():
        raise AssertionError(f"the caller was answered instead of blocking: {caller.result().text}")
    return bool(await redis.zcard(keys.WAITERS) == 1)


def test_a_wait_dojo_would_not_outlast_is_refused_at_start() -> None:
    proc = _start({"GATEWAY_WAIT_SECONDS": "120", "HTTP_PORT": "nope"})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert b"GATEWAY_WAIT_SECONDS" in err and b"HTTP_PORT" in err


async def _caller_seen(forwarded_allow_ips: str) -> str:
    """The client address an app sees for a request that claims, in X-Forwarded-For, to come from 10.1.2.3."""
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    server = HttpServer(app, "127.0.0.1", 0, forwarded_allow_ips=forwarded_allow_ips)
    port = await server.start()
    try:
        async with httpx.AsyncClient() as client:
            reply = await client.get(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": "10.1.2.3"})
        assert reply.status_code == 204
    finally:
        await server.stop()
    return seen[0]


async def test_forwarded_for_names_the_caller_only_from_trusted_proxies() -> None:
    assert await _caller_seen("") == "127.0.0.1"
    assert await _caller_seen("10.0.0.0/8") == "127.0.0.1"
    assert await _caller_seen("127.0.0.1") == "10.1.2.3"


def test_trusted_proxies_are_checked_at_start() -> None:
    good = GatewayConfig.from_env(Env({"GATEWAY_FORWARDED_ALLOW_IPS": " 10.0.0.0/8, 127.0.0.1 ,*"}))
    assert good.forwarded_allow_ips == "10.0.0.0/8,127.0.0.1,*"
    with pytest.raises(ConfigError, match="GATEWAY_FORWARDED_ALLOW_IPS: 'ingress' is not an IP address"):
        GatewayConfig.from_env(Env({"GATEWAY_FORWARDED_ALLOW_IPS": "10.0.0.0/8,ingress"}))


def test_a_taken_http_port_is_one_line_and_exit_2(redis_server: RedisProcess) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        proc = _start({"REDIS_URL": redis_server.url, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(taken),
                       "GRPC_HOST": "127.0.0.1", "GRPC_PORT": str(free_port()), "METRICS_PORT": str(free_port())})
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 2, stderr
    assert b"Traceback" not in stderr
    last = stderr.decode().strip().splitlines()[-1]
    assert last.startswith(f"gateway: cannot listen on 127.0.0.1:{taken} (HTTP_PORT)")
