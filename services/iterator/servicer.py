"""IteratorService: validates a request, runs the strategy in a task, streams its events, then the result."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
from grpc import aio
from prometheus_client import Counter, Histogram

from services.common.errors import Violations, abort_invalid, error_status
from services.common.job_rules import LIMIT_FIELDS, check_browser
from services.common.llm import LlmClient
from services.iterator.candidates import Candidate, scored
from services.iterator.config import IteratorConfig
from services.iterator.context import Budget, RunContext
from services.iterator.job_rules import check_files
from services.iterator.runner import STRATEGIES, execute, options_for
from services.iterator.validation import validate_budget, validate_options, validate_problem, validate_strategy
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2 as pb
from synthmesh.iterator.v1 import iterator_pb2_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["IteratorService"].full_name
SOLVES = Counter("synthmesh_iterator_solves", "Finished runs by strategy, kind and stop reason.",
                 ("strategy", "kind", "stop_reason"))
LLM_CALLS = Histogram("synthmesh_iterator_llm_calls_per_run", "LLM calls made by one run.", ("strategy",),
                      buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500))
TOKENS = Histogram("synthmesh_iterator_tokens_per_run", "Prompt plus completion tokens of one run.", ("strategy",),
                   buckets=(100, 1_000, 5_000, 20_000, 50_000, 100_000, 500_000, 1_000_000))
EXECUTED = Counter("synthmesh_iterator_candidates_executed", "Candidate programs executed.", ("strategy",))
# The executor's ceilings are asked for again after this long: a restarted executor may have new ones.
CEILINGS_TTL_SECONDS = 60.0


class IteratorServicer(iterator_pb2_grpc.IteratorServiceServicer):
    """Solve and Repair over the shared run machinery."""

    def __init__(self, config: IteratorConfig, llm: LlmClient,
                 executor: executor_pb2_grpc.ExecutorServiceAsyncStub) -> None:
        self.config = config
        self.llm = llm
        self.executor = executor
        self.gate = asyncio.Semaphore(config.max_concurrent_runs)
        self._ceilings: tuple[float, ex.Limits] | None = None

    async def _max_limits(self, limits: ex.Limits) -> ex.Limits | None:
        """The executor's largest limits when `limits` asks for any; None if it cannot tell us now.

        Unknown ceilings skip only that check: an executor that does not answer GetInfo fails the run anyway.
        """
        if not any(getattr(limits, name) > 0 for name in LIMIT_FIELDS):
            return None
        if self._ceilings is None or time.monotonic() - self._ceilings[0] > CEILINGS_TTL_SECONDS:
            try:
                info = await self.executor.GetInfo(ex.GetInfoRequest(), timeout=5.0)
            except grpc.aio.AioRpcError:
                return None
            self._ceilings = (time.monotonic(), info.max_limits)
        return self._ceilings[1]

    def _budget(self, budget: pb.Budget) -> Budget:
        c = self.config
        return Budget(max_llm_calls=budget.max_llm_calls or c.max_llm_calls,
                      max_tokens=budget.max_tokens or c.max_tokens,
                      max_wall_seconds=min(budget.max_wall_seconds or c.max_wall_seconds, c.max_wall_seconds * 10),
                      max_programs=budget.max_programs or c.max_programs)

    async def _stream(self, ctx: RunContext, strategy: int, options: Any, files: list[ex.File],
                      given: ex.ExecuteResponse | None, kind: str) -> AsyncIterator[pb.Event | pb.Result]:
        events: asyncio.Queue[pb.Event | None] = asyncio.Queue()
        ctx.emit_event = events.put_nowait

        async def work() -> pb.Result:
            try:
                seeds = []
                if files:
                    seed = Candidate(id=ctx.next_id("seed"), files=files, origin="given")
                    if given is not None and given.outcome != ex.OUTCOME_UNSPECIFIED:
                        scored(seed, given)
                        ctx.best = seed
                        ctx.emit("candidate", f"{seed.id} (given) scored {seed.score:.3f}", candidate=seed)
                    else:
                        await ctx.evaluate([seed])
                    seeds = [seed]
                return await execute(ctx, strategy, seeds, options)
            finally:
                events.put_nowait(None)

        async with self.gate:
            task = asyncio.create_task(work())
            try:
                while (event := await events.get()) is not None:
                    yield event
                result = await task
            finally:
                task.cancel()
        name = STRATEGIES[strategy][0]
        SOLVES.labels(name, kind, pb.StopReason.Name(result.stop_reason).removeprefix("STOP_REASON_").lower()).inc()
        LLM_CALLS.labels(name).observe(result.usage.llm_calls)
        TOKENS.labels(name).observe(result.usage.prompt_tokens + result.usage.completion_tokens)
        EXECUTED.labels(name).inc(result.usage.executions)
        yield result

    def _context(self, problem: pb.Problem, budget: pb.Budget, model: str, seed: int, role: str,
                 browser: ex.BrowserOptions | None = None) -> RunContext:
        return RunContext(problem=problem, budget=self._budget(budget), llm=self.llm,
                          model=model or self.config.llm.role(role).model, executor=self.executor,
                          emit_event=lambda _e: None, seed=seed or random.randrange(1, 1 << 31),  # noqa: S311
                          browser=browser or ex.BrowserOptions(auto_interact=True))

    async def Solve(self, request: pb.SolveRequest,
                    context: aio.ServicerContext[Any, Any]) -> AsyncIterator[pb.SolveResponse]:
        """Synthesises a program for the problem."""
        violations = Violations()
        validate_problem(request.problem, await self._max_limits(request.problem.limits), violations)
        validate_budget(request.budget, violations)
        validate_strategy(request.strategy, request.problem.language, request.WhichOneof("options"), violations)
        validate_options(request, violations)
        if violations:
            await abort_invalid(context, violations, "invalid SolveRequest")
        await self._admit(context)
        ctx = self._context(request.problem, request.budget, request.model, request.seed, "iterator")
        async for item in self._stream(ctx, request.strategy, options_for(request.strategy, request), [], None,
                                       "solve"):
            yield pb.SolveResponse(event=item) if isinstance(item, pb.Event) else pb.SolveResponse(result=item)

    async def Repair(self, request: pb.RepairRequest,
                     context: aio.ServicerContext[Any, Any]) -> AsyncIterator[pb.RepairResponse]:
        """Repairs the given program; its execution result (given or measured) is the first feedback."""
        violations = Violations()
        validate_problem(request.problem, await self._max_limits(request.problem.limits), violations)
        validate_budget(request.budget, violations)
        if not request.files:
            violations.add("files", "the program to repair is required")
        check_files(request.files, request.problem.language, "files", violations)
        if request.HasField("browser"):
            check_browser(request.browser, "browser", violations)
        strategy = request.strategy or pb.STRATEGY_SEIDR
        validate_strategy(strategy, request.problem.language, None, violations)
        if violations:
            await abort_invalid(context, violations, "invalid RepairRequest")
        await self._admit(context)
        ctx = self._context(request.problem, request.budget, request.model, request.seed, "fixer",
                            request.browser if request.HasField("browser") else None)
        given = request.result if request.HasField("result") else None
        async for item in self._stream(ctx, strategy, options_for(strategy, None), list(request.files), given,
                                       "repair"):
            yield pb.RepairResponse(event=item) if isinstance(item, pb.Event) else pb.RepairResponse(result=item)

    async def _admit(self, context: aio.ServicerContext[Any, Any]) -> None:
        if self.gate.locked():
            await context.abort_with_status(error_status(
                grpc.StatusCode.RESOURCE_EXHAUSTED, "the iterator is running as many runs as it may",
                "ITERATOR_BUSY", retry_after=5.0))
