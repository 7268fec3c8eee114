"""Responses have exactly the shapes Dojo's validators parse (dojo-contract §1, §2, §8 and §10)."""

from __future__ import annotations

import asyncio
import time

import orjson
from prometheus_client import REGISTRY

from services.common.pool import keys
from services.common.pool.store import Kind
from services.gateway.server import Maintenance
from tests.dojo_contract import dojo_accepts
from tests.gateway.conftest import WAIT_SECONDS, Gateway, open_gateway
from tests.qaps import cids_of, make_body
from tests.redisproc import free_port


async def test_health_is_ok_even_with_redis_unreachable() -> None:
    async with open_gateway(f"redis://127.0.0.1:{free_port()}") as gw:
        reply = await gw.client.get("/health")
    assert reply.status_code == 200 and reply.json() == {"status": "OK"}


async def test_synthetic_gen_serves_a_body_dojo_accepts(gateway: Gateway) -> None:
    pushed = make_body()
    await gateway.pool.push(pushed, Kind.V1)
    reply = await gateway.client.get("/api/synthetic-gen")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    envelope = reply.json()
    assert set(envelope) == {"success", "body", "error"}
    assert envelope["success"] is True and envelope["error"] is None
    assert envelope["body"] == pushed
    qa = dojo_accepts(envelope["body"])
    assert [r.completion_id for r in qa.responses] == cids_of(pushed)
    assert all(f.language == "html" and f.filename == "index.html" for r in qa.responses for f in r.completion.files)
    assert sorted(qa.ground_truth.values()) == [0, 1, 2, 3]


async def test_an_empty_pool_answers_the_failure_envelope_after_the_wait(gateway: Gateway) -> None:
    started = time.monotonic()
    reply = await gateway.client.get("/api/synthetic-gen")
    elapsed = time.monotonic() - started
    assert reply.status_code == 200
    envelope = reply.json()
    assert envelope["success"] is False and envelope["body"] == {}
    assert "no QAP became available" in envelope["error"]
    assert WAIT_SECONDS * 0.9 <= elapsed < 10.0  # it waited, and the wait ended


async def test_redis_down_is_a_quick_clear_failure() -> None:
    async with open_gateway(f"redis://127.0.0.1:{free_port()}", wait=30.0) as gw:
        started = time.monotonic()
        reply = await gw.client.get("/api/synthetic-gen")
        elapsed = time.monotonic() - started
    envelope = reply.json()
    assert reply.status_code == 200 and envelope["success"] is False and envelope["body"] == {}
    assert "Redis" in envelope["error"]
    assert elapsed < 10.0, "a refused connection must fail the hand-out, not wait out the 30 s empty-pool wait"


async def test_v2_question_is_peeked_then_popped_with_both_answers(gateway: Gateway) -> None:
    body = make_body()
    qa_id, _ = await gateway.pool.push(body, Kind.V2)
    first = (await gateway.client.get("/api/generate-question")).json()
    assert first == {"success": True, "prompt": body["prompt"], "qa_id": qa_id, "ans_aug_id": cids_of(body)[3]}
    assert (await gateway.client.get("/api/generate-question")).json() == first  # a peek removes nothing
    popped = await gateway.client.post("/api/pop-qa", json={"qa_id": qa_id})
    assert popped.status_code == 200 and popped.json() == {"success": True}
    assert await gateway.redis.exists(keys.answer(qa_id), keys.answer(cids_of(body)[3])) == 0
    assert await gateway.redis.llen(keys.QUESTIONS) == 0


async def test_v2_empty_pool_shape(gateway: Gateway) -> None:
    reply = await gateway.client.get("/api/generate-question")
    assert reply.status_code == 200
    assert reply.json() == {"success": False, "prompt": "", "qa_id": "", "ans_aug_id": ""}


async def test_openapi_documents_every_dojo_route(gateway: Gateway) -> None:
    schema = (await gateway.client.get("/openapi.json")).json()
    assert {"/health", "/api/synthetic-gen", "/api/generate-question", "/api/pop-qa"} <= set(schema["paths"])
    assert "qa_id" in orjson.dumps(schema["paths"]["/api/pop-qa"]["post"]["requestBody"]).decode()
    assert (await gateway.client.get("/docs")).status_code == 200


async def test_metrics_are_served_and_move_with_hand_outs(gateway: Gateway) -> None:
    def handed_out(text: str) -> float:
        lines = [ln for ln in text.splitlines() if ln.startswith('synthmesh_pool_handouts_total{pool="v1"}')]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = handed_out((await gateway.client.get("/metrics")).text)
    await gateway.pool.push(make_body(), Kind.V1)
    assert (await gateway.client.get("/api/synthetic-gen")).json()["success"] is True
    # The hand-out is counted when its acknowledgement reaches Redis, just after the reply went out.
    for _ in range(100):
        text = (await gateway.client.get("/metrics")).text
        if handed_out(text) > before:
            break
        await asyncio.sleep(0.01)
    assert handed_out(text) == before + 1
    assert 'synthmesh_pool_depth{pool="v1"} 0.0' in text


async def test_maintenance_survives_an_outage_and_sweeps_afterwards(gateway: Gateway) -> None:
    async with open_gateway(f"redis://127.0.0.1:{free_port()}") as down:
        await Maintenance(down.pool, down.handouts, 60).run_once()  # logs, never raises
    assert REGISTRY.get_sample_value("synthmesh_pool_redis_up") == 0  # the depth gauges are stale
    await gateway.pool.push(make_body(), Kind.V1)
    claim = await gateway.handouts.take("crashed", 0)
    assert claim is not None
    await gateway.redis.zadd(keys.LEASES, {claim.lease: 1.0})  # its lease ran out long ago
    await Maintenance(gateway.pool, gateway.handouts, 60).run_once()
    assert await gateway.redis.llen(keys.DEAD) == 1 and await gateway.redis.zcard(keys.LEASES) == 0
    assert REGISTRY.get_sample_value("synthmesh_pool_redis_up") == 1
