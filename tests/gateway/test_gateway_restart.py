"""Redis killed and restarted mid-load: clean failures meanwhile, recovery without restarting the gateway,
nothing handed out twice, nothing silently lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from services.common.pool import keys
from services.common.pool.config import PoolConfig
from services.common.pool.store import Kind
from tests.gateway.conftest import open_gateway
from tests.qaps import cids_of, make_body
from tests.redisproc import RedisProcess

TOTAL = 120


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(workdir=tmp_path, durable=True)
    server.start()
    yield server
    server.stop()


async def test_redis_restart_mid_load(durable_redis: RedisProcess) -> None:
    async with open_gateway(durable_redis.url, wait=0.2, live=True,
                            pool_config=PoolConfig(lease_seconds=2.0)) as gw:
        pushed = {cids_of(b)[0] for b in [make_body() for _ in range(TOTAL)]
                  if await gw.pool.push(b, Kind.V1)}
        served: list[str] = []
        outage_errors: list[tuple[str, float]] = []
        down = asyncio.Event()

        async def client() -> None:
            while len(served) < TOTAL and not (down.is_set() and len(outage_errors) > 40):
                started = time.monotonic()
                envelope = (await gw.client.get("/api/synthetic-gen")).json()
                if envelope["success"]:
                    served.append(envelope["body"]["responses"][0]["cid"])
                elif down.is_set():
                    outage_errors.append((envelope["error"], time.monotonic() - started))
                await asyncio.sleep(0.005)

        load = [asyncio.create_task(client()) for _ in range(8)]
        while len(served) < TOTAL // 3:
            await asyncio.sleep(0.005)
        durable_redis.kill()
        down.set()
        await asyncio.gather(*load)
        assert outage_errors, "requests during the outage must fail cleanly"
        assert all("Redis" in error and elapsed < 2.0 for error, elapsed in outage_errors)

        durable_redis.start()  # same port, same append-only file
        await gw.handouts.maintain()  # what the gateway's maintenance loop does every few seconds
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            envelope = (await gw.client.get("/api/synthetic-gen")).json()
            if envelope["success"]:
                served.append(envelope["body"]["responses"][0]["cid"])
            elif await gw.redis.llen(keys.QUEUE) == 0:
                break
        await asyncio.sleep(2.1)  # leases of claims whose reply the crash cut off expire
        await gw.handouts.maintain()
        dead = {orjson.loads(raw)["raw"] for raw in await gw.redis.lrange(keys.DEAD, 0, -1)}
        dead_cids = {cid for cid in pushed if any(cid in raw for raw in dead)}
        logged = [fields[b"ids"].decode().split(",")[0] for _, fields in await gw.redis.xrange(keys.DELIVERIES)]

    assert len(served) == len(set(served)), "a QAP was handed out twice"
    assert set(served) | dead_cids == pushed, "a QAP disappeared silently"
    assert sorted(logged) == sorted(served), "the delivery log misses a hand-out or holds one never sent"
    assert not set(served) & dead_cids, "a delivered QAP was dead-lettered although the gateway stayed up"
    assert len(served) >= TOTAL - 16  # only hand-outs cut off mid-flight may end in the dead-letter list
