"""Each strategy's mechanics, proven through the real iterator, executor and offline model (scripted replies)."""

from __future__ import annotations

import json

import grpc
import pytest

from services.common.errors import field_violations
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

from .conftest import Iterator, OfflineModel, solve

ADD = pb.Problem(id="add", description="Write add(a, b) that returns the sum.", language=ex.LANGUAGE_PYTHON,
                 entry_point="add",
                 public_tests=[ex.TestCase(name="small", assertion="assert add(1, 2) == 3"),
                               ex.TestCase(name="negative", assertion="assert add(-1, -1) == -2")],
                 hidden_tests=[ex.TestCase(name="big", assertion="assert add(10**9, 1) == 10**9 + 1")])
RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"
WRONG = "```python\ndef add(a, b):\n    return a - b\n```"
ONLY_SMALL = "```python\ndef add(a, b):\n    return 3\n```"
ONLY_NEGATIVE = "```python\ndef add(a, b):\n    return -2\n```"


async def test_direct_solves_in_one_call_and_grades_hidden(iterator: Iterator, offline_model: OfflineModel) -> None:
    model = await offline_model.script("direct-ok", [RIGHT])
    events, result = await solve(iterator, pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_DIRECT, model=model))
    assert result.solved and result.stop_reason == pb.STOP_REASON_SOLVED
    assert result.usage.llm_calls == 1 and result.usage.prompt_tokens > 0 and result.usage.programs == 1
    assert result.hidden_result.outcome == ex.OUTCOME_OK
    assert [e.kind for e in events] == ["candidate"]


async def test_seidr_explains_the_worst_case_and_repairs(iterator: Iterator, offline_model: OfflineModel) -> None:
    model = await offline_model.script("seidr-fix", [WRONG, "It subtracts instead of adding.", RIGHT])
    options = pb.SeidrOptions(branching_factor=1, explanations_per_program=1)
    events, result = await solve(iterator, pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_SEIDR, model=model,
                                                           seidr=options))
    assert result.solved and result.usage.llm_calls == 3 and result.best.parent_id
    feedback = next(e for e in events if e.kind == "feedback")
    assert "small" in feedback.feedback and "WRONG_ANSWER" in feedback.feedback
    sent = await offline_model.requests()
    repair_prompt = sent[-1]["messages"][-1]["content"]
    assert "It subtracts instead of adding." in repair_prompt and "return a - b" in repair_prompt


async def test_budget_stops_a_run(iterator: Iterator, offline_model: OfflineModel) -> None:
    model = await offline_model.script("seidr-broke", [WRONG, "explanation", WRONG, "explanation", WRONG])
    request = pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_SEIDR, model=model, budget=pb.Budget(max_llm_calls=3),
                              seidr=pb.SeidrOptions(branching_factor=1, explanations_per_program=1))
    events, result = await solve(iterator, request)
    assert result.stop_reason == pb.STOP_REASON_BUDGET and not result.solved
    assert result.usage.llm_calls == 3 and any(e.kind == "budget" for e in events)
    programs = pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_SEIDR, model=model,
                               budget=pb.Budget(max_programs=1), seidr=pb.SeidrOptions(branching_factor=1))
    await offline_model.script("seidr-broke", [WRONG, "explanation", WRONG])
    _, limited = await solve(iterator, programs)
    assert limited.stop_reason == pb.STOP_REASON_BUDGET and limited.usage.programs == 1


async def test_alphacodium_reverts_a_fix_that_breaks_an_anchor(iterator: Iterator, offline_model: OfflineModel) -> None:
    model = await offline_model.script("anchors", [
        "- goal: add two numbers", "1 + 2 = 3 and -1 + -1 = -2",
        json.dumps({"solutions": [{"name": "constant", "approach": "return 3"}]}), json.dumps({"tests": []}),
        ONLY_SMALL,      # initial code: passes `small`, fails `negative`
        ONLY_NEGATIVE,   # fix for `negative` that breaks the `small` anchor: must be reverted
        RIGHT,           # the next fix passes both
    ])
    options = pb.AlphaCodiumOptions(max_initial_attempts=1, max_fixes_per_test=3)
    events, result = await solve(iterator, pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_ALPHACODIUM, model=model,
                                                           alphacodium=options))
    reverts = [e for e in events if e.kind == "revert"]
    assert len(reverts) == 1 and "small" in reverts[0].message
    assert result.solved and "return a + b" in result.best.files[0].content


async def test_alphacodium_keeps_the_grade_on_the_real_tests(iterator: Iterator, offline_model: OfflineModel) -> None:
    # The budget ends while the AI tests are being fixed; one of them is wrong, so the right program fails it.
    model = await offline_model.script("ai-stage", [
        "- goal: add two numbers", "1 + 2 = 3", json.dumps({"solutions": [{"name": "sum", "approach": "a + b"}]}),
        json.dumps({"tests": ["assert add(2, 2) == 5"]}), RIGHT])
    options = pb.AlphaCodiumOptions(max_initial_attempts=1)
    request = pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_ALPHACODIUM, model=model,
                              budget=pb.Budget(max_llm_calls=5), alphacodium=options)
    events, result = await solve(iterator, request)
    assert any(e.kind == "feedback" and "ai_test_0" in e.message for e in events)
    assert result.solved and result.stop_reason == pb.STOP_REASON_SOLVED
    assert [t.name for t in result.best.result.tests] == ["small", "negative"]


async def test_alphacodium_names_its_tests_apart_from_the_public_ones(iterator: Iterator,
                                                                      offline_model: OfflineModel) -> None:
    # A public test already called ai_test_0: the executor refuses a run whose test names repeat.
    problem = pb.Problem()
    problem.CopyFrom(ADD)
    problem.public_tests[1].name = "ai_test_0"
    model = await offline_model.script("ai-names", [
        "- goal: add two numbers", "1 + 2 = 3", json.dumps({"solutions": [{"name": "sum", "approach": "a + b"}]}),
        json.dumps({"tests": ["assert add(2, 3) == 5"]}), RIGHT])
    request = pb.SolveRequest(problem=problem, strategy=pb.STRATEGY_ALPHACODIUM, model=model,
                              alphacodium=pb.AlphaCodiumOptions(max_initial_attempts=1))
    events, result = await solve(iterator, request)
    assert result.solved and result.stop_reason == pb.STOP_REASON_SOLVED, [e.message for e in events][-3:]
    assert not [e for e in events if "duplicate test name" in e.message]


async def test_llmcoder_backtracks_to_an_older_branch(iterator: Iterator, offline_model: OfflineModel) -> None:
    prefix = "def add(a: int, b: int) -> int:\n"
    problem = pb.Problem(id="complete", description="Complete the function.", language=ex.LANGUAGE_PYTHON,
                         prompt=prefix)
    one_error = "```python\n    return str(a + b)\n```"                      # 1 mypy error
    two_errors = "```python\n    x: int = 'a'\n    return str(a) + b\n```"   # 2 mypy errors
    worse = ["```python\n    y: str = 1\n    z: int = ''\n    return str(a)\n```",   # 3 errors each
             "```python\n    y: str = 2\n    z: int = 'q'\n    return None\n```"]
    model = await offline_model.script("backtrack", [one_error, two_errors, *worse, RIGHT.replace(
        "def add(a, b):\n", ""), "```python\n    return a + b + 0\n```"])
    options = pb.LlmCoderOptions(analyzers=["mypy"], choices=2, backtracking=True, max_iterations=3)
    events, result = await solve(iterator, pb.SolveRequest(problem=problem, strategy=pb.STRATEGY_LLMCODER,
                                                           model=model, llmcoder=options))
    backtracks = [e for e in events if e.kind == "backtrack"]
    assert backtracks, [e.message for e in events]
    scores = {e.candidate.id: e.candidate.score for e in events if e.kind == "candidate"}
    assert min(scores.values()) == -3 and max(scores.values()) == 0
    assert result.best.score == 0


async def test_rewoo_runs_independent_steps_concurrently(iterator: Iterator, offline_model: OfflineModel) -> None:
    plan = """Plan: measure A
#E1 = ExecuteCode[```python
import time
time.sleep(1)
print('alpha-evidence')
```]
Plan: measure B at the same time
#E2 = ExecuteCode[```python
import time
time.sleep(1)
print('beta-evidence')
```]
Plan: combine
#E3 = LLM[Combine #E1 with #E2]
Plan: search
#E4 = WebSearch[how to add]
Plan: run a crashing probe
#E5 = TestCode[```python
raise SystemExit(3)
```]"""
    model = await offline_model.script("rewoo", [plan, "combined", RIGHT])
    events, result = await solve(iterator, pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_REWOO, model=model))
    steps = {json.loads(e.detail_json)["id"]: json.loads(e.detail_json) for e in events if e.kind == "step"}
    one, two, three = steps[1], steps[2], steps[3]
    assert one["started"] < two["finished"] and two["started"] < one["finished"], "E1 and E2 must overlap"
    assert three["started"] >= max(one["finished"], two["finished"]) - 0.05
    assert "disabled" in steps[4]["evidence"] and "RUNTIME_ERROR" in steps[5]["evidence"]
    combine_prompt = [r for r in await offline_model.requests() if "Combine" in r["messages"][-1]["content"]][-1]
    assert "alpha-evidence" in combine_prompt["messages"][-1]["content"]
    assert "beta-evidence" in combine_prompt["messages"][-1]["content"]
    assert result.solved and result.usage.llm_calls == 3


async def test_repair_of_an_html_page_uses_browser_errors(iterator: Iterator, offline_model: OfflineModel) -> None:
    broken = "<html><body><button id='b'>go</button><script>\ndocument.getElementById('b').onclick = () => " \
             "{ missingFunction(); };\n</script></body></html>"
    fixed = "```html\n<html><body><button id='b'>go</button><script>\ndocument.getElementById('b').onclick = " \
            "() => { document.title = 'ok'; };\n</script></body></html>\n```"
    model = await offline_model.script("html-repair", [fixed])
    request = pb.RepairRequest(problem=pb.Problem(description="A page with a button.", language=ex.LANGUAGE_HTML),
                               files=[ex.File(path="index.html", content=broken)], strategy=pb.STRATEGY_DIRECT,
                               model=model, browser=ex.BrowserOptions(auto_interact=True, settle_seconds=0.1))
    events, result = [], None
    async for item in iterator.stub.Repair(request):
        if item.HasField("event"):
            events.append(item.event)
        else:
            result = item.result
    assert result is not None and result.solved
    sent = (await offline_model.requests())[-1]["messages"][-1]["content"]
    assert "missingFunction is not defined" in sent and "interaction" in sent


async def test_llm_failure_ends_the_run_with_a_reason(iterator: Iterator, offline_model: OfflineModel) -> None:
    model = await offline_model.script("auth", [{"fault": "401"}])
    _, result = await solve(iterator, pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_DIRECT, model=model))
    assert result.stop_reason == pb.STOP_REASON_ERROR and "llm_auth" in result.error


@pytest.mark.parametrize(("request_", "field"), [
    (pb.SolveRequest(problem=ADD), "strategy"),
    (pb.SolveRequest(problem=pb.Problem(language=ex.LANGUAGE_PYTHON), strategy=pb.STRATEGY_DIRECT),
     "problem.description"),
    (pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_SEIDR, budget=pb.Budget(max_llm_calls=-1)),
     "budget.max_llm_calls"),
    (pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_SEIDR, rewoo=pb.RewooOptions()), "rewoo"),
    (pb.SolveRequest(problem=pb.Problem(description="x", language=ex.LANGUAGE_HTML), strategy=pb.STRATEGY_LLMCODER),
     "problem.language"),
])
async def test_bad_requests_are_invalid_argument(iterator: Iterator, request_: pb.SolveRequest, field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await solve(iterator, request_)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in field_violations(caught.value)]
