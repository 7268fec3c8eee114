"""A script call whose reply is lost or late after Redis ran it: nothing may be lost or handed out twice.

The pool's clients retry a call once on a connection error (a connection gone stale while Redis restarted). When
the connection breaks after Redis executed a script but before its reply arrived, the same script runs twice. A
caller may also be cancelled (a gRPC deadline) while a script's reply is on its way. A proxy between the pool and
its private redis-server cuts or delays exactly that reply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import pytest
from redis.asyncio import Redis

from services.common.pool import keys
from services.common.pool.config import PoolConfig
from services.common.pool.handout import HandOuts
from services.common.pool.store import Kind, Pool
from services.common.redis_conn import RedisConfig, create_blocking_client, create_client
from tests.qaps import cids_of, make_body
from tests.redisproc import RedisProcess


class ReplyCutter:
    """A TCP proxy to Redis that, once armed, forwards the next script call and then drops the connection
    instead of its reply (or, with `delay` set, holds the reply that long)."""

    def __init__(self, redis_port: int) -> None:
        self.redis_port = redis_port
        self.armed = False
        self.delay = 0.0
        self.cut = 0  # replies cut or held so far
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def count(self) -> int:
        return self.cut

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        redis_r, redis_w = await asyncio.open_connection("127.0.0.1", self.redis_port)
        pending = {"script": False}

        async def upstream() -> None:
            while data := await client_r.read(65536):
                pending["script"] = self.armed and b"EVALSHA" in data
                redis_w.write(data)
                await redis_w.drain()

        async def downstream() -> None:
            while data := await redis_r.read(65536):
                if pending["script"]:
                    self.armed, pending["script"] = False, False
                    self.cut += 1
                    if not self.delay:
                        client_w.transport.abort()
                        return
                    await asyncio.sleep(self.delay)
                client_w.write(data)
                await client_w.drain()

        with contextlib.suppress(ConnectionError):
            await asyncio.gather(upstream(), downstream())
        redis_w.close()
        client_w.close()


@pytest.fixture
async def cutter(redis_server: RedisProcess, redis: Redis) -> AsyncIterator[tuple[ReplyCutter, Pool, HandOuts]]:
    proxy = ReplyCutter(redis_server.port)
    cfg = RedisConfig(url=f"redis://127.0.0.1:{await proxy.start()}")
    client, blocking = create_client(cfg), create_blocking_client(cfg, 4)
    pool = Pool(client, PoolConfig(history_ttl_seconds=3600, lease_seconds=30.0))
    handouts = HandOuts(pool, blocking)
    yield proxy, pool, handouts
    await handouts.close()
    await client.aclose()
    await blocking.aclose()
    await proxy.stop()


async def _warm(pool: Pool, handouts: HandOuts) -> None:
    """Loads every script through the proxy, so that the calls under test are single EVALSHA commands."""
    await pool.push(make_body(), Kind.V1)
    await pool.push(make_body(), Kind.V2)
    claim = await handouts.take("warm-up", 0)
    assert claim is not None
    await handouts.requeue(claim, "warm-up")


async def test_a_claim_run_twice_hands_out_one_qap_and_loses_none(cutter: tuple[ReplyCutter, Pool, HandOuts],
                                                                  redis: Redis) -> None:
    proxy, pool, handouts = cutter
    await _warm(pool, handouts)
    for _ in range(2):
        await pool.push(make_body(), Kind.V1)
    stored = {orjson.loads(raw)["responses"][0]["cid"] for raw in await redis.lrange(keys.QUEUE, 0, -1)}
    proxy.armed = True
    claim = await handouts.take("validator", 0)
    assert proxy.cut == 1 and claim is not None
    queued = [orjson.loads(raw) for raw in await redis.lrange(keys.QUEUE, 0, -1)]
    assert len(queued) == len(stored) - 1 and await redis.zcard(keys.LEASES) == 1
    assert {b["responses"][0]["cid"] for b in queued} | {claim.cids[0]} == stored


@pytest.mark.parametrize("kind", [Kind.V1, Kind.V2])
async def test_a_push_run_twice_stores_the_qap_once_and_succeeds(cutter: tuple[ReplyCutter, Pool, HandOuts],
                                                                  redis: Redis, kind: Kind) -> None:
    proxy, pool, handouts = cutter
    await _warm(pool, handouts)
    listed = keys.QUEUE if kind is Kind.V1 else keys.QUESTIONS
    before = await redis.llen(listed)
    body = make_body()
    proxy.armed = True
    _, depth = await pool.push(body, kind)
    assert proxy.cut == 1 and depth == before + 1 == await redis.llen(listed)
    raw = await redis.lindex(listed, -1)
    assert raw is not None
    newest = orjson.loads(raw)
    assert (newest["responses"][0]["cid"] if kind is Kind.V1 else newest["qa_id"]) == cids_of(body)[0]


async def test_a_caller_cancelled_while_its_claim_is_adopted_gives_the_qap_back(
        cutter: tuple[ReplyCutter, Pool, HandOuts], redis: Redis) -> None:
    proxy, pool, handouts = cutter
    await _warm(pool, handouts)
    await redis.delete(keys.QUEUE, keys.QUESTIONS)
    waiting = asyncio.create_task(handouts.take("grpc:deadline", 5.0))
    await until(lambda: redis.zcard(keys.WAITERS), 1)  # registered as a waiter: it blocks on the empty queue
    proxy.armed, proxy.delay = True, 2.0
    body = make_body()
    await redis.rpush(keys.QUEUE, orjson.dumps(body))  # BLMOVE delivers; the adopt's reply is held
    await until(lambda: proxy.count(), 1)
    waiting.cancel()  # the caller's deadline, while the adopt's reply is on its way
    await asyncio.gather(waiting, return_exceptions=True)
    await until(lambda: redis.llen(keys.QUEUE), 1)
    assert await redis.zcard(keys.LEASES) == 0 and await redis.llen(keys.DEAD) == 0
    assert [orjson.loads(raw)["responses"][0]["cid"] for raw in await redis.lrange(keys.QUEUE, 0, -1)] == \
        [cids_of(body)[0]]


async def until(read: Callable[[], Awaitable[int]], value: int) -> None:
    """Polls `read` until it gives `value` (5 s at most)."""
    for _ in range(500):
        if await read() == value:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still {await read()}, expected {value}")
