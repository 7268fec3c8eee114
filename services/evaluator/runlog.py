"""Reading a generation log (generation.jsonl) back for re-scoring, one line checked at a time.

The log comes from the caller's disk, so it is request input: every line is checked for the fields grading reads
before the plan is made, and a malformed line is a field violation naming it, never a crash after the output
folder has been created.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.common.errors import Violations

MAX_LISTED = 5
# Usage counters the report averages as numbers (results._USAGE).
USAGE_NUMBERS = ("llm_calls", "programs", "tokens")


def read_runs(log: Path, v: Violations) -> list[dict[str, Any]] | None:
    """The runs of `log`; None with `v` filled when it cannot be read or a line is not a run."""
    try:
        text = log.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: UnicodeDecodeError
        v.add("rescore_dir", f"cannot read {log}: {exc}")
        return None
    runs: list[dict[str, Any]] = []
    bad = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            fault = run_fault(record)
        except ValueError as exc:
            fault = f"not JSON ({exc})"
        if fault is None:
            runs.append(record)
            continue
        bad += 1
        if bad <= MAX_LISTED:
            v.add("rescore_dir", f"{log} line {number}: {fault}")
    if bad > MAX_LISTED:
        v.add("rescore_dir", f"{bad} lines of {log} are not runs (the first {MAX_LISTED} are listed)")
    return None if bad else runs


def run_fault(record: object) -> str | None:
    """Why `record` is not a run grading can read (None when it is); the fields generation.py writes."""
    if not isinstance(record, dict):
        return f"a run must be a JSON object, got {type(record).__name__}"
    if not isinstance(record.get("task_id"), str):
        return "'task_id' must be a string"
    run = record.get("run")
    if not isinstance(run, int) or isinstance(run, bool):  # bool is an int to Python, not to the log
        return "'run' must be an integer"
    if not isinstance(record.get("best_id"), str):
        return "'best_id' must be a string"
    return _candidates_fault(record.get("candidates")) or _usage_fault(record.get("usage", {}))


def _candidates_fault(candidates: object) -> str | None:
    if not isinstance(candidates, list):
        return "'candidates' must be a list"
    for i, candidate in enumerate(candidates):
        if not isinstance(candidate, dict):
            return f"'candidates[{i}]' must be a JSON object"
        for key in ("id", "program"):
            if not isinstance(candidate.get(key), str):
                return f"'candidates[{i}].{key}' must be a string"
    return None


def _usage_fault(usage: object) -> str | None:
    if not isinstance(usage, dict):
        return "'usage' must be a JSON object"
    for key in USAGE_NUMBERS:
        value = usage.get(key, 0)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"'usage.{key}' must be a number"
    return None
