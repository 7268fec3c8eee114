"""Per-problem time limits calibrated on the reference solution, as EvalPlus does: T = max(floor, factor × T_ref).

T_ref is measured by running the dataset's reference solution through the executor once per problem, under a
generous limit. The executor runs each io test as its own process and all the assertions of a HumanEval check in
one process, so T_ref is the reference's CPU time for a check (one run holds every assertion) and the slowest
test's wall time for io problems (the executor reports per-test wall times only, an upper bound of CPU time).

T is enforced as a CPU-time limit (the CPU of all the run's processes together), with the wall clock only
as a backstop at `wall_factor` × T + 1 s: CPU time hardly moves when other work shares the machine, wall time
does (ancestors.md §6.2), and a correct program must not fail because the host was busy. Passing measurements are
cached per dataset digest and executor fingerprint (sandbox, runtimes, slots, default limits); a failed one is
measured again next time. A problem without a passing reference gets the floor, and says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from google.protobuf import json_format

from services.evaluator.datasets import LoadedDataset, Problem
from services.evaluator.grading import Grader, SampleVerdict, grading_job
from synthmesh.executor.v1 import executor_pb2 as pb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reference:
    """What calibration learned about one problem's reference solution."""

    seconds: float | None
    outcome: str
    # "measured", "cache", or "none" when the dataset ships no reference.
    source: str


@dataclass(frozen=True)
class LimitPolicy:
    """How T is derived from T_ref and turned into executor limits."""

    floor: float
    factor: float
    wall_factor: float
    max_cpu: float = math.inf
    max_wall: float = math.inf

    def time_limit(self, reference: Reference) -> float:
        """max(floor, factor × T_ref), capped at the executor's CPU ceiling; the floor when T_ref is unknown."""
        if reference.seconds is None or reference.outcome != "OK":
            return min(self.floor, self.max_cpu)
        return min(max(self.floor, self.factor * reference.seconds), self.max_cpu)

    def limits(self, seconds: float) -> pb.Limits:
        """T as the CPU limit, and the wall-clock backstop."""
        return pb.Limits(cpu_seconds=seconds, wall_seconds=min(self.max_wall, self.wall_factor * seconds + 1.0))


def reference_seconds(problem: Problem, measured: SampleVerdict) -> float:
    """T_ref of one measured reference run (see the module docstring)."""
    if problem.kind == "unit" and measured.cpu_seconds > 0:
        return measured.cpu_seconds
    return max(measured.test_seconds, default=0.0)


def fingerprint(info: pb.GetInfoResponse) -> str:
    """A digest of what about the executor changes runtimes."""
    data = json_format.MessageToDict(info, preserving_proto_field_name=True)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class Calibrator:
    """Measures reference runtimes, with a JSON cache on disk (None: no cache)."""

    def __init__(self, cache_dir: Path | None, wall_seconds: float) -> None:
        self.cache_dir = cache_dir
        self.wall_seconds = wall_seconds

    def _cache_file(self, dataset: LoadedDataset, executor_fingerprint: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(f"{dataset.sha256}|{executor_fingerprint}".encode()).hexdigest()[:24]
        return self.cache_dir / f"calibration-{dataset.name}-{key}.json"

    def _read(self, path: Path | None) -> dict[str, Reference]:
        if path is None or not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text())
            # Failures an older evaluator cached are dropped, so they are measured again.
            return {task: Reference(v["seconds"], v["outcome"], "cache") for task, v in data.items()
                    if v["outcome"] == "OK"}
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable calibration cache", extra={"path": str(path)})
            return {}

    def _write(self, path: Path | None, known: dict[str, Reference]) -> None:
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = {task: {"seconds": r.seconds, "outcome": r.outcome} for task, r in known.items()
                       if r.source != "none"}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(payload, indent=1, sort_keys=True))
            tmp.replace(path)
        except OSError:
            log.warning("cannot write calibration cache", extra={"path": str(path)}, exc_info=True)

    async def references(self, dataset: LoadedDataset, problems: list[Problem], grader: Grader,
                         info: pb.GetInfoResponse, deadline: float | None) -> tuple[dict[str, Reference], float]:
        """Reference timings for `problems` (cached or measured now) and the seconds spent measuring."""
        path = self._cache_file(dataset, fingerprint(info))
        known = self._read(path)
        result: dict[str, Reference] = {}
        todo = []
        for problem in problems:
            if problem.kind == "completion":
                continue
            if not problem.reference:
                result[problem.task_id] = Reference(None, "NO_REFERENCE", "none")
            elif problem.task_id in known:
                result[problem.task_id] = known[problem.task_id]
            else:
                todo.append(problem)
        started = time.monotonic()
        if todo:
            limits = pb.Limits(cpu_seconds=self.wall_seconds, wall_seconds=self.wall_seconds)
            jobs = [grading_job(p, p.program(p.reference), limits, f"reference:{p.task_id}") for p in todo]
            async for index, measured in grader.run(jobs, deadline):
                problem = todo[index]
                seconds = reference_seconds(problem, measured)
                result[problem.task_id] = Reference(seconds, measured.outcome, "measured")
                if not measured.passed:
                    log.warning("reference solution did not pass",
                                extra={"task_id": problem.task_id, "outcome": measured.outcome})
            # Only passes are kept: a failure may be transient (SANDBOX_ERROR, a TIME_LIMIT on a busy host), and
            # cached it would pin the problem to the floor limit for this dataset and executor for good.
            known.update({k: v for k, v in result.items() if v.source == "measured" and v.outcome == "OK"})
            self._write(path, known)
        return result, time.monotonic() - started


def describe(reference: Reference) -> dict[str, object]:
    """A reference as JSON for results.json."""
    return asdict(reference)
