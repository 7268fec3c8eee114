"""v1 hand-outs: atomic claims, acknowledgement, requeue, dead letters, waits and the sweeper."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import orjson
import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from services.common.pool import keys
from services.common.pool.config import PoolConfig
from services.common.pool.errors import PoolUnavailable
from services.common.pool.handout import HandOuts
from services.common.pool.store import Kind, Pool
from services.common.redis_conn import RedisConfig, create_blocking_client, create_client
from tests.procs import free_port
from tests.qaps import cids_of, make_body

# A wait the tests never sit out: a caller back within WOKEN_WITHIN was woken by a push or an interrupt, not by
# the end of its wait.
LONG_WAIT = 10.0
WOKEN_WITHIN = 5.0


async def _until(read: Callable[[], Awaitable[int]], value: int, seconds: float = 10.0) -> None:
    """Polls `read` until it gives `value`; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while (got := await read()) != value:
        assert time.monotonic() < deadline, f"still {got} after {seconds} s, expected {value}"
        await asyncio.sleep(0.01)


async def _blocked_clients(redis: Redis) -> int:
    return int((await redis.info("clients"))["blocked_clients"])


async def _until_waiting(redis: Redis, waiters: int, blocked_before: int) -> None:
    """Waits until `waiters` callers are registered as waiters and their BLMOVEs block in Redis."""
    await _until(lambda: redis.zcard(keys.WAITERS), waiters)
    await _until(lambda: _blocked_clients(redis), blocked_before + waiters)


async def _fill(pool: Pool, n: int) -> list[list[str]]:
    bodies = [make_body() for _ in range(n)]
    for body in bodies:
        await pool.push(body, Kind.V1)
    return [cids_of(b) for b in bodies]


async def test_a_claim_is_logged_only_once_acknowledged(handouts: HandOuts, pool: Pool, redis: Redis) -> None:
    [cids] = await _fill(pool, 1)
    claim = await handouts.take("validator-a", 0)
    assert claim is not None and list(claim.cids) == cids
    assert await redis.llen(keys.QUEUE) == 0 and await redis.zcard(keys.LEASES) == 1
    assert await redis.xlen(keys.DELIVERIES) == 0
    entry = await handouts.ack(claim)
    assert await redis.zcard(keys.LEASES) == 0 and await redis.hlen(keys.INFLIGHT) == 0
    [(entry_id, fields)] = await redis.xrange(keys.DELIVERIES)
    assert entry_id.decode() == entry
    assert fields[b"caller"] == b"validator-a" and fields[b"ids"].decode().split(",") == cids
    assert fields[b"late"] == b"0"


async def test_ack_soon_logs_the_delivery_without_the_caller_waiting(handouts: HandOuts, pool: Pool,
                                                                    redis: Redis) -> None:
    [cids] = await _fill(pool, 1)
    claim = await handouts.take("validator-b", 0)
    assert claim is not None
    handouts.ack_soon(claim)  # returns at once: the acknowledgement rides on the next batch
    await handouts.close()  # waits for acknowledgements in flight
    [(_, fields)] = await redis.xrange(keys.DELIVERIES)
    assert fields[b"caller"] == b"validator-b" and fields[b"ids"].decode().split(",") == cids
    assert await redis.zcard(keys.LEASES) == 0 and await redis.hlen(keys.INFLIGHT) == 0


async def test_close_records_acknowledgements_kept_from_an_outage(handouts: HandOuts, pool: Pool,
                                                                  redis: Redis) -> None:
    [cids] = await _fill(pool, 1)
    claim = await handouts.take("validator-c", 0)
    assert claim is not None
    # What ack_soon keeps when Redis did not answer; the maintenance loop is already stopped at shutdown.
    handouts._unacked.append(claim.ack_item())
    await handouts.close()
    [(_, fields)] = await redis.xrange(keys.DELIVERIES)
    assert fields[b"ids"].decode().split(",") == cids and await redis.zcard(keys.LEASES) == 0


async def test_concurrent_takers_each_get_a_different_qap(handouts: HandOuts, pool: Pool) -> None:
    pushed = await _fill(pool, 60)
    claims = await asyncio.gather(*(handouts.take(f"c{i}", 0) for i in range(80)))
    got = [c.cids[0] for c in claims if c is not None]
    assert sorted(got) == sorted(c[0] for c in pushed)  # 60 served once each, 20 found the pool empty
    await asyncio.gather(*(handouts.ack(c) for c in claims if c is not None))
    assert (await pool.stats(0)).counters["handed_out_v1"] == 60


async def test_requeue_puts_an_unsent_qap_back_at_the_head(handouts: HandOuts, pool: Pool, redis: Redis) -> None:
    first, second = await _fill(pool, 2)
    claim = await handouts.take("c", 0)
    assert claim is not None and list(claim.cids) == first
    assert await handouts.requeue(claim, "client_left")
    assert [orjson.loads(r)["responses"][0]["cid"] for r in await redis.lrange(keys.QUEUE, 0, -1)] == \
        [first[0], second[0]]
    assert await redis.zcard(keys.LEASES) == 0
    assert not await handouts.requeue(claim, "client_left")  # a second requeue is a no-op


async def test_an_invalid_stored_item_is_dead_lettered_and_the_next_served(
        handouts: HandOuts, pool: Pool, redis: Redis) -> None:
    await redis.rpush(keys.QUEUE, b"{not json", orjson.dumps({"prompt": "p", "responses": []}))
    [cids] = await _fill(pool, 1)
    claim = await handouts.take("c", 0)
    assert claim is not None and list(claim.cids) == cids
    dead = [orjson.loads(r) for r in await redis.lrange(keys.DEAD, 0, -1)]
    assert [d["reason"] for d in dead] == ["invalid_json", "responses"]
    assert dead[0]["raw"] == "{not json" and dead[0]["caller"] == "c"
    assert await redis.hget(keys.STATS, "dead_lettered") == b"2"


async def test_an_expired_lease_goes_to_the_dead_letter_list_never_back(
        handouts: HandOuts, pool: Pool, redis: Redis) -> None:
    await _fill(pool, 2)
    handouts = HandOuts(Pool(pool.redis, replace(pool.cfg, lease_seconds=0.05)), handouts.blocking)
    claim = await handouts.take("crashed", 0)
    assert claim is not None
    await asyncio.sleep(0.1)
    assert await handouts.sweep() == (1, 0)
    dead = orjson.loads(await redis.lindex(keys.DEAD, 0))
    assert dead["reason"] == "lease_expired" and dead["caller"] == "crashed"
    assert claim.cids[0] in dead["raw"]
    assert await redis.llen(keys.QUEUE) == 1  # only the other QAP: at most once
    assert await handouts.ack(claim)  # a late acknowledgement is still logged, marked late
    assert await handouts.ack(claim) == ""  # a retried one is not logged again
    [(_, fields)] = await redis.xrange(keys.DELIVERIES)
    assert fields[b"late"] == b"1"


async def test_a_repeated_acknowledgement_is_logged_once(handouts: HandOuts, pool: Pool, redis: Redis) -> None:
    await _fill(pool, 1)
    claim = await handouts.take("c", 0)
    assert claim is not None
    first = await handouts.ack(claim)
    assert first and await handouts.ack(claim) == ""
    assert [entry_id.decode() for entry_id, _ in await redis.xrange(keys.DELIVERIES)] == [first]
    assert (await pool.stats(0)).counters["handed_out_v1"] == 1


async def test_a_qap_pushed_during_a_wait_wakes_exactly_one_waiter(handouts: HandOuts, pool: Pool,
                                                                   redis: Redis) -> None:
    stop = asyncio.Event()  # ends the other waits once one caller was served
    blocked_before = await _blocked_clients(redis)
    waiters = [asyncio.create_task(handouts.take(f"w{i}", LONG_WAIT, stop.wait)) for i in range(5)]
    await _until_waiting(redis, 5, blocked_before)
    [cids] = await _fill(pool, 1)
    started = time.monotonic()
    done, _ = await asyncio.wait(waiters, timeout=LONG_WAIT + 5, return_when=asyncio.FIRST_COMPLETED)
    woken_after = time.monotonic() - started
    stop.set()
    results = await asyncio.gather(*waiters)
    served = [r for r in results if r is not None]
    assert len(served) == 1 and list(served[0].cids) == cids
    assert woken_after < WOKEN_WITHIN  # the push woke it, not the end of its wait
    assert [t.result() for t in done] == served  # and no other waiter before the stop
    assert await redis.llen(keys.QUEUE) == 0 and await redis.zcard(keys.LEASES) == 1


async def test_an_empty_wait_ends_after_the_limit(handouts: HandOuts, redis: Redis) -> None:
    started = time.monotonic()
    assert await handouts.take("w", 0.3) is None
    assert 0.25 <= time.monotonic() - started < 10.0
    assert await redis.zcard(keys.WAITERS) == 0


async def test_an_interrupted_wait_returns_at_once(handouts: HandOuts, redis: Redis) -> None:
    stop = asyncio.Event()
    blocked_before = await _blocked_clients(redis)
    task = asyncio.create_task(handouts.take("w", LONG_WAIT, stop.wait))
    await _until_waiting(redis, 1, blocked_before)
    started = time.monotonic()
    stop.set()
    assert await task is None
    assert time.monotonic() - started < WOKEN_WITHIN  # the interrupt ended it, not the end of its wait


async def test_a_cancelled_waiter_loses_nothing(handouts: HandOuts, pool: Pool, redis: Redis) -> None:
    blocked_before = await _blocked_clients(redis)
    task = asyncio.create_task(handouts.take("w", LONG_WAIT))
    await _until_waiting(redis, 1, blocked_before)  # cancelled while its BLMOVE blocks in Redis
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    [cids] = await _fill(pool, 1)
    # Redis hands a pushed item to a still-blocked BLMOVE while it runs the push: nothing can steal it after this.
    claim = await handouts.take("next", 0)
    assert claim is not None and list(claim.cids) == cids


async def test_the_sweeper_requeues_what_a_dead_waiter_left(handouts: HandOuts, pool: Pool, redis: Redis) -> None:
    [cids] = await _fill(pool, 1)
    # A waiter whose process died after BLMOVE delivered into its claim list and before it adopted the item.
    await redis.blmove(keys.QUEUE, keys.claim("dead-lease"), 1, "LEFT", "LEFT")
    await redis.zadd(keys.WAITERS, {"dead-lease": 1.0})  # its wait ended long ago (server time)
    assert await handouts.sweep() == (0, 1)
    assert await redis.exists(keys.claim("dead-lease")) == 0 and await redis.zcard(keys.WAITERS) == 0
    claim = await handouts.take("c", 0)
    assert claim is not None and list(claim.cids) == cids


async def test_every_ask_is_timed_also_when_redis_does_not_answer(pool_config: PoolConfig) -> None:
    config = RedisConfig(url=f"redis://127.0.0.1:{free_port()}", connect_timeout=0.2)
    client, blocking = create_client(config), create_blocking_client(config, 4)
    outs = HandOuts(Pool(client, pool_config), blocking)
    asked = REGISTRY.get_sample_value("synthmesh_pool_wait_seconds_count") or 0.0
    try:
        with pytest.raises(PoolUnavailable):
            await outs.take("test", 5.0)
    finally:
        await outs.close()
        await blocking.aclose()
        await client.aclose()
    assert REGISTRY.get_sample_value("synthmesh_pool_wait_seconds_count") == asked + 1
