"""Requests the iterator must refuse before spending anything, and loops bad settings must not be able to spin."""

from __future__ import annotations

import grpc
import pytest

from services.common.errors import field_violations
from services.iterator.context import Budget
from services.iterator.runner import execute
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

from .conftest import ContextFactory, Iterator, OfflineModel, solve
from .test_strategies import ADD, WRONG

SEIDR, ALPHA, LLMCODER, REWOO = pb.STRATEGY_SEIDR, pb.STRATEGY_ALPHACODIUM, pb.STRATEGY_LLMCODER, pb.STRATEGY_REWOO
COMPLETE = pb.Problem(description="Complete the function.", language=ADD.language, prompt="def add(a, b):\n")


@pytest.mark.parametrize(("request_", "fields"), [
    (pb.SolveRequest(problem=ADD, strategy=SEIDR, seidr=pb.SeidrOptions(branching_factor=-1, beam_width=-1)),
     {"seidr.branching_factor", "seidr.beam_width"}),
    (pb.SolveRequest(problem=ADD, strategy=SEIDR, seidr=pb.SeidrOptions(explanations_per_program=10**6,
                                                                        ranking=7)),  # type: ignore[arg-type]
     {"seidr.explanations_per_program", "seidr.ranking"}),
    (pb.SolveRequest(problem=ADD, strategy=ALPHA, alphacodium=pb.AlphaCodiumOptions(
        max_initial_attempts=-1, max_solutions=-2, ai_tests=-3, max_fixes_per_test=-4)),
     {"alphacodium.max_initial_attempts", "alphacodium.max_solutions", "alphacodium.ai_tests",
      "alphacodium.max_fixes_per_test"}),
    (pb.SolveRequest(problem=COMPLETE, strategy=LLMCODER, llmcoder=pb.LlmCoderOptions(
        choices=-1, meta_temperature=float("nan"), max_iterations=-1, analyzers=["mypy", "pylint", "mypy"])),
     {"llmcoder.choices", "llmcoder.meta_temperature", "llmcoder.max_iterations", "llmcoder.analyzers[1]",
      "llmcoder.analyzers[2]"}),
    (pb.SolveRequest(problem=ADD, strategy=REWOO, rewoo=pb.RewooOptions(step_timeout_seconds=-1, max_rounds=-1)),
     {"rewoo.step_timeout_seconds", "rewoo.max_rounds"}),
    (pb.SolveRequest(problem=ADD, strategy=SEIDR, budget=pb.Budget(max_wall_seconds=float("nan"))),
     {"budget.max_wall_seconds"}),
])
async def test_bad_options_are_invalid_argument(iterator: Iterator, request_: pb.SolveRequest,
                                                fields: set[str]) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await solve(iterator, request_)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations(caught.value)} == fields


async def test_seidr_without_parents_stops_at_once(run_context: ContextFactory, offline_model: OfflineModel) -> None:
    # Below the servicer's checks: a beam of -1 keeps no parent. The loop used to spin, never yielding to the
    # event loop, until the wall budget, emitting an event on every pass.
    model = await offline_model.script("seidr-no-parents", [WRONG, WRONG])
    events: list[pb.Event] = []
    ctx = run_context(ADD, model, Budget(max_llm_calls=10, max_tokens=10**6, max_wall_seconds=30.0,
                                         max_programs=10), events)
    result = await execute(ctx, SEIDR, [], pb.SeidrOptions(beam_width=-1))
    # Far below the wall budget: the run ended on its own instead of spinning until the budget stopped it.
    assert result.stop_reason == pb.STOP_REASON_EXHAUSTED and result.usage.wall_seconds < 10.0
    assert len(events) < 10 and "no parents left" in events[-1].message


def _problem(**fields: object) -> pb.Problem:
    problem = pb.Problem()
    problem.CopyFrom(ADD)
    for name, value in fields.items():
        problem.ClearField(name)  # type: ignore[arg-type]
        target = getattr(problem, name)
        if isinstance(value, list):
            target.extend(value)
        else:
            target.CopyFrom(value)
    return problem


SUM_CHECK = ex.UnitTestSuite(entry_point="add", check_code="def check(candidate:\n    assert candidate(1, 2) == 3\n")


@pytest.mark.parametrize(("problem", "fields"), [
    (_problem(unit_tests=SUM_CHECK, limits=ex.Limits(wall_seconds=-5)),
     {"problem.unit_tests.check_code", "problem.limits.wall_seconds"}),
    (_problem(limits=ex.Limits(wall_seconds=10**6, memory_bytes=-1)),
     {"problem.limits.wall_seconds", "problem.limits.memory_bytes"}),
    (_problem(public_tests=[ex.TestCase(name="t", assertion="assert add(1, 1) == 2"),
                            ex.TestCase(name="t", assertion="  "), ex.TestCase(name="u")],
              hidden_tests=[ex.TestCase(io=ex.IoTest(stdin="1", float_tolerance=-1))]),
     {"problem.public_tests[1].name", "problem.public_tests[1].assertion", "problem.public_tests[2]",
      "problem.hidden_tests[0].io.float_tolerance"}),
    (_problem(unit_tests=ex.UnitTestSuite(entry_point="add x", check_code="def check(c):\n    assert c(1, 2) == 3\n")),
     {"problem.unit_tests.entry_point"}),
    (_problem(unit_tests=ex.UnitTestSuite(entry_point="add", check_code="def check(a, b):\n    assert a\n")),
     {"problem.unit_tests.check_code"}),
])
async def test_bad_problems_are_refused_before_any_call(iterator: Iterator, offline_model: OfflineModel,
                                                       problem: pb.Problem, fields: set[str]) -> None:
    # These faults used to reach the executor only with the first candidate, after the LLM calls were spent.
    model = await offline_model.script("bad-problem", [WRONG, WRONG])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await solve(iterator, pb.SolveRequest(problem=problem, strategy=SEIDR, model=model,
                                              seidr=pb.SeidrOptions(branching_factor=2)))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations(caught.value)} == fields
    assert not [r for r in await offline_model.requests() if r["model"].endswith("bad-problem")]


async def test_bad_repairs_are_refused(iterator: Iterator) -> None:
    page = pb.Problem(description="A page.", language=ex.LANGUAGE_HTML,
                      public_tests=[ex.TestCase(name="t", assertion="assert True")])
    request = pb.RepairRequest(problem=page, strategy=pb.STRATEGY_DIRECT,
                               files=[ex.File(path="../index.html", content="<p>"), ex.File(path="a.js")],
                               browser=ex.BrowserOptions(settle_seconds=99))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in iterator.stub.Repair(request):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations(caught.value)} == {
        "problem.public_tests", "files[0].path", "files", "browser.settle_seconds"}


@pytest.mark.parametrize(("strategy", "fields"), [
    (pb.STRATEGY_LLMCODER, {"problem.language"}),  # mypy and jedi over JavaScript: scores that mean nothing
    (99, {"strategy"}),
])
async def test_repairs_with_a_strategy_that_cannot_run_are_refused(iterator: Iterator, strategy: int,
                                                                   fields: set[str]) -> None:
    problem = pb.Problem(description="Print the sum of two numbers.", language=ex.LANGUAGE_JAVASCRIPT)
    request = pb.RepairRequest(problem=problem, strategy=strategy,  # type: ignore[arg-type]
                               files=[ex.File(path="main.js", content="console.log(1 +);")])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in iterator.stub.Repair(request):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations(caught.value)} == fields
