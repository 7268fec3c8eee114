"""Python and JavaScript jobs: plan the sandboxed runs of a request, run them, assemble the response.

A job becomes one run per io test (each with its own stdin), plus one run for all assertion-style cases
(assertion tests and the split HumanEval check, sharing the program's namespace), or a single plain run when
there are no tests. Runs of one job go to the slot pool concurrently.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from services.executor.compare import exact_equal, tolerant_equal
from services.executor.sandbox.pool import RunPool, RunResult
from services.executor.unittests import SplitSuite
from services.executor.verdicts import CASE_OUTCOMES, RunVerdict, classify, overall
from synthmesh.executor.v1 import executor_pb2 as pb

LANGUAGE_NAMES = {pb.LANGUAGE_PYTHON: "python", pb.LANGUAGE_JAVASCRIPT: "javascript"}


@dataclass(frozen=True)
class Limits:
    """Limits resolved against the executor's defaults."""

    wall: float
    cpu: float
    memory: int
    output: int
    processes: int


@dataclass
class PlannedRun:
    """One worker request and the test slots its result fills."""

    request: dict[str, Any]
    tests: list[int] = field(default_factory=list)
    io: pb.IoTest | None = None


def plan(req: pb.ExecuteRequest, limits: Limits, split: SplitSuite | None, tmpfs: int) -> tuple[
        list[PlannedRun], list[str]]:
    """The runs of a job and the name of every test in result order."""
    base = {
        "language": LANGUAGE_NAMES[req.language],
        "files": [[f.path, f.content] for f in req.files],
        "entrypoint": req.entrypoint,
        "limits": {"wall": limits.wall, "cpu": limits.cpu, "output": limits.output, "fsize": tmpfs,
                   "nproc": limits.processes, "memory": limits.memory},
    }
    names = [t.name or f"test_{i}" for i, t in enumerate(req.tests)]
    runs: list[PlannedRun] = []
    cases_run = PlannedRun(dict(base, stdin=req.stdin, cases=[], setup=split.setup if split else ""))
    for index, test in enumerate(req.tests):
        if test.WhichOneof("kind") == "io":
            runs.append(PlannedRun(dict(base, stdin=test.io.stdin), [index], test.io))
        else:
            cases_run.request["cases"].append(test.assertion)
            cases_run.tests.append(index)
    if split:
        for case, name in zip(split.cases, split.names, strict=True):
            cases_run.request["cases"].append(case)
            cases_run.tests.append(len(names))
            names.append(name)
    if cases_run.tests:
        runs.append(cases_run)
    if not runs:
        runs.append(PlannedRun(dict(base, stdin=req.stdin)))
    return runs, names


def _io_result(run: PlannedRun, verdict: RunVerdict, reply: dict[str, Any], name: str) -> pb.TestResult:
    assert run.io is not None
    result = pb.TestResult(name=name, outcome=verdict.outcome, message=verdict.message,
                           stdout=reply.get("stdout", ""), stderr=reply.get("stderr", ""),
                           expected_stdout=run.io.expected_stdout, wall_seconds=reply.get("wall", 0.0))
    if verdict.outcome == pb.OUTCOME_OK:
        actual = reply.get("stdout", "")
        io = run.io
        same = (exact_equal(actual, io.expected_stdout) if io.comparison == pb.COMPARISON_EXACT
                else tolerant_equal(actual, io.expected_stdout, io.float_tolerance, io.unordered_lines))
        if not same:
            result.outcome = pb.OUTCOME_WRONG_ANSWER
            result.message = f"expected {io.expected_stdout[:200]!r}, got {actual[:200]!r}"
    return result


def _case_results(run: PlannedRun, verdict: RunVerdict, reply: dict[str, Any],
                  names: list[str]) -> list[pb.TestResult]:
    events = {e["case"]: e for e in reply.get("events", []) if isinstance(e.get("case"), int)}
    setup_error = next((e["setup_error"] for e in reply.get("events", []) if "setup_error" in e), "")
    results = []
    for position, test_index in enumerate(run.tests):
        event = events.get(position)
        if event is not None:
            outcome = CASE_OUTCOMES.get(str(event.get("status")), pb.OUTCOME_RUNTIME_ERROR)
            message = str(event.get("message", ""))
            if outcome == pb.OUTCOME_WRONG_ANSWER and not message:
                message = f"assertion failed: {names[test_index]}"
            seconds = float(event.get("seconds", 0.0))
        elif setup_error:
            outcome, message, seconds = pb.OUTCOME_RUNTIME_ERROR, f"test setup failed: {setup_error}", 0.0
        else:
            # The run ended before this case reported: the run's own verdict explains why.
            fallback = verdict.outcome if verdict.outcome != pb.OUTCOME_OK else pb.OUTCOME_RUNTIME_ERROR
            outcome, message, seconds = fallback, verdict.message or "the program stopped before this test", 0.0
        results.append(pb.TestResult(name=names[test_index], outcome=outcome, message=message,
                                     wall_seconds=seconds))
    return results


async def execute(pool: RunPool, req: pb.ExecuteRequest, limits: Limits, split: SplitSuite | None,
                  tmpfs: int) -> pb.ExecuteResponse:
    """Runs a Python or JavaScript job and returns its full result."""
    start = time.monotonic()
    runs, names = plan(req, limits, split, tmpfs)
    results: list[RunResult] = await asyncio.gather(
        *(pool.run(r.request, limits.memory, limits.processes) for r in runs))
    tests: list[pb.TestResult | None] = [None] * len(names)
    verdicts = []
    for run, result in zip(runs, results, strict=True):
        verdict = classify(result.reply, result.oom_kills, result.sandbox_error, limits.cpu, limits.wall,
                           limits.memory)
        verdicts.append(verdict)
        if run.io is not None:
            tests[run.tests[0]] = _io_result(run, verdict, result.reply, names[run.tests[0]])
        elif run.tests:
            for index, item in zip(run.tests, _case_results(run, verdict, result.reply, names), strict=True):
                tests[index] = item
    done = [t for t in tests if t is not None]
    failing = next((i for i, v in enumerate(verdicts) if v.outcome != pb.OUTCOME_OK), None)
    shown = failing if failing is not None else len(runs) - 1
    reply, verdict = results[shown].reply, verdicts[shown]
    run_outcome = verdicts[failing].outcome if failing is not None else pb.OUTCOME_OK
    outcome = overall([t.outcome for t in done], run_outcome)
    response = pb.ExecuteResponse(
        outcome=outcome, tests=done, tests_passed=sum(t.outcome == pb.OUTCOME_OK for t in done),
        stdout=reply.get("stdout", ""), stderr=reply.get("stderr", ""),
        stdout_truncated=bool(reply.get("stdout_truncated")), stderr_truncated=bool(reply.get("stderr_truncated")),
        exit_code=verdict.exit_code, signal=verdict.signal, wall_seconds=time.monotonic() - start,
        cpu_seconds=sum(float(r.reply.get("cpu", 0.0)) for r in results),
        peak_memory_bytes=max(int(r.reply.get("maxrss", 0)) for r in results), tag=req.tag,
        sandbox=pool.settings.mode,
    )
    response.message = summary(response, verdict)
    return response


def summary(response: pb.ExecuteResponse, verdict: RunVerdict) -> str:
    """One line saying what happened."""
    name = pb.Outcome.Name(response.outcome).removeprefix("OUTCOME_")
    if response.tests:
        first_bad = next((t for t in response.tests if t.outcome != pb.OUTCOME_OK), None)
        counts = f"{response.tests_passed}/{len(response.tests)} tests passed"
        if first_bad is None and response.outcome != pb.OUTCOME_OK:
            return f"{name}: {counts}, then the run failed: {verdict.message}"[:1000]
        if first_bad is None:
            return f"{name}: {counts}"
        return f"{name}: {counts}; {first_bad.name}: {first_bad.message}"[:1000]
    return f"{name}: {verdict.message}"[:1000] if verdict.message else name
