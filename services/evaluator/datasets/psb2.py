"""PSB2 (Helmuth & Kelly 2021), read from its published files.

One folder per problem holds `<name>-edge.json` (hand-written edge cases) and `<name>-random.json` (up to a
million random cases), each a JSON-lines file of `{"input1": ..., "output1": ...}` objects. The folders sit
in `<path>/` or `<path>/datasets/` (the layout the `psb2` package downloads to).

Each case becomes stdin/stdout text in the `psb2` package's "competitive" format (as SEIDR uses it): one line
per input or output value, a list written as its length on one line and its space-separated items on the next.
Edge cases are the feedback tests; the first `psb2_random_tests` random cases are the grading tests (PSB2's
test set is random cases only). Only those lines are read, and the digest covers exactly them.

PSB2 ships no reference solutions, so limits are not calibrated (the floor applies). Problem descriptions come
from an optional `tasks.txt` beside the folders in SEIDR's `psb2-meta/tasks.txt` layout (a name line, then
its description line).
"""

from __future__ import annotations

import itertools
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


def value_lines(value: Any) -> list[str]:
    """One value in the competitive format: a scalar on one line, a list as its length then its items."""
    if isinstance(value, list):
        return [str(len(value)), " ".join(str(v) for v in value)]
    return [str(value)]


def case_text(case: dict[str, Any], prefix: str) -> str:
    """The stdin (prefix "input") or expected stdout (prefix "output") of one case."""
    lines: list[str] = []
    for number in itertools.count(1):
        if f"{prefix}{number}" not in case:
            break
        lines.extend(value_lines(case[f"{prefix}{number}"]))
    return "\n".join(lines) + "\n"


def _read_cases(path: Path, digest: Digest, limit: int | None) -> list[IoCase]:
    try:
        with path.open("rb") as stream:
            raw = list(itertools.islice((line for line in stream if line.strip()), limit))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror})") from exc
    digest.add(path, b"".join(raw))
    cases = []
    for number, line in enumerate(raw, 1):
        try:
            case = json.loads(line)
        except ValueError as exc:
            raise DatasetError(f"{path}:{number}: not a JSON object ({exc})") from exc
        if not isinstance(case, dict) or "input1" not in case or "output1" not in case:
            raise DatasetError(f"{path}:{number}: expected input1.. and output1.. fields")
        cases.append(IoCase(case_text(case, "input"), case_text(case, "output")))
    return cases


def _descriptions(root: Path, digest: Digest) -> dict[str, str]:
    tasks = root / "tasks.txt"
    if not tasks.is_file():
        return {}
    lines = [line.strip() for line in digest.add(tasks, tasks.read_bytes()).decode().splitlines() if line.strip()]
    return dict(zip(lines[::2], lines[1::2], strict=False))


@register_dataset(
    "psb2",
    description="PSB2: 25 stdin/stdout problems; dataset_path is the folder with <name>/<name>-edge.json and "
                "<name>-random.json (JSON lines of input1../output1..).",
    needs_path=True, unsafe_code=True,
    feedback_tests="PSB2 edge cases",
    grading_tests="PSB2 random cases (the first N of <name>-random.json)",
)
def load_dataset(path: Path | None, options: LoadOptions) -> LoadedDataset:
    """Reads every problem folder under `path` (or `path/datasets`)."""
    if path is None or not path.is_dir():
        raise DatasetError(f"{path}: not a directory")
    root = path / "datasets" if (path / "datasets").is_dir() else path
    digest = Digest(root)
    descriptions = _descriptions(root, digest)
    problems = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        name = folder.name
        edge, random = folder / f"{name}-edge.json", folder / f"{name}-random.json"
        if not edge.is_file() or not random.is_file():
            raise DatasetError(f"{folder}: expected {edge.name} and {random.name}")
        description = descriptions.get(name, "")
        problems.append(Problem(
            task_id=name, kind="io", description=description or f"PSB2 problem {name}",
            public_tests=tuple(_read_cases(edge, digest, None)),
            hidden_tests=tuple(_read_cases(random, digest, options.psb2_random_tests))))
    if not problems:
        raise DatasetError(f"{root}: no PSB2 problem folders")
    return LoadedDataset("psb2", problems, digest.hexdigest(), str(path))
