"""Pushes, v2 pops and inspection over a real Redis, in Dojo's key layout."""

from __future__ import annotations

import orjson
import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from services.common.pool import keys
from services.common.pool.errors import Duplicate, Rejected
from services.common.pool.store import Kind, Pool
from tests.qaps import cids_of, make_body, mutated


def _counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_v1_push_appends_the_body_and_archives_it_with_a_ttl(pool: Pool, redis: Redis) -> None:
    first, second = make_body(), make_body("CHANGE_ANSWERS")
    history_id, depth = await pool.push(first, Kind.V1)
    assert depth == 1
    assert (await pool.push(second, Kind.V1))[1] == 2
    stored = [orjson.loads(raw) for raw in await redis.lrange(keys.QUEUE, 0, -1)]
    assert stored == [first, second]  # FIFO, the whole body
    assert orjson.loads(await redis.get(keys.history(history_id))) == first
    assert 0 < await redis.ttl(keys.history(history_id)) <= pool.cfg.history_ttl_seconds


async def test_an_invalid_qap_is_refused_and_counted_by_reason(pool: Pool, redis: Redis) -> None:
    before = _counter("synthmesh_pool_rejected_pushes_total", reason="ranks")
    bad = mutated(make_body(), lambda b: b["ground_truth"].update({cids_of(b)[3]: 7}))
    with pytest.raises(Rejected) as err:
        await pool.push(bad, Kind.V1)
    assert {p.reason for p in err.value.problems} == {"ranks"}
    assert await redis.llen(keys.QUEUE) == 0
    assert await redis.hget(keys.REJECTED, "ranks") == b"1"
    assert _counter("synthmesh_pool_rejected_pushes_total", reason="ranks") == before + 1


async def test_the_same_qap_cannot_be_pushed_twice(pool: Pool, redis: Redis) -> None:
    body = make_body()
    await pool.push(body, Kind.V1)
    with pytest.raises(Duplicate):
        await pool.push(body, Kind.V2)
    assert await redis.llen(keys.QUEUE) == 1 and await redis.llen(keys.QUESTIONS) == 0
    assert await redis.hget(keys.REJECTED, "duplicate") == b"1"


async def test_v2_push_writes_both_answers_and_lists_the_question(pool: Pool, redis: Redis) -> None:
    body = make_body()
    qa_id, depth = await pool.push(body, Kind.V2)
    worst = cids_of(body)[3]
    assert (qa_id, depth) == (cids_of(body)[0], 1)
    question = orjson.loads(await redis.lindex(keys.QUESTIONS, 0))
    assert question == {"question": body["prompt"], "qa_id": qa_id, "ans_aug_id": worst}
    assert await redis.exists(keys.answer(qa_id), keys.answer(worst)) == 2
    assert await redis.ttl(keys.answer(qa_id)) == -1  # Go reads them until pop-qa, no TTL


async def test_pop_qa_removes_exactly_that_pair_and_is_idempotent(pool: Pool, redis: Redis) -> None:
    kept, popped = make_body(), make_body()
    await pool.push(kept, Kind.V2)
    qa_id, _ = await pool.push(popped, Kind.V2)
    delivery = await pool.pop_v2(qa_id, "validator-1")
    assert delivery is not None
    assert await redis.exists(keys.answer(qa_id), keys.answer(cids_of(popped)[3])) == 0
    remaining = [orjson.loads(raw)["qa_id"] for raw in await redis.lrange(keys.QUESTIONS, 0, -1)]
    assert remaining == [cids_of(kept)[0]]
    assert await redis.exists(keys.answer(cids_of(kept)[0]), keys.answer(cids_of(kept)[3])) == 2
    assert await pool.pop_v2(qa_id, "validator-1") is None  # already popped: nothing happens
    assert await pool.pop_v2("never-listed", "validator-1") is None
    assert await redis.llen(keys.QUESTIONS) == 1
    log = await redis.xrange(keys.DELIVERIES)
    assert len(log) == 1 and log[0][1][b"caller"] == b"validator-1"


async def test_generate_question_peeks_and_skips_a_head_without_answers(pool: Pool, redis: Redis) -> None:
    early, good = make_body(), make_body()
    early_id, _ = await pool.push(early, Kind.V2)
    good_id, _ = await pool.push(good, Kind.V2)
    answer = await redis.get(keys.answer(early_id))
    await redis.delete(keys.answer(early_id))  # listed before its answer was written: not ready for Go yet
    head = await pool.head_v2()
    assert head == (good["prompt"], good_id, cids_of(good)[3])
    assert await pool.head_v2() == head  # a peek removes nothing
    assert await redis.llen(keys.QUESTIONS) == 2 and await redis.llen(keys.DEAD) == 0
    assert answer is not None
    await redis.set(keys.answer(early_id), answer)  # the writer catches up: the first question is served
    assert await pool.head_v2() == (early["prompt"], early_id, cids_of(early)[3])


async def test_the_sweep_dead_letters_only_v2_records_dojo_could_never_use(pool: Pool, redis: Redis) -> None:
    waiting, good = make_body(), make_body()
    waiting_id, _ = await pool.push(waiting, Kind.V2)
    await redis.delete(keys.answer(waiting_id))  # its answer is not written yet: it must stay
    garbage = [b"not json", orjson.dumps({"question": "q", "qa_id": "a b", "ans_aug_id": "c"})]
    await redis.lpush(keys.QUESTIONS, *garbage)  # another writer's records, at the head
    good_id, _ = await pool.push(good, Kind.V2)
    assert await pool.bury_unusable_v2() == 2
    listed = [orjson.loads(raw)["qa_id"] for raw in await redis.lrange(keys.QUESTIONS, 0, -1)]
    assert listed == [waiting_id, good_id]
    dead = [orjson.loads(raw) for raw in await redis.lrange(keys.DEAD, 0, -1)]
    assert {d["raw"].encode() for d in dead} == set(garbage) and {d["reason"] for d in dead} == {"v2_invalid_question"}
    assert await pool.bury_unusable_v2() == 0


async def test_pop_qa_of_another_pairs_trap_answer_id_leaves_that_pair_whole(pool: Pool, redis: Redis) -> None:
    body = make_body()
    qa_id, _ = await pool.push(body, Kind.V2)
    trap = cids_of(body)[3]
    assert await pool.pop_v2(trap, "validator-1") is None  # not a listed qa_id
    assert await redis.exists(keys.answer(qa_id), keys.answer(trap)) == 2
    assert await pool.head_v2() == (body["prompt"], qa_id, trap)


async def test_a_v2_push_refuses_cids_that_pop_qa_could_never_take(pool: Pool, redis: Redis) -> None:
    body = make_body()
    old_cid = body["responses"][0]["cid"]
    body["responses"][0]["cid"] = "answer 0"
    body["ground_truth"]["answer 0"] = body["ground_truth"].pop(old_cid)
    with pytest.raises(Rejected) as refused:
        await pool.push(body, Kind.V2)
    assert [p.field for p in refused.value.problems] == ["responses[0].cid"]
    assert await redis.llen(keys.QUESTIONS) == 0
    await pool.push(body, Kind.V1)  # v1 has no such rule: Dojo v1 never names a pair by its cid


async def test_stats_and_depth_come_from_redis(pool: Pool) -> None:
    await pool.push(make_body(), Kind.V1)
    await pool.push(make_body(), Kind.V2)
    qa_id, _ = await pool.push(make_body(), Kind.V2)
    await pool.pop_v2(qa_id, "validator-2")
    stats = await pool.stats(recent=5)
    assert (stats.depth.v1, stats.depth.v2, stats.depth.in_flight) == (1, 1, 0)
    assert stats.counters == {"pushed_v1": 1, "pushed_v2": 2, "handed_out_v2": 1}
    assert stats.delivery_log_length == 1
    assert stats.recent[0].caller == "validator-2" and stats.recent[0].ids[0] == qa_id


async def test_every_key_written_stays_under_the_synthetic_prefix(pool: Pool, redis: Redis) -> None:
    await pool.push(make_body(), Kind.V1)
    qa_id, _ = await pool.push(make_body(), Kind.V2)
    await pool.pop_v2(qa_id, "x")
    with pytest.raises(Rejected):
        await pool.push({"prompt": ""}, Kind.V1)
    written = [k.decode() async for k in redis.scan_iter()]
    assert written and all(k.startswith("synthetic:") for k in written)
    internal = {k for k in written if not k.startswith(("synthetic:queue", "synthetic:questions",
                                                        "synthetic:answers:", "synthetic:history:"))}
    assert all(k.startswith("synthetic:mesh:") for k in internal)
