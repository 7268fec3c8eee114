"""PSB2, CodeContests (with calibration and its cache) and LLMcoder pairs through the service, and the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

from services.evaluator import report
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from tests.evaluator.conftest import FIXTURES, Evaluator, metric

FIZZ = ("x = int(input())\nprint('FizzBuzz' if x % 15 == 0 else 'Fizz' if x % 3 == 0 else 'Buzz' if x % 5 == 0 "
        "else x)\n")
GCD = "import math\nprint(math.gcd(int(input()), int(input())))\n"
LEADERS_WRONG = "input()\nv = input().split()\nprint(len(v))\nprint(' '.join(v))\n"


async def test_psb2_samples_graded_on_random_cases(evaluator: Evaluator, tmp_path: Path) -> None:
    samples = [ev.Sample(task_id="fizz-buzz", completion=FIZZ), ev.Sample(task_id="gcd", completion=GCD),
               ev.Sample(task_id="leaders", completion=LEADERS_WRONG)]
    _, rep = await evaluator.evaluate(ev.EvaluateRequest(
        dataset="psb2", dataset_path=str(FIXTURES / "psb2"), samples=samples, allow_code_execution=True,
        time_limit_floor_seconds=0.5, output_dir=str(tmp_path / "psb2")))
    assert metric(rep, "unbiased_pass_at_k", 1) == 2 / 3
    by_task = {p.task_id: p for p in rep.problems}
    assert by_task["leaders"].verdicts == {"WRONG_ANSWER": 1}
    assert {p.time_limit_seconds for p in rep.problems} == {0.5}  # no reference: the floor
    assert all(p.reference_seconds == 0 for p in rep.problems)
    assert rep.metrics[0].grading_tests.startswith("PSB2 random cases")
    line = json.loads((tmp_path / "psb2" / "samples.jsonl").read_text().splitlines()[2])
    assert line["tests_total"] == 6 and line["failures"][0]["outcome"] == "WRONG_ANSWER"


async def test_codecontests_calibrated_limits_cache_and_report(evaluator: Evaluator, tmp_path: Path) -> None:
    path = str(FIXTURES / "codecontests" / "valid.jsonl")
    samples = [ev.Sample(task_id="1000_A. Sum of Two", completion="a, b = map(int, input().split())\nprint(a + b)\n"),
               ev.Sample(task_id="1000_A. Sum of Two", completion="print(0)\n"),
               ev.Sample(task_id="1000_B. Reverse", completion="while True:\n    pass\n"),
               ev.Sample(task_id="1000_B. Reverse", completion="print(input()[::-1])\n"),
               ev.Sample(task_id="1000_C. Slow Square", completion="print(int(input()) ** 2)\n"),
               ev.Sample(task_id="1000_C. Slow Square", completion="print(int(input()) ** 2)\n")]
    request = ev.EvaluateRequest(dataset="codecontests", dataset_path=path, samples=samples, ks=[1, 2],
                                 time_limit_floor_seconds=0.5, allow_code_execution=True,
                                 output_dir=str(tmp_path / "first"))
    _, first = await evaluator.evaluate(request)
    by_task = {p.task_id: p for p in first.problems}
    slow = by_task["1000_C. Slow Square"]
    # The reference sleeps 0.3 s in each of its two tests: T_ref is the slowest test, not their sum (≥ 0.6 s),
    # and T = max(0.5, 4 x T_ref) is about 1.2 s; the quick ones get the floor.
    assert 0.29 <= slow.reference_seconds < 0.6 and slow.time_limit_seconds == 4 * slow.reference_seconds
    quick = by_task["1000_A. Sum of Two"]
    # T = max(floor, 4 x T_ref); on a loaded host even a trivial reference may take long enough to pass the floor.
    assert quick.time_limit_seconds == max(0.5, 4 * quick.reference_seconds)
    assert by_task["1000_B. Reverse"].verdicts == {"TIME_LIMIT": 1, "OK": 1}
    assert by_task["1000_A. Sum of Two"].verdicts == {"OK": 1, "WRONG_ANSWER": 1}
    assert metric(first, "unbiased_pass_at_k", 1) == 2 / 3 and metric(first, "any_of_k", 2) == 1.0
    results = json.loads(Path(first.results_path).read_text())
    assert {p["reference"]["source"] for p in results["problems"]} == {"measured"}
    assert results["host"]["start"]["cpu_model"] and results["host"]["start"]["cpu_cores"] >= 1
    assert len(results["host"]["start"]["load_average"]) == 3
    assert results["executor"]["info"]["sandbox"] == "bwrap"
    # A second evaluation on the same dataset and executor reuses the measurements.
    request.output_dir = str(tmp_path / "second")
    _, second = await evaluator.evaluate(request)
    results = json.loads(Path(second.results_path).read_text())
    assert {p["reference"]["source"] for p in results["problems"]} == {"cache"}
    assert [p.time_limit_seconds for p in second.problems] == [p.time_limit_seconds for p in first.problems]
    check_report(Path(first.report_path).read_text(), results)


def check_report(html: str, results: dict[str, object]) -> None:
    """The rendered report names every metric with its definition and plots without fetching anything."""
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for name in ("pass@1 (unbiased estimator, Chen et al. 2021)", "any-of-2 (first k samples)",
                 "1 - C(n-c, k)/C(n, k)", "CodeContests private + generated tests", "TIME_LIMIT", "WRONG_ANSWER",
                 "Time per problem", "1000_C. Slow Square", "cpu_model", "load_average"):
        assert name in html, name
    assert html.count("<svg") >= 4  # one chart per pass@k definition, verdicts, time per problem
    assert "<script" not in html and not re.search(r"(src|href)=", html), "the report must be self-contained"


async def test_report_escapes_untrusted_text(evaluator: Evaluator, tmp_path: Path) -> None:
    _, rep = await evaluator.evaluate(ev.EvaluateRequest(
        dataset="codecontests", dataset_path=str(FIXTURES / "codecontests"), canonical=True, limit=1,
        allow_code_execution=True, output_dir=str(tmp_path / "canonical")))
    results = json.loads(Path(rep.results_path).read_text())
    results["problems"][0]["task_id"] = "<script>alert(1)</script>"
    html = report.render(results)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_llmcoder_completions_are_compared_not_run(evaluator: Evaluator, tmp_path: Path) -> None:
    samples = [ev.Sample(task_id="level_0/pairs/pair1", completion="f.endswith('.py')]\n"),
               ev.Sample(task_id="level_0/pairs/pair2", completion="json.loads(f.read())\n"),
               ev.Sample(task_id="level_1/pairs/pair3", completion="return a - b\n")]
    # No allow_code_execution: nothing of the sample runs.
    _, rep = await evaluator.evaluate(ev.EvaluateRequest(
        dataset="llmcoder", dataset_path=str(FIXTURES / "llmcoder"), samples=samples,
        output_dir=str(tmp_path / "llmcoder")))
    values = {m.definition: m.value for m in rep.metrics}
    assert values["exact_match"] == 1 / 3 and values["levenshtein"] == (0 + 8 + 1) / 3
    assert 0 < values["bleu"] < 1 and 0 < values["sequence_matcher"] < 1
    assert not any(m.definition == "unbiased_pass_at_k" for m in rep.metrics)
    names = {m.name for m in rep.metrics}
    assert names >= {"Levenshtein distance (characters)", "BLEU-4 over characters (no smoothing)"}
    results = json.loads(Path(rep.results_path).read_text())
    assert results["executor"] is None and results["verdicts"] == {"MATCH": 1, "NO_MATCH": 2}
