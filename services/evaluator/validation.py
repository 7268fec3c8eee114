"""Turns an EvaluateRequest into a checked plan, collecting every field violation at once.

Cheap structural checks come first (`check_request`); the unsafe-code gate next (`gate`); then the checks that
need the dataset (`build_plan`: task ids, samples, k against n, the output folder).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.errors import Violations
from services.evaluator import datasets
from services.evaluator.config import EvaluatorConfig
from services.evaluator.datasets import DatasetError, DatasetSpec, LoadedDataset, LoadOptions, Problem
from services.evaluator.runlog import read_runs
from services.evaluator.scoring import default_ks
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.iterator.v1 import iterator_pb2 as it

DEFAULT_FLOOR = 1.0
DEFAULT_FACTOR = 4.0
MAX_LISTED = 5
GENERATION_LOG = "generation.jsonl"


@dataclass
class Plan:
    """A valid request, resolved: what to evaluate, how, and where to write."""

    mode: str
    spec: DatasetSpec
    dataset: LoadedDataset
    problems: list[Problem]
    ks: list[int]
    floor: float
    factor: float
    output_dir: Path
    samples: dict[str, list[str]] = field(default_factory=dict)
    generation: ev.Generation | None = None
    rescore_runs: list[dict[str, Any]] = field(default_factory=list)
    ignored_samples: int = 0

    @property
    def executed(self) -> bool:
        """Whether grading runs programs (every dataset but the completion pairs)."""
        return self.spec.unsafe_code


def mode_of(request: ev.EvaluateRequest) -> list[str]:
    """The modes a request asks for (a valid request asks for exactly one)."""
    modes = []
    if request.samples:
        modes.append("samples")
    if request.HasField("generation"):
        modes.append("generation")
    if request.canonical:
        modes.append("canonical")
    if request.rescore_dir:
        modes.append("rescore")
    return modes


def check_request(request: ev.EvaluateRequest) -> Violations:
    """Checks that need no file: dataset name, path presence, mode, numbers."""
    v = Violations()
    spec = datasets.get(request.dataset)
    if spec is None:
        v.add("dataset", f"unknown dataset {request.dataset!r}; known: {', '.join(s.name for s in datasets.specs())}")
    elif spec.needs_path and not request.dataset_path:
        v.add("dataset_path", f"{spec.name} is read from local files: give their path")
    elif not spec.needs_path and request.dataset_path:
        v.add("dataset_path", f"{spec.name} needs no path (it ships with its package); leave it empty")
    modes = mode_of(request)
    if not modes:
        v.add("samples", "give samples, generation, canonical or rescore_dir")
    elif len(modes) > 1:
        v.add(modes[1] if modes[1] != "rescore" else "rescore_dir",
              f"choose one of samples, generation, canonical and rescore_dir (got {' and '.join(modes)})")
    for i, k in enumerate(request.ks):
        v.require(k > 0, f"ks[{i}]", f"k must be at least 1, got {k}")
    v.require(0 <= request.time_limit_floor_seconds <= 3600, "time_limit_floor_seconds", "must lie in [0, 3600]")
    v.require(0 <= request.time_limit_factor <= 1000, "time_limit_factor", "must lie in [0, 1000]")
    v.require(request.limit >= 0, "limit", "must not be negative")
    for i, sample in enumerate(request.samples):
        v.require(bool(sample.task_id), f"samples[{i}].task_id", "must not be empty")
    if request.HasField("generation"):
        _check_generation(request.generation, v)
    if request.canonical and spec is not None and spec.name == "psb2":
        v.add("canonical", "PSB2 ships no reference solutions")
    return v


def _check_generation(generation: ev.Generation, v: Violations) -> None:
    if generation.strategy == it.STRATEGY_UNSPECIFIED:
        v.add("generation.strategy", "must be set")
    v.require(0 <= generation.samples_per_problem <= 1000, "generation.samples_per_problem", "must lie in [0, 1000]")
    budget = generation.budget
    for name in ("max_llm_calls", "max_tokens", "max_wall_seconds", "max_programs"):
        v.require(getattr(budget, name) >= 0, f"generation.budget.{name}", "must not be negative")


def gate(request: ev.EvaluateRequest) -> str | None:
    """Why the request must be refused for lack of the unsafe-code confirmation (None when it may run)."""
    spec = datasets.get(request.dataset)
    runs_code = request.HasField("generation") or (spec is not None and spec.unsafe_code)
    if runs_code and not request.allow_code_execution:
        return ("this evaluation executes model-written code (sandboxed by the executor); set "
                "allow_code_execution=true to confirm")
    return None


def load_dataset(request: ev.EvaluateRequest, config: EvaluatorConfig, v: Violations) -> LoadedDataset | None:
    """Loads the dataset (blocking file reads; call it in a thread)."""
    spec = datasets.get(request.dataset)
    assert spec is not None
    path = Path(request.dataset_path).expanduser() if request.dataset_path else None
    try:
        return spec.loader(path, LoadOptions(psb2_random_tests=config.psb2_random_tests))
    except (DatasetError, OSError, UnicodeDecodeError) as exc:
        v.add("dataset_path", f"cannot load {spec.name}: {exc}")
        return None


def build_plan(request: ev.EvaluateRequest, config: EvaluatorConfig, v: Violations) -> Plan | None:
    """The plan of a structurally valid request; None with `v` filled when the request does not fit the data."""
    spec = datasets.get(request.dataset)
    assert spec is not None
    dataset = load_dataset(request, config, v)
    if dataset is None:
        return None
    problems = _select(request, dataset, v)
    mode = mode_of(request)[0]
    plan = Plan(mode=mode, spec=spec, dataset=dataset, problems=problems, ks=[],
                floor=request.time_limit_floor_seconds or DEFAULT_FLOOR,
                factor=request.time_limit_factor or DEFAULT_FACTOR, output_dir=Path())
    n_min = 0
    if mode == "samples":
        n_min = _attach_samples(request, plan, dataset, v)
    elif mode == "canonical":
        plan.samples = {p.task_id: [p.reference] for p in problems}
        n_min = 1
    elif mode == "generation":
        plan.generation = request.generation
        n_min = request.generation.samples_per_problem or 1
    else:
        n_min = _attach_runs(request, plan, dataset, v)
    plan.ks = _ks(request, n_min, v)
    if v:
        return None  # nothing is created on disk for a refused request
    output = _output_dir(request, config, v)
    if output is None:
        return None
    plan.output_dir = output
    return plan


def _select(request: ev.EvaluateRequest, dataset: LoadedDataset, v: Violations) -> list[Problem]:
    known = dataset.by_id()
    for i, task in enumerate(request.task_ids):
        v.require(task in known, f"task_ids[{i}]", f"{task!r} is not a problem of {dataset.name}")
    wanted = set(request.task_ids)
    problems = [p for p in dataset.problems if not wanted or p.task_id in wanted]
    return problems[:request.limit] if request.limit else problems


def _attach_samples(request: ev.EvaluateRequest, plan: Plan, dataset: LoadedDataset, v: Violations) -> int:
    known = dataset.by_id()
    selected = {p.task_id for p in plan.problems}
    grouped: dict[str, list[str]] = defaultdict(list)
    unknown = 0
    for i, sample in enumerate(request.samples):
        if sample.task_id not in known:
            unknown += 1
            if unknown <= MAX_LISTED:
                v.add(f"samples[{i}].task_id", f"{sample.task_id!r} is not a problem of {dataset.name}")
        elif sample.task_id in selected:
            grouped[sample.task_id].append(sample.completion)
        else:
            plan.ignored_samples += 1
    if unknown > MAX_LISTED:
        v.add("samples", f"{unknown} samples name unknown task ids (the first {MAX_LISTED} are listed)")
    missing = [p.task_id for p in plan.problems if p.task_id not in grouped]
    if missing and not unknown:
        v.add("samples", f"no samples for {len(missing)} of the {len(plan.problems)} selected problems "
                         f"({', '.join(missing[:MAX_LISTED])}{', ...' if len(missing) > MAX_LISTED else ''}); "
                         "set task_ids or limit to evaluate a subset")
    plan.samples = dict(grouped)
    return min((len(c) for c in grouped.values()), default=0)


def _attach_runs(request: ev.EvaluateRequest, plan: Plan, dataset: LoadedDataset, v: Violations) -> int:
    log = Path(request.rescore_dir).expanduser() / GENERATION_LOG
    runs = read_runs(log, v)
    if runs is None:
        return 0
    digests = {r.get("dataset_sha256") for r in runs}
    if digests != {dataset.sha256}:
        v.add("rescore_dir", f"{log} was generated on dataset sha256 {', '.join(sorted(map(str, digests)))}; "
                             f"the dataset loaded now has {dataset.sha256}")
        return 0
    selected = {p.task_id for p in plan.problems}
    plan.rescore_runs = [r for r in runs if r.get("task_id") in selected]
    counts: dict[str, int] = defaultdict(int)
    for run in plan.rescore_runs:
        counts[run["task_id"]] += 1
    plan.problems = [p for p in plan.problems if p.task_id in counts]
    if not plan.problems:
        v.add("rescore_dir", f"{log} holds no run of the selected problems")
    return min(counts.values(), default=0)


def _ks(request: ev.EvaluateRequest, n_min: int, v: Violations) -> list[int]:
    if not request.ks:
        return default_ks(n_min)
    for i, k in enumerate(request.ks):
        if n_min and k > n_min:
            v.add(f"ks[{i}]", f"k={k} exceeds n={n_min}, the fewest samples of any selected problem; the "
                              "unbiased estimator needs k <= n")
    return sorted(set(request.ks))


def _output_dir(request: ev.EvaluateRequest, config: EvaluatorConfig, v: Violations) -> Path | None:
    if request.output_dir:
        path = Path(request.output_dir).expanduser()
        path = path if path.is_absolute() else config.results_dir / path
    else:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = config.results_dir / f"{request.dataset}-{stamp}-{secrets.token_hex(2)}"
    if (path / "results.json").exists():
        v.add("output_dir", f"{path} already holds results.json; choose a new folder (results are never overwritten)")
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        v.add("output_dir", f"cannot create {path}: {exc.strerror}")
        return None
    return path
