"""A run's shared machinery: budget, LLM calls, executions, candidates and the event log.

Every strategy works through one `RunContext`, so the four of them spend and report the same way: an LLM call
or a new program that would exceed the budget raises `BudgetExhausted` before it happens, every candidate is
executed by the executor service over gRPC, and every step is emitted as an event for the caller's stream.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.common.llm import LlmClient, LlmUsage
from services.iterator.candidates import Candidate, scored
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2 as pb

Message = dict[str, Any]
# Reply cap of a call whose strategy names none: about 16 KB of code, a whole program of the benchmarks' size.
DEFAULT_REPLY_TOKENS = 4096
# A call whose reply could not reach this many tokens is refused: a cut-off reply costs tokens and fixes nothing.
MIN_REPLY_TOKENS = 256


class BudgetExhausted(Exception):
    """A limit of the run's budget was reached; the strategy stops and the best candidate is returned."""


def estimate_tokens(messages: Sequence[Message]) -> int:
    """A generous prompt-token count: one token per 3 UTF-8 bytes or 1.3 per word, whichever is more.

    With it and the reply cap every call gets, a run's spend stays within max_tokens unless a prompt holds more
    tokens than this estimate (text of rare symbols) or a provider writes past max_tokens. Only replies received
    are counted: a call cancelled in flight (a sibling was refused) or a failed attempt a provider still bills
    is not.
    """
    total = 0
    for message in messages:
        text = str(message.get("content", ""))
        total += max(math.ceil(len(text.encode()) / 3), math.ceil(len(text.split()) * 1.3)) + 4
    return total


@dataclass(frozen=True)
class Budget:
    """Spending limits of one run (resolved against the server's defaults)."""

    max_llm_calls: int
    max_tokens: int
    max_wall_seconds: float
    max_programs: int


@dataclass
class RunContext:
    """What a strategy needs: the problem, the clients, the budget, the log."""

    problem: pb.Problem
    budget: Budget
    llm: LlmClient
    model: str
    executor: executor_pb2_grpc.ExecutorServiceAsyncStub
    emit_event: Callable[[pb.Event], None]
    seed: int
    browser: ex.BrowserOptions = field(default_factory=ex.BrowserOptions)
    usage: LlmUsage = field(default_factory=LlmUsage)
    programs: int = 0
    executions: int = 0
    calls_started: int = 0
    reserved_tokens: int = 0
    budget_reported: bool = False
    best: Candidate | None = None
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - reproducible search, not security
        self._ids = 0

    # --- budget ------------------------------------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    def check_budget(self, llm_call: bool = False, program: bool = False, tokens: int = 0) -> None:
        """Raises BudgetExhausted if the next LLM call (needing at least `tokens`) or program would exceed a limit."""
        b = self.budget
        reason = ""
        if self.elapsed() >= b.max_wall_seconds:
            reason = f"wall time {b.max_wall_seconds:g} s"
        elif llm_call and self.calls_started >= b.max_llm_calls:
            reason = f"{b.max_llm_calls} LLM calls"
        elif llm_call and self.tokens_committed + max(tokens, 1) > b.max_tokens:
            reason = f"{b.max_tokens} tokens"
        elif program and self.programs >= b.max_programs:
            reason = f"{b.max_programs} programs"
        if reason:
            # Concurrent calls of one batch all hit the limit; the run's log says so once.
            if not self.budget_reported:
                self.budget_reported = True
                self.emit("budget", f"budget exhausted: {reason}")
            raise BudgetExhausted(reason)
        if llm_call:
            # Counted when the call starts, so concurrent calls of one batch cannot overshoot the limit.
            self.calls_started += 1

    @property
    def tokens_committed(self) -> int:
        """Tokens spent plus tokens set aside for the calls in flight."""
        return self.usage.total_tokens + self.reserved_tokens

    # --- LLM ---------------------------------------------------------------------------------------------

    @property
    def repair_step(self) -> str:
        """The step name of a repair call: the offline model's page `repair` for HTML, a generic fix otherwise."""
        return "repair" if self.problem.language == ex.LANGUAGE_HTML else "fix"

    async def ask(self, step: str, system: str, user: str, *, temperature: float = 0.0,
                  max_tokens: int | None = None, history: Sequence[Message] = ()) -> str:
        """One LLM call for a strategy step. The first system line names the step for the offline model."""
        messages: list[Message] = [{"role": "system", "content": f"synthmesh-step: {step}\n{system}"}, *history,
                                   {"role": "user", "content": user}]
        prompt, cap = estimate_tokens(messages), max_tokens or DEFAULT_REPLY_TOKENS
        self.check_budget(llm_call=True, tokens=prompt + min(cap, MIN_REPLY_TOKENS))
        # The call holds its prompt and its reply cap until it ends, so concurrent calls see each other's share.
        cap = min(cap, self.budget.max_tokens - self.tokens_committed - prompt)
        self.reserved_tokens += prompt + cap
        remaining = max(1.0, self.budget.max_wall_seconds - self.elapsed())
        try:
            completion = await self.llm.complete("iterator", messages, model=self.model, temperature=temperature,
                                                 max_tokens=cap, seed=self.rng.randrange(1 << 31),
                                                 timeout=min(remaining, 300.0), usage=self.usage)
        finally:
            self.reserved_tokens -= prompt + cap
        return completion.text

    # --- programs ----------------------------------------------------------------------------------------

    def next_id(self, prefix: str = "c") -> str:
        """A candidate id unique within the run."""
        self._ids += 1
        return f"{prefix}{self._ids}"

    def new_candidates(self, replies: Sequence[Sequence[ex.File]], parent: Candidate | None = None,
                       origin: str = "") -> list[Candidate]:
        """Registers programs until the program budget is spent; the ones already paid for are kept."""
        made = []
        for files in replies:
            try:
                made.append(self.new_candidate(files, parent, origin))
            except BudgetExhausted:
                if not made:
                    raise
                break
        return made

    def new_candidate(self, files: Sequence[ex.File], parent: Candidate | None = None, origin: str = "") -> Candidate:
        """Registers a program the model wrote (counts against max_programs)."""
        self.check_budget(program=True)
        self.programs += 1
        return Candidate(id=self.next_id(), parent_id=parent.id if parent else "",
                         generation=parent.generation + 1 if parent else 0, files=list(files), origin=origin)

    def job(self, candidate: Candidate, extra_tests: Sequence[ex.TestCase] = ()) -> ex.ExecuteRequest:
        """The executor job for a candidate.

        It carries the problem's feedback tests (public tests and the split check), plus `extra_tests` such as
        AlphaCodium's AI tests.
        """
        p = self.problem
        request = ex.ExecuteRequest(language=p.language, files=candidate.files, limits=p.limits, tag=candidate.id,
                                    tests=[*p.public_tests, *extra_tests])
        if p.language == ex.LANGUAGE_HTML:
            request.browser.CopyFrom(self.browser)
        if p.unit_tests.check_code:
            request.unit_tests.CopyFrom(p.unit_tests)
        return request

    async def run_jobs(self, jobs: Sequence[ex.ExecuteRequest]) -> list[ex.ExecuteResponse]:
        """Executes jobs as one batch; results in request order."""
        if not jobs:
            return []
        self.check_budget()
        results: dict[int, ex.ExecuteResponse] = {}
        remaining = max(5.0, self.budget.max_wall_seconds - self.elapsed() + 30.0)
        async for item in self.executor.ExecuteBatch(ex.ExecuteBatchRequest(jobs=jobs), timeout=remaining):
            results[item.index] = item.result
        self.executions += len(jobs)
        return [results[i] for i in range(len(jobs))]

    async def evaluate(self, candidates: Sequence[Candidate],
                       extra_tests: Sequence[ex.TestCase] = ()) -> list[Candidate]:
        """Runs every candidate on the feedback tests, scores it, logs it, tracks the best."""
        results = await self.run_jobs([self.job(c, extra_tests) for c in candidates])
        for candidate, result in zip(candidates, results, strict=True):
            scored(candidate, result)
            self.emit("candidate", f"{candidate.id} ({candidate.origin or 'program'}) scored {candidate.score:.3f}: "
                      f"{result.message}", candidate=candidate)
            # Scores on other test sets (AlphaCodium's AI tests) are not comparable with the feedback tests'.
            if not extra_tests and (self.best is None or candidate.score > self.best.score):
                self.best = candidate
        return list(candidates)

    # --- events ------------------------------------------------------------------------------------------

    def emit(self, kind: str, message: str, *, candidate: Candidate | None = None, feedback: str = "",
             detail: dict[str, Any] | None = None) -> None:
        """Appends an event to the run's log."""
        event = pb.Event(elapsed_seconds=self.elapsed(), kind=kind, message=message[:2000], feedback=feedback,
                         detail_json=json.dumps(detail) if detail else "")
        if candidate is not None:
            event.candidate.CopyFrom(candidate.to_proto())
        self.emit_event(event)

    def usage_proto(self) -> pb.Usage:
        """Resources used so far."""
        u = self.usage
        return pb.Usage(llm_calls=u.calls, prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens,
                        cost_usd=u.cost_usd, wall_seconds=self.elapsed(), programs=self.programs,
                        executions=self.executions)
