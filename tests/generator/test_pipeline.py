"""The whole pipeline through litellm against the offline model, the real executor and iterator, and the pool."""

from __future__ import annotations

import json

from google.protobuf import json_format
from redis.asyncio import Redis

from services.common.pool.codec import qap_to_body
from synthmesh.generator.v1 import generator_pb2 as pb
from synthmesh.pool.v1 import pool_pb2
from tests.dojo_contract import dojo_accepts

from .conftest import GeneratorUnderTest, OfflineModel, PoolGateway


async def generate(gen: GeneratorUnderTest, **fields: object) -> pb.GenerateQapResponse:
    return await gen.stub.GenerateQap(pb.GenerateQapRequest(**fields), timeout=300)  # type: ignore[arg-type]


async def test_change_questions_qap_is_built_verified_and_pushed(generator: GeneratorUnderTest,
                                                                 pool_gateway: PoolGateway) -> None:
    reply = await generate(generator, topic=pb.TOPIC_ANIMATION, augment_type=pb.AUGMENT_TYPE_CHANGE_QUESTIONS,
                           seed=11, push=True)
    assert reply.outcome == pb.OUTCOME_GENERATED, reply.message
    assert reply.pushed and reply.llm_calls >= 8 and reply.tokens > 0
    body = qap_to_body(reply.qap)
    dojo_accepts(body)
    assert body["metadata"] == {"augment_type": "CHANGE_QUESTIONS"}
    assert [p["level"] for p in body["augmented_prompts"]] == ["ORIGINAL", "REMOVE_REQUIREMENTS",
                                                               "ADD_REQUIREMENTS", "CHANGE_ANIMATION_OBJECT"]
    assert body["prompt"].endswith("- Ensure that the output has both index.js and index.html files\n")
    for response in body["responses"]:
        files = response["completion"]["files"]
        assert [f["filename"] for f in files] == ["index.html"] and files[0]["language"] == "html"
        assert "<script src" not in files[0]["content"] and "<script>" in files[0]["content"]
    assert {c.rank for c in reply.checks} == {0, 1, 2, 3} and all(c.errors_after == 0 for c in reply.checks)
    assert {t.stage for t in reply.timings} >= {"question", "dedupe", "augment", "answers", "verify"}
    depth = await pool_gateway.stub.GetDepth(pool_pb2.GetDepthRequest())
    assert depth.v1 == 1


async def test_change_answers_qap_derives_from_a_verified_base(generator: GeneratorUnderTest) -> None:
    reply = await generate(generator, topic=pb.TOPIC_SCIENCE, augment_type=pb.AUGMENT_TYPE_CHANGE_ANSWERS, seed=12)
    assert reply.outcome == pb.OUTCOME_GENERATED, reply.message
    body = qap_to_body(reply.qap)
    dojo_accepts(body)
    assert body["augmented_prompts"] == [] and body["topic"] == "SCIENCE"
    pages = {r["cid"]: r["completion"]["files"][0]["content"] for r in body["responses"]}
    ranks = {cid: rank for cid, rank in body["ground_truth"].items()}
    by_rank = [pages[cid] for cid, _ in sorted(ranks.items(), key=lambda kv: kv[1])]
    assert len(set(by_rank)) == 4, "every augmentation must differ from the base answer"


async def test_broken_answers_are_repaired_before_they_are_pooled(generator: GeneratorUnderTest,
                                                                  offline_model: OfflineModel) -> None:
    await offline_model.client.post("/admin/config", json={"broken_rate": 1.0})
    # The server keeps its latest requests only: the test counts by sequence number, not by length.
    last_seq = max((r["seq"] for r in await offline_model.requests()), default=0)
    reply = await generate(generator, topic=pb.TOPIC_GAMES, augment_type=pb.AUGMENT_TYPE_CHANGE_QUESTIONS, seed=13,
                           push=True)
    assert reply.outcome == pb.OUTCOME_GENERATED, reply.message
    assert all(c.errors_before > 0 and c.errors_after == 0 and c.repair_attempts >= 1 for c in reply.checks)
    repairs = len([r for r in await offline_model.requests() if r.get("step") == "repair" and r["seq"] > last_seq])
    assert repairs >= 4
    # The iterator's repair calls are this QAP's cost too: question, 3 rewrites and 4 answers, plus the repairs.
    assert reply.llm_calls >= 8 + repairs, (reply.llm_calls, repairs)
    for response in qap_to_body(reply.qap)["responses"]:
        assert "!" not in response["completion"]["files"][0]["content"].split("synthmesh-offline:")[1].split("*/")[0]


async def test_the_same_question_twice_is_dropped_as_a_duplicate(generator: GeneratorUnderTest) -> None:
    first = await generate(generator, topic=pb.TOPIC_ANIMATION, seed=21, persona="A koi breeder", push=True)
    assert first.outcome == pb.OUTCOME_GENERATED, first.message
    second = await generate(generator, topic=pb.TOPIC_ANIMATION, seed=21, persona="A koi breeder", push=True)
    assert second.outcome == pb.OUTCOME_DROPPED and second.drop_reason == "duplicate"
    assert not second.HasField("qap") and not second.pushed


async def test_pooled_qap_is_handed_out_as_dojo_expects(generator: GeneratorUnderTest, pool_gateway: PoolGateway,
                                                        clean_pool: Redis) -> None:
    reply = await generate(generator, seed=31, push=True)
    assert reply.pushed, reply.message
    popped = await pool_gateway.stub.Pop(pool_pb2.PopRequest(pool=pool_pb2.POOL_KIND_V1, caller="test"))
    assert popped.found
    assert json_format.MessageToDict(popped.qap) == json_format.MessageToDict(reply.qap)
    raw = await clean_pool.lrange("synthetic:queue", 0, -1)
    assert raw == []
    assert json.loads(json.dumps(qap_to_body(popped.qap)))["ground_truth"] == dict(reply.qap.ground_truth)
