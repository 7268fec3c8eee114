"""CodeContests (DeepMind) in the Hugging Face row shape, as AlphaCodium's cleaned valid/test files use it.

Each row has `name`, `description`, `public_tests {input: [], output: []}`, `private_tests`, `generated_tests`
and `solutions {language: [], solution: []}`. dataset_path is one file (`.jsonl`: a row per line; `.json`: a
list of rows, or an object whose values are rows or lists of rows, e.g. {"valid": [...], "test": [...]}) or a
folder of such files (read in name order). The digest covers every byte read.

Public tests are the feedback tests; private plus generated tests grade, as in AlphaCodium's evaluation. The
reference solution is the first Python 3 solution (language 3 or "PYTHON3"), used to calibrate time limits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.evaluator.datasets.base import (
    DatasetError,
    Digest,
    IoCase,
    LoadedDataset,
    LoadOptions,
    Problem,
    register_dataset,
)

# CodeContests' Language enum: 0 UNKNOWN, 1 PYTHON (2.x), 2 CPP, 3 PYTHON3, 4 JAVA.
PYTHON3 = (3, "3", "PYTHON3", "python3")


def _tests(row: dict[str, Any], key: str, where: str) -> tuple[IoCase, ...]:
    block = row.get(key) or {}
    if not isinstance(block, dict):
        raise DatasetError(f"{where}: {key} must be an object with input and output lists")
    inputs, outputs = block.get("input") or [], block.get("output") or []
    if len(inputs) != len(outputs):
        raise DatasetError(f"{where}: {key} has {len(inputs)} inputs but {len(outputs)} outputs")
    return tuple(IoCase(str(i), str(o)) for i, o in zip(inputs, outputs, strict=True))


def _reference(row: dict[str, Any]) -> str:
    block = row.get("solutions") or {}
    languages, solutions = block.get("language") or [], block.get("solution") or []
    return next((str(s) for lang, s in zip(languages, solutions, strict=False) if lang in PYTHON3), "")


def to_problem(row: Any, where: str) -> Problem:
    """One row as a Problem."""
    if not isinstance(row, dict) or not row.get("name") or "description" not in row:
        raise DatasetError(f"{where}: expected a CodeContests row with name and description")
    return Problem(task_id=str(row["name"]), kind="io", description=str(row["description"]),
                   public_tests=_tests(row, "public_tests", where),
                   hidden_tests=_tests(row, "private_tests", where) + _tests(row, "generated_tests", where),
                   reference=_reference(row))


def _rows(path: Path, data: bytes) -> list[tuple[Any, str]]:
    text = data.decode("utf-8")
    try:
        if path.suffix == ".jsonl":
            return [(json.loads(line), f"{path}:{n}") for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        document = json.loads(text)
    except ValueError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from exc
    if isinstance(document, list):
        return [(row, f"{path}[{i}]") for i, row in enumerate(document)]
    if isinstance(document, dict) and "name" not in document:
        rows: list[tuple[Any, str]] = []
        for split, value in document.items():
            items = value if isinstance(value, list) else [value]
            rows.extend((row, f"{path}[{split}][{i}]") for i, row in enumerate(items))
        return rows
    return [(document, str(path))]


@register_dataset(
    "codecontests",
    description="CodeContests rows (name, description, public/private/generated tests, solutions) from a "
                ".json/.jsonl file or folder, e.g. AlphaCodium's cleaned valid and test splits.",
    needs_path=True, unsafe_code=True,
    feedback_tests="CodeContests public tests",
    grading_tests="CodeContests private + generated tests",
)
def load_dataset(path: Path | None, options: LoadOptions) -> LoadedDataset:
    """Reads the rows of one file or of every .json/.jsonl file in a folder."""
    if path is None or not path.exists():
        raise DatasetError(f"{path}: no such file or directory")
    files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl")) if path.is_dir() else [path]
    digest = Digest(path if path.is_dir() else path.parent)
    problems: list[Problem] = []
    for file in files:
        problems.extend(to_problem(row, where) for row, where in _rows(file, digest.add(file, file.read_bytes())))
    if not problems:
        raise DatasetError(f"{path}: no CodeContests rows")
    seen: set[str] = set()
    for problem in problems:
        if problem.task_id in seen:
            raise DatasetError(f"{path}: problem name {problem.task_id!r} appears twice")
        seen.add(problem.task_id)
    return LoadedDataset("codecontests", problems, digest.hexdigest(), str(path))
