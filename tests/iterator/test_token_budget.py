"""The token budget holds for one long reply and for concurrent calls, which all used to start at zero spent."""

from __future__ import annotations

from synthmesh.iterator.v1 import iterator_pb2 as pb

from .conftest import Iterator, OfflineModel, solve
from .test_strategies import ADD

# About 1300 tokens by the offline model's count (words x 1.3), a wrong program after a long comment.
LONG_WRONG = "```python\n# " + "padding " * 1000 + "\ndef add(a, b):\n    return a - b\n```"


def spent(result: pb.Result) -> int:
    return result.usage.prompt_tokens + result.usage.completion_tokens


async def test_one_call_is_capped_to_the_remaining_tokens(iterator: Iterator, offline_model: OfflineModel) -> None:
    model = await offline_model.script("token-cap", [LONG_WRONG])
    _, result = await solve(iterator, pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_DIRECT, model=model,
                                                      budget=pb.Budget(max_tokens=600)))
    assert result.usage.llm_calls == 1 and 0 < spent(result) <= 600
    sent = [r for r in await offline_model.requests() if r["model"].endswith("token-cap")][-1]
    assert sent["options"]["max_tokens"] < 600


async def test_concurrent_calls_share_the_budget(iterator: Iterator, offline_model: OfflineModel) -> None:
    # Two drafts fit; the two explanations of the next generation do not both fit, so that batch is refused.
    model = await offline_model.script("token-share", [LONG_WRONG, LONG_WRONG, *["explained", "explained",
                                                                                 LONG_WRONG, LONG_WRONG] * 3])
    request = pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_SEIDR, model=model,
                              budget=pb.Budget(max_tokens=6000),
                              seidr=pb.SeidrOptions(branching_factor=2, explanations_per_program=1))
    events, result = await solve(iterator, request)
    assert result.stop_reason == pb.STOP_REASON_BUDGET and result.usage.llm_calls >= 2
    assert spent(result) <= 6000, [e.message for e in events if e.kind == "budget"]


async def test_a_batch_hitting_the_call_limit_logs_the_budget_once(iterator: Iterator,
                                                                   offline_model: OfflineModel) -> None:
    # Eight drafts start at once against a limit of three: five calls find the budget spent at the same moment.
    model = await offline_model.script("calls-once", [LONG_WRONG] * 8)
    request = pb.SolveRequest(problem=ADD, strategy=pb.STRATEGY_SEIDR, model=model,
                              budget=pb.Budget(max_llm_calls=3), seidr=pb.SeidrOptions(branching_factor=8))
    events, result = await solve(iterator, request)
    assert result.stop_reason == pb.STOP_REASON_BUDGET
    assert [e.message for e in events if e.kind == "budget"] == ["budget exhausted: 3 LLM calls"]
