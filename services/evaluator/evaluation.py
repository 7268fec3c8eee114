"""One evaluation from plan to report: calibrate, grade (or generate, then grade), score, write, report.

`Evaluation.run()` is an async generator of EvaluateResponse messages: Progress as problems finish, then one
Report. Everything that runs code goes through the executor over gRPC; generation goes through the iterator.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import json_format
from prometheus_client import Counter as MetricCounter

from services.evaluator import generation, report
from services.evaluator.calibration import Calibrator, LimitPolicy, Reference
from services.evaluator.config import EvaluatorConfig
from services.evaluator.grading import ExecutorError, Grader, SampleVerdict, grading_job
from services.evaluator.hostinfo import host_info
from services.evaluator.results import (
    SCHEMA,
    GradedSample,
    MetricValue,
    ProblemOutcome,
    compute_metrics,
    now,
    problem_json,
    write_json,
    write_samples,
)
from services.evaluator.textmetrics import score_completion
from services.evaluator.validation import GENERATION_LOG, Plan
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2_grpc

GRADED = MetricCounter("synthmesh_evaluator_samples_graded", "Programs graded, by dataset and verdict.",
                       ("dataset", "outcome"))


class Evaluation:
    """Runs one planned evaluation."""

    def __init__(self, plan: Plan, request: ev.EvaluateRequest, config: EvaluatorConfig,
                 executor: executor_pb2_grpc.ExecutorServiceAsyncStub,
                 iterator: iterator_pb2_grpc.IteratorServiceAsyncStub | None, calibrator: Calibrator,
                 deadline: float | None) -> None:
        self.plan = plan
        self.request = request
        self.config = config
        self.executor = executor
        self.iterator = iterator
        self.calibrator = calibrator
        self.deadline = deadline
        self.grader = Grader(executor, config.batch_jobs, config.batch_bytes, config.batch_concurrency,
                             config.batch_timeout_seconds)
        self.outcomes = {p.task_id: ProblemOutcome(p) for p in plan.problems}
        self.info: pb.GetInfoResponse | None = None
        self.policy = LimitPolicy(plan.floor, plan.factor, config.wall_factor)
        self.calibration_seconds = 0.0

    @property
    def feedback(self) -> str:
        """Which tests steered generation."""
        generated = self.plan.mode in ("generation", "rescore")
        return self.plan.spec.feedback_tests if generated else "none (samples were generated without test feedback)"

    async def run(self) -> AsyncIterator[ev.EvaluateResponse]:
        """Progress messages, then the report."""
        started, started_at, host_start = time.monotonic(), now(), host_info()
        if self.plan.executed:
            await self._calibrate()
        if self.plan.mode in ("samples", "canonical"):
            stream = self._grade_samples() if self.plan.executed else self._score_texts()
            async for progress in stream:
                yield progress
        else:
            runs = list(self.plan.rescore_runs)
            if self.plan.mode == "generation":
                async for progress in self._generate(runs):
                    yield progress
            async for progress in self._grade_runs(runs, announce=self.plan.mode == "rescore"):
                yield progress
        outcomes = list(self.outcomes.values())
        for outcome in outcomes:
            for sample in outcome.samples:
                GRADED.labels(self.plan.dataset.name, sample.outcome).inc()
        metrics = compute_metrics(outcomes, self.plan.ks, self.plan.executed,
                                  self.plan.mode in ("generation", "rescore"), self.feedback,
                                  self.plan.spec.grading_tests)
        timing = {"started": started_at, "finished": now(), "seconds": round(time.monotonic() - started, 3),
                  "calibration_seconds": round(self.calibration_seconds, 3)}
        results = self._results(outcomes, metrics, {"start": host_start, "end": host_info()}, timing)
        yield ev.EvaluateResponse(report=await asyncio.to_thread(self._write, outcomes, results, metrics))

    async def _calibrate(self) -> None:
        try:
            self.info = await self.executor.GetInfo(pb.GetInfoRequest(), timeout=10)
        except grpc.aio.AioRpcError as exc:
            raise ExecutorError(f"executor GetInfo failed: {exc.code().name}: {exc.details()}") from exc
        references, self.calibration_seconds = await self.calibrator.references(
            self.plan.dataset, self.plan.problems, self.grader, self.info, self.deadline)
        self.policy = LimitPolicy(self.plan.floor, self.plan.factor, self.config.wall_factor,
                                  self.info.max_limits.cpu_seconds or math.inf,
                                  self.info.max_limits.wall_seconds or math.inf)
        for task_id, outcome in self.outcomes.items():
            outcome.reference = references.get(task_id, Reference(None, "NO_REFERENCE", "none"))
            outcome.time_limit_seconds = self.policy.time_limit(outcome.reference)

    def _progress(self, task_id: str) -> ev.EvaluateResponse:
        done = sum(1 for o in self.outcomes.values() if o.samples and self._complete(o))
        passed = sum(s.passed for o in self.outcomes.values() for s in o.samples)
        return ev.EvaluateResponse(progress=ev.Progress(done=done, total=len(self.outcomes), passed=passed,
                                                        task_id=task_id))

    def _complete(self, outcome: ProblemOutcome) -> bool:
        expected = len(self.plan.samples.get(outcome.problem.task_id, [])) or len(outcome.runs or [])
        return len(outcome.samples) >= expected

    async def _grade_samples(self) -> AsyncIterator[ev.EvaluateResponse]:
        keys: list[tuple[str, int, str]] = []
        jobs: list[pb.ExecuteRequest] = []
        for problem in self.plan.problems:
            limit = self.outcomes[problem.task_id].time_limit_seconds
            for index, completion in enumerate(self.plan.samples[problem.task_id]):
                keys.append((problem.task_id, index, completion))
                jobs.append(grading_job(problem, problem.program(completion), self.policy.limits(limit),
                                        f"{problem.task_id}#{index}"))
        async for job_index, verdict in self.grader.run(jobs, self.deadline):
            task_id, index, completion = keys[job_index]
            outcome = self.outcomes[task_id]
            outcome.samples.append(GradedSample(task_id, index, completion, verdict=verdict,
                                                time_limit_seconds=outcome.time_limit_seconds))
            if self._complete(outcome):
                yield self._progress(task_id)

    async def _score_texts(self) -> AsyncIterator[ev.EvaluateResponse]:
        for problem in self.plan.problems:
            completions = self.plan.samples[problem.task_id]
            # Levenshtein is quadratic in pure Python: keep the event loop free while it runs.
            scores = await asyncio.to_thread(_score_all, problem.reference, completions)
            self.outcomes[problem.task_id].samples = [GradedSample(problem.task_id, i, c, text=s)
                                                      for i, (c, s) in enumerate(zip(completions, scores,
                                                                                     strict=True))]
            yield self._progress(problem.task_id)

    async def _generate(self, runs: list[dict[str, Any]]) -> AsyncIterator[ev.EvaluateResponse]:
        assert self.plan.generation is not None and self.iterator is not None
        limits = {t: o.time_limit_seconds or self.plan.floor for t, o in self.outcomes.items()}
        n = self.plan.generation.samples_per_problem or 1
        finished: Counter[str] = Counter()
        done = 0
        async for record in generation.generate(
                self.iterator, self.plan.dataset, self.plan.problems, self.plan.generation, limits, self.feedback,
                self.config.solve_concurrency, self.config.solve_timeout_seconds,
                self.plan.output_dir / GENERATION_LOG):
            runs.append(record)
            finished[record["task_id"]] += 1
            done += finished[record["task_id"]] == n
            yield ev.EvaluateResponse(progress=ev.Progress(
                done=done, total=len(self.outcomes), passed=sum(r["solved_on_feedback"] for r in runs),
                task_id=record["task_id"]))

    async def _grade_runs(self, runs: list[dict[str, Any]], announce: bool) -> AsyncIterator[ev.EvaluateResponse]:
        """Grades every distinct program of every run on the grading tests; the best program is the sample."""
        runs.sort(key=lambda r: (r["task_id"], r["run"]))
        programs: dict[tuple[str, str], int] = {}
        jobs: list[pb.ExecuteRequest] = []
        for run in runs:
            problem = self.outcomes[run["task_id"]].problem
            for candidate in run["candidates"]:
                key = (problem.task_id, candidate["program"])
                if key not in programs and self.plan.executed:
                    programs[key] = len(jobs)
                    limit = self.outcomes[problem.task_id].time_limit_seconds
                    jobs.append(grading_job(problem, candidate["program"], self.policy.limits(limit),
                                           f"{problem.task_id}#gen"))
        verdicts: dict[int, SampleVerdict] = {}
        if jobs:
            async for index, graded in self.grader.run(jobs, self.deadline):
                verdicts[index] = graded
        for run in runs:
            outcome = self.outcomes[run["task_id"]]
            passes = []
            for candidate in run["candidates"]:
                verdict = verdicts.get(programs.get((outcome.problem.task_id, candidate["program"]), -1))
                text = None if self.plan.executed else score_completion(
                    outcome.problem.reference, _completion(outcome.problem.prompt, candidate["program"]))
                passes.append(verdict.passed if verdict else bool(text and text["exact_match"]))
                candidate["grading_outcome"] = verdict.outcome if verdict else ("MATCH" if passes[-1] else "NO_MATCH")
                if candidate["id"] == run["best_id"]:
                    outcome.samples.append(GradedSample(outcome.problem.task_id, run["run"], candidate["program"],
                                                        verdict=verdict, text=text,
                                                        time_limit_seconds=outcome.time_limit_seconds))
            if not run["best_id"] or not any(c["id"] == run["best_id"] for c in run["candidates"]):
                outcome.samples.append(_missing_sample(outcome, run, self.plan.executed))
            outcome.solved_in_budget.append(any(passes))
            outcome.runs = [*(outcome.runs or []), _run_summary(run, any(passes))]
            if announce and self._complete(outcome):
                yield self._progress(outcome.problem.task_id)

    def _results(self, outcomes: list[ProblemOutcome], metrics: list[MetricValue], host: dict[str, Any],
                 timing: dict[str, Any]) -> dict[str, Any]:
        plan, request = self.plan, self.request
        counts = [len(o.samples) for o in outcomes]
        configuration = {
            "ks": plan.ks, "time_limit_floor_seconds": plan.floor, "time_limit_factor": plan.factor,
            "time_limit_enforcement": f"T as CPU time (all of a run's processes together); wall-clock backstop "
                                      f"{self.config.wall_factor:g} x T + 1 s",
            "limit": request.limit, "task_ids": list(request.task_ids),
            "samples_per_problem": {"min": min(counts, default=0), "max": max(counts, default=0)},
            "ignored_samples": plan.ignored_samples, "feedback_tests": self.feedback,
            "grading_tests": plan.spec.grading_tests,
            "generation": json_format.MessageToDict(plan.generation, preserving_proto_field_name=True)
            if plan.generation else None,
            "rescore_dir": request.rescore_dir or None, "allow_code_execution": request.allow_code_execution}
        executor = None
        if self.info is not None:
            executor = {"address": self.config.executor_addr,
                        "info": json_format.MessageToDict(self.info, preserving_proto_field_name=True)}
        verdicts = Counter(s.outcome for o in outcomes for s in o.samples)
        generated = plan.mode in ("generation", "rescore")
        return {
            "schema": SCHEMA, "created": now(), "mode": plan.mode,
            "dataset": {"name": plan.dataset.name, "sha256": plan.dataset.sha256, "source": plan.dataset.source,
                        "problems_total": len(plan.dataset.problems), "problems_evaluated": len(outcomes)},
            "configuration": configuration, "executor": executor, "host": host,
            "metrics": [vars(m) for m in metrics], "verdicts": dict(verdicts),
            "problems": [problem_json(o) for o in outcomes], "timing": timing,
            "files": {"samples": "samples.jsonl", "generation": GENERATION_LOG if generated else None,
                      "report": "report.html"},
        }

    def _write(self, outcomes: list[ProblemOutcome], results: dict[str, Any],
               metrics: list[MetricValue]) -> ev.Report:
        out = self.plan.output_dir
        if self.plan.mode == "rescore":
            # The new folder is self-contained: it carries the log it was scored from.
            source = self.plan.rescore_runs
            with (out / GENERATION_LOG).open("w", encoding="utf-8") as log:
                log.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in source)
        write_samples(out / "samples.jsonl", outcomes)
        write_json(out / "results.json", results)
        (out / "report.html").write_text(report.render(results), encoding="utf-8")
        return ev.Report(
            dataset=self.plan.dataset.name, dataset_sha256=self.plan.dataset.sha256,
            metrics=[ev.Metric(name=m.name, definition=m.key, k=m.k, value=m.value, problems=m.problems,
                               samples_per_problem=m.samples_per_problem, feedback_tests=m.feedback_tests,
                               grading_tests=m.grading_tests, description=m.description,
                               higher_is_better=m.higher_is_better) for m in metrics],
            problems=[ev.ProblemResult(task_id=o.problem.task_id, n=o.score().n, c=o.score().c,
                                       verdicts=o.verdicts(), seconds=o.mean_seconds(),
                                       time_limit_seconds=o.time_limit_seconds,
                                       reference_seconds=(o.reference.seconds or 0.0) if o.reference else 0.0)
                      for o in outcomes],
            results_path=str((out / "results.json").resolve()), report_path=str((out / "report.html").resolve()),
            config_json=json.dumps({k: results[k] for k in ("configuration", "executor", "host")}))


def _completion(prefix: str, program: str) -> str:
    """The completion part of a generated program (the iterator may return the prefix with it)."""
    return program[len(prefix):] if prefix and program.startswith(prefix) else program


def _score_all(reference: str, completions: list[str]) -> list[dict[str, float]]:
    return [score_completion(reference, completion) for completion in completions]


def _missing_sample(outcome: ProblemOutcome, run: dict[str, Any], executed: bool) -> GradedSample:
    """A run that ended without a best program (an error or an empty result) counts as a failed sample."""
    verdict = SampleVerdict("NO_PROGRAM", 0, 0, 0.0, 0.0, run.get("error") or "the run returned no program")
    return GradedSample(outcome.problem.task_id, run["run"], "", verdict=verdict if executed else None,
                        text=None if executed else score_completion(outcome.problem.reference, ""))


def _run_summary(run: dict[str, Any], solved: bool) -> dict[str, Any]:
    usage = run.get("usage", {})
    return {"run": run["run"], "seed": run.get("seed"), "solved_within_budget": solved,
            "solved_on_feedback": run.get("solved_on_feedback", False), "stop_reason": run.get("stop_reason", ""),
            "candidates": len(run["candidates"]), "llm_calls": usage.get("llm_calls", 0),
            "programs": usage.get("programs", 0), "tokens": usage.get("tokens", 0), "error": run.get("error", "")}
