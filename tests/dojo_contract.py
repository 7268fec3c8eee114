"""What Dojo's validator does with a v1 body (dojo-contract §2.3–2.5), written as Dojo writes it.

`dojo_accepts(body)` raises exactly where Dojo would: KeyError while mapping, pydantic ValidationError for the
cid/ground-truth mismatch, ValueError for ranks that are not 0,1,2,… .
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator


class CodeFileObject(BaseModel):
    filename: str
    content: str
    language: str  # required by older Dojo, which obfuscates by language


class CodeAnswer(BaseModel):
    files: list[CodeFileObject]


class CompletionResponse(BaseModel):
    model: str
    completion: CodeAnswer | None
    completion_id: str
    rank_id: int | None = None
    score: float | None = None
    criteria_types: list[Any] = []


class SyntheticQA(BaseModel):
    prompt: str
    responses: list[CompletionResponse]
    ground_truth: dict[str, int] = {}
    metadata: dict[str, Any] = {}

    @model_validator(mode="after")
    def _cids_match_ground_truth(self) -> SyntheticQA:
        if {r.completion_id for r in self.responses} != set(self.ground_truth):
            raise ValueError("completion ids must equal the ground truth keys")
        return self


def check_ranks(ground_truth: dict[str, int]) -> None:
    ranks = sorted(ground_truth.values())
    if ranks != list(range(len(ranks))):
        raise ValueError("Provided ranks must be sorted and must be continuous")


def dojo_accepts(body: dict[str, Any]) -> SyntheticQA:
    responses = [{"model": r["model"], "completion": r["completion"], "completion_id": r["cid"]}
                 for r in body["responses"]]
    metadata = body["metadata"]  # one Dojo version reads it by key
    qa = SyntheticQA(prompt=body["prompt"], responses=responses, ground_truth=body["ground_truth"],
                     metadata=metadata)
    check_ranks(qa.ground_truth)
    if metadata["augment_type"] not in ("CHANGE_QUESTIONS", "CHANGE_ANSWERS"):
        raise ValueError(f"unknown augment_type {metadata['augment_type']!r}")
    if not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("metadata values must be strings")
    return qa
