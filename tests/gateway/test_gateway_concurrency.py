"""Through real uvicorn sockets: many clients drain the pool, each QAP once, every hand-out logged."""

from __future__ import annotations

import asyncio
import time

from services.common.pool import keys
from services.common.pool.store import Kind
from tests.gateway.conftest import Gateway
from tests.qaps import cids_of, make_body

CLIENTS = 32
QAPS = 300


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


async def test_a_qap_pushed_during_the_wait_goes_to_exactly_one_waiter(live_gateway: Gateway) -> None:
    gw = live_gateway
    waiters = [asyncio.create_task(gw.client.get("/api/synthetic-gen")) for _ in range(4)]
    await asyncio.sleep(0.15)
    body = make_body()
    await gw.pool.push(body, Kind.V1)
    envelopes = [r.json() for r in await asyncio.gather(*waiters)]
    served = [e for e in envelopes if e["success"]]
    assert len(served) == 1 and served[0]["body"] == body
    assert all("no QAP became available" in e["error"] for e in envelopes if not e["success"])


async def test_a_client_that_leaves_while_waiting_loses_nothing(live_gateway: Gateway) -> None:
    gw = live_gateway
    try:
        await gw.client.get("/api/synthetic-gen", timeout=0.15)
    except Exception as exc:  # the client gives up while the gateway is blocked on the empty pool
        assert "Timeout" in type(exc).__name__
    await asyncio.sleep(0.1)
    body = make_body()
    await gw.pool.push(body, Kind.V1)
    envelope = (await gw.client.get("/api/synthetic-gen")).json()
    assert envelope["success"] is True and envelope["body"] == body
