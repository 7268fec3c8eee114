"""Through real uvicorn sockets: many clients drain the pool, each QAP once, every hand-out logged."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from redis.asyncio import Redis

from services.common.pool import keys
from services.common.pool.store import Kind
from tests.gateway.conftest import Gateway, open_gateway
from tests.lifecycle import eventually
from tests.qaps import cids_of, make_body
from tests.redisproc import RedisProcess

CLIENTS = 32
QAPS = 300
# A gateway wait far longer than the few milliseconds between the callers blocking and the push.
LONG_WAIT = 3.0


async def _drain(gw: Gateway, requests: int, clients: int) -> tuple[list[list[str]], list[str]]:
    remaining = requests
    served: list[list[str]] = []
    failures: list[str] = []

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            envelope = (await gw.client.get("/api/synthetic-gen")).json()
            if envelope["success"]:
                served.append(cids_of(envelope["body"]))
            else:
                failures.append(envelope["error"])

    await asyncio.gather(*(client() for _ in range(clients)))
    return served, failures


async def _settled(gw: Gateway) -> None:
    deadline = time.monotonic() + 5
    while await gw.redis.zcard(keys.LEASES) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def test_concurrent_clients_get_each_qap_exactly_once(live_gateway: Gateway) -> None:
    gw = live_gateway
    pushed = [make_body() for _ in range(QAPS)]
    for body in pushed:
        await gw.pool.push(body, Kind.V1)
    served, failures = await _drain(gw, QAPS, CLIENTS)
    assert failures == []
    assert sorted(map(tuple, served)) == sorted(tuple(cids_of(b)) for b in pushed)
    await _settled(gw)
    assert await gw.redis.llen(keys.QUEUE) == 0 and await gw.redis.zcard(keys.LEASES) == 0
    log = await gw.redis.xrange(keys.DELIVERIES)
    logged = sorted(tuple(fields[b"ids"].decode().split(",")) for _, fields in log)
    assert logged == sorted(tuple(c) for c in served)
    assert {fields[b"caller"] for _, fields in log} == {b"http:127.0.0.1"}


async def _blocked(gw: Gateway, callers: list[asyncio.Task[httpx.Response]]) -> bool:
    """True once every caller is registered as blocked on the empty pool; fails if one was answered meanwhile."""
    answered = [c.result().text for c in callers if c.done()]
    assert not answered, f"callers were answered instead of blocking: {answered}"
    return bool(await gw.redis.zcard(keys.WAITERS) == len(callers))


async def test_a_qap_pushed_during_the_wait_goes_to_exactly_one_waiter(redis_server: RedisProcess,
                                                                       redis: Redis) -> None:
    async with open_gateway(redis_server.url, wait=LONG_WAIT, live=True) as gw:
        waiters = [asyncio.create_task(gw.client.get("/api/synthetic-gen")) for _ in range(4)]
        await eventually(lambda: _blocked(gw, waiters), "four callers blocked on the empty pool")
        body = make_body()
        await gw.pool.push(body, Kind.V1)
        envelopes = [r.json() for r in await asyncio.gather(*waiters)]
    served = [e for e in envelopes if e["success"]]
    assert len(served) == 1 and served[0]["body"] == body
    assert all("no QAP became available" in e["error"] for e in envelopes if not e["success"])


async def test_a_client_that_leaves_while_waiting_loses_nothing(redis_server: RedisProcess, redis: Redis) -> None:
    async with open_gateway(redis_server.url, wait=LONG_WAIT, live=True) as gw:
        # The client gives up (closes its connection) while the gateway is blocked on the empty pool for it.
        leaving = asyncio.create_task(gw.client.get("/api/synthetic-gen"))
        await eventually(lambda: _blocked(gw, [leaving]), "the caller blocked on the empty pool")
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        # Pushed while the gateway may still wait for the departed client: whoever takes it must give it back.
        body = make_body()
        await gw.pool.push(body, Kind.V1)
        envelope = (await gw.client.get("/api/synthetic-gen")).json()
    assert envelope["success"] is True and envelope["body"] == body
