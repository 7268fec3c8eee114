"""The problem model every loader produces, and the dataset registry (lm-eval's decorator-registry seam).

A loader reads a dataset's published files, turns each problem into a `Problem` and returns them with the
SHA-256 of exactly the bytes it read, so a result can always name the data it was computed on. Loaders register
themselves with `@register_dataset(...)`; `ListDatasets` serves the registry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ProblemKind = Literal["unit", "io", "completion"]


class DatasetError(ValueError):
    """The dataset's files are missing or not in the expected format; the message names the file and why."""


@dataclass(frozen=True)
class IoCase:
    """A stdin → expected stdout test."""

    stdin: str
    expected: str


@dataclass(frozen=True)
class Problem:
    """One problem, whatever dataset it came from.

    `kind` says how a sample is graded: "unit" runs `prompt + completion` against a HumanEval-style
    `check(candidate)`; "io" runs the completion as a whole program against stdin/stdout tests; "completion" is
    not executed and is compared with the reference completion (LLMcoder).
    """

    task_id: str
    kind: ProblemKind
    description: str
    prompt: str = ""
    entry_point: str = ""
    check_code: str = ""
    public_tests: tuple[IoCase, ...] = ()
    hidden_tests: tuple[IoCase, ...] = ()
    # The dataset's own answer in sample form (a completion for "unit" and "completion", a program for "io");
    # empty when the dataset ships none (PSB2).
    reference: str = ""

    def program(self, completion: str) -> str:
        """The program that is run for a sample: prompt + completion, or the completion itself for io."""
        return completion if self.kind == "io" else self.prompt + completion


@dataclass(frozen=True)
class LoadedDataset:
    """Problems in dataset order with the digest of the bytes read."""

    name: str
    problems: list[Problem]
    sha256: str
    source: str

    def by_id(self) -> dict[str, Problem]:
        """Problems keyed by task id."""
        return {p.task_id: p for p in self.problems}


@dataclass(frozen=True)
class LoadOptions:
    """Knobs a loader may read (from the evaluator's configuration)."""

    psb2_random_tests: int = 2000


Loader = Callable[[Path | None, LoadOptions], LoadedDataset]


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: how to load it and what its tests mean."""

    name: str
    description: str
    needs_path: bool
    # lm-eval's `unsafe_code`: grading runs model output, so the request must confirm allow_code_execution.
    unsafe_code: bool
    # Which tests may steer generation, and which grade; both are printed next to every metric.
    feedback_tests: str
    grading_tests: str
    loader: Loader = field(compare=False)


DATASETS: dict[str, DatasetSpec] = {}


def register_dataset(name: str, *, description: str, needs_path: bool, unsafe_code: bool, feedback_tests: str,
                     grading_tests: str) -> Callable[[Loader], Loader]:
    """Registers a loader under `name` (a decorator)."""

    def wrap(loader: Loader) -> Loader:
        if name in DATASETS:
            raise ValueError(f"dataset {name!r} is registered twice")
        DATASETS[name] = DatasetSpec(name, description, needs_path, unsafe_code, feedback_tests, grading_tests,
                                     loader)
        return loader

    return wrap


class Digest:
    """SHA-256 over every file a loader read, each prefixed by its path relative to the dataset root."""

    def __init__(self, root: Path | None = None) -> None:
        self._hash = hashlib.sha256()
        self._root = root

    def add(self, path: Path, data: bytes) -> bytes:
        """Adds one file's bytes (under its relative name, so renames change the digest) and returns them."""
        name = str(path.relative_to(self._root)) if self._root else path.name
        self._hash.update(name.encode() + b"\0" + len(data).to_bytes(8, "big"))
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        """The digest."""
        return self._hash.hexdigest()
