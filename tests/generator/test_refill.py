"""Three generator replicas keep the pool at its target depth and never push past it."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from services.generator.dedupe import Deduper
from services.generator.refill import Reservations
from synthmesh.pool.v1 import pool_pb2
from tests.redisproc import RedisProcess

from .conftest import (
    GeneratorUnderTest,
    IteratorService,
    OfflineModel,
    PoolGateway,
    Running,
    generator_config,
    start_generator,
)

TARGET = 3


async def test_three_replicas_fill_to_the_target_and_never_overshoot(
        executor: Running, iterator: IteratorService, offline_model: OfflineModel, pool_gateway: PoolGateway,
        redis_server: RedisProcess, clean_pool: Redis) -> None:
    replicas: list[GeneratorUnderTest] = []
    for i in range(3):
        config = generator_config(executor, iterator, offline_model, pool_gateway, redis_server.url,
                                  GENERATOR_REFILL="true", GENERATOR_TARGET_V1=str(TARGET), GENERATOR_WORKERS="2",
                                  GENERATOR_REPLICA_ID=f"replica-{i}", GENERATOR_DEDUPE_WINDOW="0")
        replicas.append(await start_generator(config))
    highest = 0
    try:
        for _ in range(600):  # up to 60 s
            depth = (await pool_gateway.stub.GetDepth(pool_pb2.GetDepthRequest())).v1
            highest = max(highest, depth)
            if depth >= TARGET:
                break
            await asyncio.sleep(0.1)
        assert highest == TARGET
        # Hand one QAP out: the replicas refill exactly that place, and still never exceed the target.
        popped = await pool_gateway.stub.Pop(pool_pb2.PopRequest(pool=pool_pb2.POOL_KIND_V1, caller="t"))
        assert popped.found
        refilled = False
        for _ in range(600):
            depth = (await pool_gateway.stub.GetDepth(pool_pb2.GetDepthRequest())).v1
            highest = max(highest, depth)
            refilled = refilled or depth == TARGET
            if refilled:
                break
            await asyncio.sleep(0.1)
        for _ in range(20):  # and it stays there
            highest = max(highest, (await pool_gateway.stub.GetDepth(pool_pb2.GetDepthRequest())).v1)
            await asyncio.sleep(0.1)
        built = sum(r.generator.generated for r in replicas)
    finally:
        for replica in replicas:
            await replica.close()
    assert refilled and highest == TARGET
    assert built == TARGET + 1, "exactly one QAP per place: the target, then the one handed out"


async def test_reservations_are_atomic_and_expire(redis_server: RedisProcess, clean_pool: Redis) -> None:
    reservations = Reservations(clean_pool, lease_seconds=0.5)
    taken = await asyncio.gather(*(reservations.reserve("v1", f"w{i}", 3) for i in range(20)))
    assert sum(taken) == 3
    await clean_pool.rpush("synthetic:queue", "x")
    await reservations.release("v1", "w0")
    assert not await reservations.reserve("v1", "late", 3), "depth 1 + 2 reservations already make 3"
    await asyncio.sleep(0.6)  # the other leases expire: a crashed replica never blocks the pool for good
    assert await reservations.reserve("v1", "after", 3) and await reservations.reserve("v1", "after2", 3)
    assert not await reservations.reserve("v1", "after3", 3)


async def test_a_replica_paused_by_an_auth_failure_gives_its_place_back(
        executor: Running, iterator: IteratorService, offline_model: OfflineModel, pool_gateway: PoolGateway,
        redis_server: RedisProcess, clean_pool: Redis) -> None:
    # A bad key pauses refilling for minutes; the place it had reserved must not stay blocked that long.
    await offline_model.client.post("/admin/faults", json={"kind": "401", "count": 1, "step": "question"})
    config = generator_config(executor, iterator, offline_model, pool_gateway, redis_server.url,
                              GENERATOR_REFILL="true", GENERATOR_TARGET_V1="1", GENERATOR_TARGET_V2="0",
                              GENERATOR_WORKERS="1", GENERATOR_FATAL_PAUSE_SECONDS="120")
    replica = await start_generator(config)
    reservations = Reservations(clean_pool, lease_seconds=10)
    try:
        for _ in range(300):
            if replica.generator.refiller.paused:
                break
            await asyncio.sleep(0.05)
        assert replica.generator.refiller.paused and replica.generator.dropped["llm_auth"] == 1
        for _ in range(40):
            if await reservations.count("v1") == 0:
                break
            await asyncio.sleep(0.05)
        assert await reservations.count("v1") == 0
    finally:
        await replica.close()


async def test_a_loop_whose_every_build_is_dropped_backs_off(
        executor: Running, iterator: IteratorService, offline_model: OfflineModel, pool_gateway: PoolGateway,
        redis_server: RedisProcess, clean_pool: Redis) -> None:
    # A threshold of 0 makes every question a near-duplicate of those remembered: each build drops at once,
    # after its question call. Without a backoff the loop rebuilt at once, 100+ times a second on a fast model.
    config = generator_config(executor, iterator, offline_model, pool_gateway, redis_server.url,
                              GENERATOR_REFILL="true", GENERATOR_TARGET_V1="1", GENERATOR_TARGET_V2="0",
                              GENERATOR_WORKERS="1", GENERATOR_DEDUPE_THRESHOLD="0")
    # Remembered before the loop starts, so that its very first build is a duplicate too. One question per topic:
    # any page-building question lies at a positive cosine from at least one of them.
    deduper = Deduper(clean_pool, config.dedupe_threshold, config.dedupe_window)
    for question in ("Create an interactive web animation of planets orbiting a glowing sun.",
                     "Build a browser game where the player dodges falling blocks and scores points.",
                     "Make a web page that simulates a pendulum and plots its energy over time."):
        await deduper.remember(question)
    replica = await start_generator(config)
    try:
        await asyncio.sleep(4.0)  # the window the loop gets: the bound below holds for any machine speed
        drops = replica.generator.dropped["duplicate"]
    finally:
        await replica.close()
    # At least a second between drops: at most five in the window (one at once, then one per pause).
    assert 1 <= drops <= 6, (f"{drops} builds dropped in 4 s", dict(replica.generator.dropped))
