"""Every bad request gets a 4xx with a JSON message, and the pool stays exactly as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.common.pool import keys
from services.common.pool.store import Kind
from tests.gateway.conftest import Gateway, open_gateway
from tests.qaps import cids_of, make_body
from tests.redisproc import RedisProcess


async def _snapshot(redis: Redis) -> dict[bytes, bytes | None]:
    return {key: await redis.dump(key) async for key in redis.scan_iter()}


async def _chunks() -> AsyncIterator[bytes]:
    for _ in range(4):
        yield b"x" * 400


CASES = [
    ("POST", "/api/pop-qa", {"content": b"{not json"}, 400, "JSON"),
    ("POST", "/api/pop-qa", {"content": b"[1, 2]"}, 400, "object"),
    ("POST", "/api/pop-qa", {"json": {}}, 422, "qa_id"),
    ("POST", "/api/pop-qa", {"json": {"qa_id": 7}}, 422, "qa_id"),
    ("POST", "/api/pop-qa", {"json": {"qa_id": "a b\n"}}, 422, "qa_id"),
    ("POST", "/api/pop-qa", {"json": {"qa_id": "0b9c-unknown"}}, 404, "not listed"),
    ("POST", "/api/pop-qa", {"json": {"qa_id": "x" * 2000}}, 413, "larger than"),
    ("POST", "/api/pop-qa", {"content": _chunks}, 413, "larger than"),
    ("POST", "/api/synthetic-gen", {}, 405, "Method Not Allowed"),
    ("GET", "/api/pop-qa", {}, 405, "Method Not Allowed"),
    ("DELETE", "/health", {}, 405, "Method Not Allowed"),
    ("GET", "/api/nothing-here", {}, 404, "Not Found"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "words"), CASES,
                         ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES])
async def test_bad_requests_get_a_json_4xx_and_leave_the_pool_alone(
        gateway: Gateway, method: str, path: str, kwargs: dict[str, object], status: int, words: str) -> None:
    await gateway.pool.push(make_body(), Kind.V1)
    await gateway.pool.push(make_body(), Kind.V2)
    before = await _snapshot(gateway.redis)
    if callable(kwargs.get("content")):
        kwargs = {"content": kwargs["content"]()}  # type: ignore[operator]
    reply = await gateway.client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert reply.status_code == status
    body = reply.json()
    assert body["success"] is False and words in body["error"]
    assert await _snapshot(gateway.redis) == before


async def test_a_hand_out_with_a_streamed_body_over_the_limit_gets_413_and_loses_nothing(live_gateway: Gateway) -> None:
    # The body limit can only trip once the QAP is claimed (a chunked body declares no length): it goes back.
    gateway = live_gateway
    body = make_body()
    await gateway.pool.push(body, Kind.V1)

    async def one_big_chunk() -> AsyncIterator[bytes]:
        yield b"x" * 5000

    reply = await gateway.client.request("GET", "/api/synthetic-gen", content=one_big_chunk())
    assert reply.status_code == 413 and "larger than" in reply.json()["error"]
    assert await gateway.redis.zcard(keys.LEASES) == 0 and await gateway.redis.llen(keys.DEAD) == 0
    served = (await gateway.client.get("/api/synthetic-gen")).json()
    assert served["success"] is True and cids_of(served["body"]) == cids_of(body)


async def test_api_key_guards_the_api_but_not_health_or_metrics(redis_server: RedisProcess, redis: Redis) -> None:
    async with open_gateway(redis_server.url, api_key="k3y") as gw:
        await gw.pool.push(make_body(), Kind.V1)
        before = await _snapshot(gw.redis)
        for headers in ({}, {"X-API-Key": "wrong"}):
            reply = await gw.client.get("/api/synthetic-gen", headers=headers)
            assert reply.status_code == 401 and "API key" in reply.json()["error"]
        assert await _snapshot(gw.redis) == before
        assert (await gw.client.get("/health")).status_code == 200
        assert (await gw.client.get("/metrics")).status_code == 200
        assert (await gw.client.get("/metrics-and-more")).status_code == 401  # exemptions are exact paths
        reply = await gw.client.get("/api/synthetic-gen", headers={"X-API-Key": "k3y"})
        assert reply.json()["success"] is True


async def test_cors_allows_any_origin_like_upstream(gateway: Gateway) -> None:
    await gateway.pool.push(make_body(), Kind.V1)
    reply = await gateway.client.get("/api/synthetic-gen", headers={"Origin": "https://validator.example"})
    assert reply.headers["access-control-allow-origin"] == "*" and reply.json()["success"] is True
    preflight = await gateway.client.options("/api/pop-qa", headers={
        "Origin": "https://validator.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]


async def test_cors_can_be_limited_to_listed_origins(redis_server: RedisProcess, redis: Redis) -> None:
    async with open_gateway(redis_server.url, cors_origins=("https://ok.example",)) as gw:
        allowed = await gw.client.get("/health", headers={"Origin": "https://ok.example"})
        other = await gw.client.get("/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://ok.example"
    assert "access-control-allow-origin" not in other.headers

