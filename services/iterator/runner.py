"""Runs one strategy to its end and turns whatever happened into the run's Result."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from services.common.llm_errors import LlmError
from services.iterator.candidates import Candidate
from services.iterator.context import BudgetExhausted, RunContext
from services.iterator.strategies import alphacodium, direct, llmcoder, rewoo, seidr
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

log = logging.getLogger(__name__)

Strategy = Callable[[RunContext, list[Candidate], Any], Awaitable[None]]
STRATEGIES: dict[int, tuple[str, Strategy, str]] = {
    pb.STRATEGY_DIRECT: ("direct", direct.run, ""),
    pb.STRATEGY_SEIDR: ("seidr", seidr.run, "seidr"),
    pb.STRATEGY_ALPHACODIUM: ("alphacodium", alphacodium.run, "alphacodium"),
    pb.STRATEGY_LLMCODER: ("llmcoder", llmcoder.run, "llmcoder"),
    pb.STRATEGY_REWOO: ("rewoo", rewoo.run, "rewoo"),
}


def options_for(strategy: int, request: pb.SolveRequest | None) -> Any:
    """The options message of the strategy (defaults when the request carries none)."""
    name = STRATEGIES[strategy][2]
    defaults = {"seidr": pb.SeidrOptions(), "alphacodium": pb.AlphaCodiumOptions(),
                "llmcoder": pb.LlmCoderOptions(), "rewoo": pb.RewooOptions(), "": None}
    if request is not None and name and request.WhichOneof("options") == name:
        return getattr(request, name)
    return defaults[name]


async def execute(ctx: RunContext, strategy: int, seeds: list[Candidate], options: Any) -> pb.Result:
    """Runs the strategy; budget, LLM and executor failures end the run with the best candidate so far."""
    name, run, _ = STRATEGIES[strategy]
    stop, error = pb.STOP_REASON_EXHAUSTED, ""
    try:
        await run(ctx, seeds, options)
    except BudgetExhausted:
        stop = pb.STOP_REASON_BUDGET
    except LlmError as exc:
        stop, error = pb.STOP_REASON_ERROR, f"LLM failure ({exc.reason}): {exc}"
    except grpc.aio.AioRpcError as exc:
        stop, error = pb.STOP_REASON_ERROR, f"executor failure: {exc.code().name}: {exc.details()}"
    best = ctx.best
    if best is not None and best.solved:
        stop = pb.STOP_REASON_SOLVED
    if error:
        ctx.emit("log", error)
    result = pb.Result(solved=bool(best and best.solved), stop_reason=stop, error=error)
    if best is not None:
        result.best.CopyFrom(best.to_proto())
        await _grade_hidden(ctx, best, result)
    result.usage.CopyFrom(ctx.usage_proto())
    log.info("run finished", extra={"strategy": name, "stop": pb.StopReason.Name(stop), "solved": result.solved,
                                    "llm_calls": result.usage.llm_calls, "programs": result.usage.programs})
    return result


async def _grade_hidden(ctx: RunContext, best: Candidate, result: pb.Result) -> None:
    """Hidden tests are never shown to the model; they only grade the final program."""
    if not ctx.problem.hidden_tests:
        return
    job = ex.ExecuteRequest(language=ctx.problem.language, files=best.files, limits=ctx.problem.limits,
                            tests=ctx.problem.hidden_tests, tag=f"{best.id}-hidden")
    try:
        # Not charged to the budget: grading is not part of the search.
        result.hidden_result.CopyFrom(await ctx.executor.Execute(job, timeout=600))
    except grpc.aio.AioRpcError as exc:
        ctx.emit("log", f"hidden tests could not run: {exc.code().name}: {exc.details()}")
