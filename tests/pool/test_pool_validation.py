"""Dojo's acceptance rules: what the pool refuses is exactly what Dojo's validator would reject."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.common.pool.validation import validate_body
from tests.dojo_contract import dojo_accepts
from tests.qaps import make_body, mutated


def _set_rank(body: dict[str, Any], index: int, rank: object) -> None:
    body["ground_truth"][body["responses"][index]["cid"]] = rank


BREAKS = {
    "three_responses": (lambda b: b["responses"].pop(), "responses"),
    "duplicate_cid": (lambda b: b["responses"][1].update(cid=b["responses"][0]["cid"]), "cid"),
    "unknown_ground_truth_key": (lambda b: b["ground_truth"].update(stray=4), "ground_truth"),
    "missing_ground_truth_key": (lambda b: b["ground_truth"].pop(b["responses"][3]["cid"]), "ground_truth"),
    "rank_gap": (lambda b: _set_rank(b, 3, 4), "ranks"),
    "rank_not_from_zero": (lambda b: [_set_rank(b, i, i + 1) for i in range(4)], "ranks"),
    "rank_bool": (lambda b: _set_rank(b, 1, True), "ranks"),
    "rank_string": (lambda b: _set_rank(b, 1, "1"), "ranks"),
    "metadata_missing": (lambda b: b.pop("metadata"), "metadata"),
    "augment_type_unknown": (lambda b: b["metadata"].update(augment_type="UNIFIED"), "augment_type"),
    "metadata_value_not_string": (lambda b: b["metadata"].update(level=3), "metadata"),
    "two_files": (lambda b: b["responses"][0]["completion"]["files"].append(
        {"filename": "index.js", "content": "x", "language": "javascript"}), "files"),
    "wrong_filename": (lambda b: b["responses"][2]["completion"]["files"][0].update(filename="main.html"),
                       "filename"),
    "blank_content": (lambda b: b["responses"][2]["completion"]["files"][0].update(content="  \n"), "content"),
    "no_language": (lambda b: b["responses"][0]["completion"]["files"][0].pop("language"), "language"),
    "empty_prompt": (lambda b: b.update(prompt=""), "prompt"),
    "no_completion": (lambda b: b["responses"][0].update(completion=None), "files"),
    "model_not_string": (lambda b: b["responses"][0].update(model=None), "response"),
}


def test_a_generated_qap_passes_both_checks() -> None:
    body = make_body()
    assert validate_body(body) == []
    assert len(dojo_accepts(body).responses) == 4


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_broken_rule_is_refused_with_its_reason(name: str) -> None:
    change, reason = BREAKS[name]
    problems = validate_body(mutated(make_body(), change))
    assert reason in {p.reason for p in problems}
    assert all(p.field and p.description for p in problems)


@pytest.mark.parametrize("name", ["duplicate_cid", "unknown_ground_truth_key", "rank_gap", "rank_not_from_zero",
                                  "metadata_missing", "augment_type_unknown", "metadata_value_not_string",
                                  "no_language", "model_not_string"])
def test_what_the_pool_refuses_dojo_rejects_too(name: str) -> None:
    change, reason = BREAKS[name]
    body = mutated(make_body(), change)
    assert reason in {p.reason for p in validate_body(body)}
    with pytest.raises((KeyError, ValueError, ValidationError)):
        dojo_accepts(body)


def test_non_objects_are_refused() -> None:
    assert [p.reason for p in validate_body(["not", "a", "qap"])] == ["not_object"]
    assert {p.reason for p in validate_body({})} >= {"prompt", "responses", "ground_truth", "metadata"}
