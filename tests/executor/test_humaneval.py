"""HumanEval through the sandbox: all canonical solutions pass, altered ones fail with the right verdict."""

from __future__ import annotations

import ast

from services.evaluator.datasets import humaneval
from synthmesh.executor.v1 import executor_pb2 as pb

from .conftest import Running

PROBLEMS, _ = humaneval.load()


def job(problem: humaneval.HumanEvalProblem, completion: str) -> pb.ExecuteRequest:
    return pb.ExecuteRequest(
        language=pb.LANGUAGE_PYTHON, tag=problem.task_id,
        files=[pb.File(path="solution.py", content=problem.program(completion))],
        unit_tests=pb.UnitTestSuite(check_code=problem.test, entry_point=problem.entry_point),
        limits=pb.Limits(wall_seconds=10, cpu_seconds=10))


async def run_all(running: Running, jobs: list[pb.ExecuteRequest]) -> dict[int, pb.ExecuteResponse]:
    results = {}
    async for item in running.stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
        results[item.index] = item.result
    return results


def assertion_statements(check_code: str) -> int:
    check = next(n for n in ast.parse(check_code).body if isinstance(n, ast.FunctionDef) and n.name == "check")
    return sum(any(isinstance(c, ast.Assert) for c in ast.walk(s)) for s in check.body)


async def test_all_164_canonical_solutions_pass(executor: Running) -> None:
    assert len(PROBLEMS) == 164
    results = await run_all(executor, [job(p, p.canonical_solution) for p in PROBLEMS])
    failed = {PROBLEMS[i].task_id: r.message for i, r in results.items() if r.outcome != pb.OUTCOME_OK}
    assert failed == {}
    for index, problem in enumerate(PROBLEMS):
        expected = max(1, assertion_statements(problem.test))
        assert len(results[index].tests) == expected, problem.task_id


async def test_altered_solutions_fail_with_the_right_verdict(executor: Running) -> None:
    first = PROBLEMS[:20]
    variants = {
        "returns None": ("    return None\n", {pb.OUTCOME_WRONG_ANSWER, pb.OUTCOME_RUNTIME_ERROR}),
        "raises": ("    raise ValueError('broken')\n", {pb.OUTCOME_RUNTIME_ERROR}),
        "loops": ("    while True:\n        pass\n", {pb.OUTCOME_TIME_LIMIT}),
        "does not parse": ("    return (\n", {pb.OUTCOME_SYNTAX_ERROR}),
    }
    for name, (completion, allowed) in variants.items():
        jobs = [job(p, completion) for p in (first[:4] if name == "loops" else first)]
        if name == "loops":
            for j in jobs:
                j.limits.cpu_seconds = 1
                j.limits.wall_seconds = 2
        results = await run_all(executor, jobs)
        outcomes = {PROBLEMS[i].task_id: r.outcome for i, r in results.items()}
        assert all(o in allowed for o in outcomes.values()), (name, outcomes)
        assert all(r.tests_passed < len(r.tests) or not r.tests for r in results.values())


async def test_one_result_per_assertion_with_the_failing_ones_marked(executor: Running) -> None:
    problem = PROBLEMS[0]  # has_close_elements: seven assertions, True/False alternating
    results = await run_all(executor, [job(problem, "    return True\n")])
    outcomes = [t.outcome for t in results[0].tests]
    assert outcomes == [pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER, pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER,
                        pb.OUTCOME_OK, pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER]
