"""Valid Dojo QAP bodies for tests, and helpers to break them one rule at a time."""

from __future__ import annotations

import copy
import uuid
from typing import Any

AUGMENTED_LEVELS = ("ORIGINAL", "REMOVE_REQUIREMENTS", "ADD_REQUIREMENTS", "CHANGE_ANIMATION_OBJECT")


def make_body(augment_type: str = "CHANGE_QUESTIONS", prompt: str = "Build a bouncing-ball page.") -> dict[str, Any]:
    cids = [str(uuid.uuid4()) for _ in range(4)]
    return {
        "prompt": prompt,
        "question_model": "anthropic/claude-3.5-sonnet",
        "responses": [
            {"model": "anthropic/claude-3.5-sonnet", "cid": cid,
             "completion": {"files": [{"filename": "index.html", "language": "html",
                                       "content": f"<!DOCTYPE html><html><body>answer {rank}</body></html>"}]}}
            for rank, cid in enumerate(cids)
        ],
        "ground_truth": {cid: rank for rank, cid in enumerate(cids)},
        "augmented_prompts": [{"level": level, "question": f"{level} question"} for level in AUGMENTED_LEVELS]
        if augment_type == "CHANGE_QUESTIONS" else [],
        "topic": "ANIMATION",
        "persona": "A retired lighthouse keeper.",
        "metadata": {"augment_type": augment_type},
    }


def cids_of(body: dict[str, Any]) -> list[str]:
    return [r["cid"] for r in body["responses"]]


def mutated(body: dict[str, Any], change: Any) -> dict[str, Any]:
    """A deep copy of `body` after `change(copy)`."""
    out = copy.deepcopy(body)
    change(out)
    return out
