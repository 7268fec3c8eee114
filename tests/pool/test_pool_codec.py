"""Conversions between the proto Qap, Dojo's body and the v2 records keep every field Dojo reads."""

from __future__ import annotations

import orjson

from services.common.pool.codec import body_to_qap, parse_question, qap_to_body, v2_records, v2_to_qap
from services.common.pool.validation import validate_body
from tests.qaps import cids_of, make_body


def test_body_survives_a_round_trip_through_the_proto() -> None:
    body = make_body()
    again = qap_to_body(body_to_qap(body))
    assert again == body
    assert validate_body(again) == []


def test_files_keep_language_and_ranks_stay_integers() -> None:
    body = qap_to_body(body_to_qap(make_body()))
    assert body["responses"][0]["completion"]["files"][0]["language"] == "html"
    assert all(type(rank) is int for rank in body["ground_truth"].values())
    assert all(isinstance(v, str) for v in body["metadata"].values())


def test_v2_records_use_the_best_and_the_worst_answer() -> None:
    body = make_body("CHANGE_QUESTIONS")
    best, worst = cids_of(body)[0], cids_of(body)[3]
    rec = v2_records(body)
    assert (rec.qa_id, rec.ans_aug_id) == (best, worst)
    assert orjson.loads(rec.question) == {"question": body["prompt"], "qa_id": best, "ans_aug_id": worst}
    answer, augmented = orjson.loads(rec.answer), orjson.loads(rec.augmented_answer)
    assert answer["qa_id"] == best and answer["prompt"] == body["prompt"]
    assert answer["responses"][0]["cid"] == best
    assert answer["responses"][0]["completion"]["files"][0]["content"].startswith("<!DOCTYPE html>")
    assert augmented["qa_id"] == worst and augmented["prompt"] == "CHANGE_ANIMATION_OBJECT question"


def test_unusable_question_records_are_recognised() -> None:
    assert parse_question(b'{"question": "q", "qa_id": "a", "ans_aug_id": "b"}') == ("q", "a", "b")
    assert parse_question(b'{"question": "q", "qa_id": ""}') is None
    assert parse_question(b"[1, 2]") is None
    assert parse_question(b"not json") is None


def test_peek_rebuilds_a_v2_pair() -> None:
    rec = v2_records(make_body())
    qap = v2_to_qap("the question", rec.answer)
    assert qap.prompt == "the question"
    assert [r.cid for r in qap.responses] == [rec.qa_id]
    assert dict(qap.ground_truth) == {rec.qa_id: 0}
