"""Redis killed and restarted mid-load: clean failures meanwhile, recovery without restarting the gateway,
nothing handed out twice, nothing silently lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import orjson
import pytest

from services.common.pool import keys
from services.common.pool.config import PoolConfig
from services.common.pool.store import Kind
from tests.gateway.conftest import Gateway, open_gateway
from tests.lifecycle import eventually
from tests.qaps import cids_of, make_body
from tests.redisproc import RedisProcess

TOTAL = 120
CLIENT_TIMEOUT = 10.0  # open_gateway's HTTP client


async def _logged(gw: Gateway) -> list[str]:
    """The first cid of every hand-out in the delivery log, oldest first."""
    entries = cast("list[tuple[bytes, dict[bytes, bytes]]]", await gw.redis.xrange(keys.DELIVERIES))
    return [fields[b"ids"].decode().split(",")[0] for _, fields in entries]


async def _all_acknowledged(gw: Gateway, served: list[str]) -> bool:
    """True once the delivery log holds every hand-out sent: acknowledgements ride on batches after the reply."""
    return set(await _logged(gw)) >= set(served)


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(workdir=tmp_path, durable=True)
    server.start()
    yield server
    server.stop()


async def test_redis_restart_mid_load(durable_redis: RedisProcess) -> None:
    async with open_gateway(durable_redis.url, wait=0.2, live=True,
                            pool_config=PoolConfig(lease_seconds=60.0)) as gw:  # leases run out only when the test says
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

        async def loaded() -> bool:
            return len(served) >= TOTAL // 3

        await eventually(loaded, f"a third of the {TOTAL} QAPs served before the outage")
        durable_redis.kill()
        down.set()
        await asyncio.gather(*load)
        assert outage_errors, "requests during the outage must fail cleanly"
        assert all("Redis" in error for error, _ in outage_errors), outage_errors
        # Failed, not hung: none waited out the client's timeout (timing is bench/'s business, not this bound's).
        assert all(elapsed < CLIENT_TIMEOUT / 2 for _, elapsed in outage_errors), outage_errors

        durable_redis.start()  # same port, same append-only file
        await gw.handouts.maintain()  # what the gateway's maintenance loop does every few seconds
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            envelope = (await gw.client.get("/api/synthetic-gen")).json()
            if envelope["success"]:
                served.append(envelope["body"]["responses"][0]["cid"])
            elif await gw.redis.llen(keys.QUEUE) == 0:
                break
        await eventually(lambda: _all_acknowledged(gw, served), "every hand-out sent is in the delivery log")
        # What is still leased now are claims whose reply the crash cut off: let their leases run out.
        leases = cast("list[bytes]", await gw.redis.zrange(keys.LEASES, 0, -1))
        if leases:
            await gw.redis.zadd(keys.LEASES, dict.fromkeys(leases, 1.0))
        await gw.handouts.maintain()
        dead = {orjson.loads(raw)["raw"] for raw in await gw.redis.lrange(keys.DEAD, 0, -1)}
        dead_cids = {cid for cid in pushed if any(cid in raw for raw in dead)}
        logged = await _logged(gw)

    assert len(served) == len(set(served)), "a QAP was handed out twice"
    assert set(served) | dead_cids == pushed, "a QAP disappeared silently"
    assert sorted(logged) == sorted(served), "the delivery log misses a hand-out or holds one never sent"
    assert not set(served) & dead_cids, "a delivered QAP was dead-lettered although the gateway stayed up"
    assert len(served) >= TOTAL - 16  # only hand-outs cut off mid-flight may end in the dead-letter list
