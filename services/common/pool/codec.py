"""Conversions between the proto `Qap`, Dojo's JSON body and the v2 records.

The body is Dojo's `body` field for field (dojo-contract §1.3): files keep `language`, metadata values are
strings, ground-truth ranks are integers. v2 splits a QAP into a question record and two answer records
(§8.3), keyed by the rank-0 cid (`qa_id`, as upstream) and the worst answer's cid (`ans_aug_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from services.common.pool.validation import V2_ID, ranked_cids
from synthmesh.pool.v1 import pool_pb2

Body = dict[str, Any]


def qap_to_body(qap: pool_pb2.Qap) -> Body:
    """Dojo's body for a proto QAP (ground truth listed best first)."""
    return {
        "prompt": qap.prompt,
        "question_model": qap.question_model,
        "responses": [
            {
                "model": r.model,
                "completion": {
                    "files": [
                        {"filename": f.filename, "content": f.content, "language": f.language}
                        for f in r.completion.files
                    ]
                },
                "cid": r.cid,
            }
            for r in qap.responses
        ],
        "ground_truth": dict(sorted(qap.ground_truth.items(), key=lambda item: item[1])),
        "augmented_prompts": [{"level": a.level, "question": a.question} for a in qap.augmented_prompts],
        "topic": qap.topic,
        "persona": qap.persona,
        "metadata": dict(qap.metadata),
    }


def _text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _files(response: Mapping[str, Any]) -> list[pool_pb2.CodeFile]:
    completion = response.get("completion")
    files = completion.get("files") if isinstance(completion, Mapping) else None
    return [
        pool_pb2.CodeFile(filename=_text(f.get("filename")), content=_text(f.get("content")),
                          language=_text(f.get("language")))
        for f in (files if isinstance(files, list) else [])
        if isinstance(f, Mapping)
    ]


def body_to_qap(body: Mapping[str, Any]) -> pool_pb2.Qap:
    """A proto QAP from a stored body; lenient, since Peek also shows what other writers stored."""
    responses = body.get("responses")
    ground_truth = body.get("ground_truth")
    metadata = body.get("metadata")
    prompts = body.get("augmented_prompts")
    return pool_pb2.Qap(
        prompt=_text(body.get("prompt")),
        responses=[
            pool_pb2.QapResponse(model=_text(r.get("model")), cid=_text(r.get("cid")),
                                 completion=pool_pb2.Completion(files=_files(r)))
            for r in (responses if isinstance(responses, list) else [])
            if isinstance(r, Mapping)
        ],
        ground_truth={
            _text(k): v for k, v in (ground_truth.items() if isinstance(ground_truth, Mapping) else [])
            if isinstance(v, int) and not isinstance(v, bool)
        },
        metadata={_text(k): _text(v) for k, v in (metadata.items() if isinstance(metadata, Mapping) else [])},
        question_model=_text(body.get("question_model")),
        augmented_prompts=[
            pool_pb2.AugmentedPrompt(level=_text(a.get("level")), question=_text(a.get("question")))
            for a in (prompts if isinstance(prompts, list) else [])
            if isinstance(a, Mapping)
        ],
        topic=_text(body.get("topic")),
        persona=_text(body.get("persona")),
    )


@dataclass(frozen=True)
class V2Records:
    """What a v2 push writes: two answer records, then the question record that lists them."""

    qa_id: str
    ans_aug_id: str
    question: bytes
    answer: bytes
    augmented_answer: bytes


def _answer_record(prompt: str, answer_id: str, response: Mapping[str, Any]) -> bytes:
    return orjson.dumps({"prompt": prompt, "qa_id": answer_id, "responses": [response]})


def v2_records(body: Mapping[str, Any]) -> V2Records:
    """Splits a valid body: qa_id is the rank-0 answer, ans_aug_id the worst (the v2 "trap")."""
    ranked = ranked_cids(body)
    by_cid = {r["cid"]: r for r in body["responses"]}
    qa_id, aug_id = ranked[0], ranked[-1]
    prompt: str = body["prompt"]
    # Under CHANGE_QUESTIONS the worst answer answers a rewritten question; keep it as that answer's prompt.
    prompts = body.get("augmented_prompts") or []
    worst_rank = len(ranked) - 1
    aug_prompt = prompt
    if len(prompts) == len(ranked) and isinstance(prompts[worst_rank], Mapping):
        aug_prompt = _text(prompts[worst_rank].get("question")) or prompt
    return V2Records(
        qa_id=qa_id,
        ans_aug_id=aug_id,
        question=orjson.dumps({"question": prompt, "qa_id": qa_id, "ans_aug_id": aug_id}),
        answer=_answer_record(prompt, qa_id, by_cid[qa_id]),
        augmented_answer=_answer_record(aug_prompt, aug_id, by_cid[aug_id]),
    )


def parse_question(raw: bytes | str) -> tuple[str, str, str] | None:
    """(question, qa_id, ans_aug_id) of a v2 question record, or None when it is not a usable one."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    fields = (record.get("question"), record.get("qa_id"), record.get("ans_aug_id"))
    if not all(isinstance(f, str) and f for f in fields):
        return None
    question, qa_id, aug_id = fields
    assert isinstance(question, str) and isinstance(qa_id, str) and isinstance(aug_id, str)
    if not (V2_ID.fullmatch(qa_id) and V2_ID.fullmatch(aug_id)):
        return None  # a pair Dojo could never pop
    return question, qa_id, aug_id


def v2_to_qap(question: str, answer_raw: bytes | None) -> pool_pb2.Qap:
    """A proto QAP rebuilt from a v2 question and its base answer record (for Peek)."""
    responses: list[Any] = []
    if answer_raw is not None:
        try:
            record = orjson.loads(answer_raw)
        except orjson.JSONDecodeError:
            record = {}
        if isinstance(record, dict) and isinstance(record.get("responses"), list):
            responses = record["responses"][:1]
    qap = body_to_qap({"prompt": question, "responses": responses})
    if qap.responses:
        qap.ground_truth[qap.responses[0].cid] = 0
    return qap
