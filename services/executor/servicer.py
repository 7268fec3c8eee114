"""The ExecutorService gRPC handlers: validate, dispatch to the slot pool or the browser, record metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import grpc
from grpc import aio
from playwright.async_api import Error as PlaywrightError
from prometheus_client import Counter, Gauge, Histogram

from services.common.errors import Violations, abort_invalid, error_status
from services.common.metrics import RUN_BUCKETS
from services.executor import programs
from services.executor.config import ExecutorConfig
from services.executor.sandbox.pool import RunPool
from services.executor.validation import PreparedJob, prepare
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

log = logging.getLogger(__name__)

RUNS = Counter("synthmesh_executor_runs", "Jobs executed, by language and outcome.", ("language", "outcome"))
RUN_SECONDS = Histogram("synthmesh_executor_run_seconds", "Wall time of a job.", ("language",),
                        buckets=RUN_BUCKETS)
QUEUE = Gauge("synthmesh_executor_queue_depth", "Jobs accepted and not yet finished (waiting or running).")
# Read at scrape time from the slot pool and the browser pool: jobs that wait for a place, the saturation signal.
WAITING = Gauge("synthmesh_executor_waiting_jobs", "Jobs waiting for a free slot (program) or page (page).",
                ("kind",))
SANDBOX_FAILURES = Counter("synthmesh_executor_sandbox_failures", "Jobs that ended in SANDBOX_ERROR.",
                           ("language",))
BROWSER_ERRORS = Counter("synthmesh_executor_browser_errors", "Errors raised by pages, by kind and phase.",
                         ("kind", "phase"))
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["ExecutorService"].full_name


class BrowserRunner(Protocol):
    """Runs HTML jobs (services.executor.browser.BrowserPool)."""

    async def execute(self, job: PreparedJob) -> pb.ExecuteResponse:
        """Loads, exercises and reports one page."""

    def runtime(self) -> str:
        """A version string of the browser."""

    @property
    def waiting(self) -> int:
        """Page jobs waiting for a free page."""


class ExecutorServicer(executor_pb2_grpc.ExecutorServiceServicer):
    """Executes jobs; program outcomes are data, request problems are status codes."""

    def __init__(self, config: ExecutorConfig, pool: RunPool, browser: BrowserRunner | None,
                 runtimes: list[str]) -> None:
        self.config = config
        self.pool = pool
        self.browser = browser
        self.runtimes = runtimes
        self.in_flight = 0

    async def _admit(self, jobs: int, context: aio.ServicerContext[Any, Any]) -> None:
        if self.in_flight + jobs > self.config.max_queue:
            await context.abort_with_status(error_status(
                grpc.StatusCode.RESOURCE_EXHAUSTED, f"executor queue is full ({self.in_flight} jobs in flight)",
                "QUEUE_FULL", retry_after=1.0))

    async def run_job(self, job: PreparedJob) -> pb.ExecuteResponse:
        """Runs one validated job and records its metrics."""
        language = pb.Language.Name(job.request.language).removeprefix("LANGUAGE_").lower()
        self.in_flight += 1
        QUEUE.inc()
        start = time.monotonic()
        try:
            result = await self._execute(job)
        except asyncio.CancelledError:
            RUNS.labels(language, "CANCELLED").inc()  # the caller left, or the server stops
            raise
        except (PlaywrightError, OSError, TimeoutError) as exc:
            # A failure of the browser or the host (Chromium crashed, a pipe broke), never of the program: outcome
            # data that callers retry, not an UNKNOWN status that would end a whole batch's stream. Anything else
            # is a bug here and stays an error, so that an evaluation fails instead of filling with SANDBOX_ERROR.
            log.exception("job failed inside the executor", extra={"language": language})
            result = pb.ExecuteResponse(outcome=pb.OUTCOME_SANDBOX_ERROR, tag=job.request.tag,
                                        message=f"SANDBOX_ERROR: {type(exc).__name__}: {exc}"[:2000])
        finally:
            self.in_flight -= 1
            QUEUE.dec()
        outcome = pb.Outcome.Name(result.outcome).removeprefix("OUTCOME_")
        RUNS.labels(language, outcome).inc()
        RUN_SECONDS.labels(language).observe(time.monotonic() - start)
        if result.outcome == pb.OUTCOME_SANDBOX_ERROR:
            SANDBOX_FAILURES.labels(language).inc()
        return result

    async def _execute(self, job: PreparedJob) -> pb.ExecuteResponse:
        if job.request.language != pb.LANGUAGE_HTML:
            return await programs.execute(self.pool, job.request, job.limits, job.split,
                                          self.pool.settings.tmpfs_bytes)
        if self.browser is None:
            return pb.ExecuteResponse(outcome=pb.OUTCOME_SANDBOX_ERROR, tag=job.request.tag,
                                      message="SANDBOX_ERROR: this executor runs no browser")
        result = await self.browser.execute(job)
        for error in result.browser_errors:
            BROWSER_ERRORS.labels(error.kind, pb.BrowserPhase.Name(error.phase)).inc()
        return result

    def _too_big(self, request: Any, violations: Violations, field: str) -> None:
        size = request.ByteSize()
        if size > self.config.max_request_bytes:
            violations.add(field, f"request is {size} bytes; the limit is {self.config.max_request_bytes}")

    async def Execute(self, request: pb.ExecuteRequest,
                      context: aio.ServicerContext[Any, Any]) -> pb.ExecuteResponse:
        """Runs one job."""
        violations = Violations()
        self._too_big(request, violations, "files")
        job = prepare(request, self.config, violations) if not violations else None
        if job is None:
            await abort_invalid(context, violations, "invalid ExecuteRequest")
        await self._admit(1, context)
        return await self.run_job(job)

    async def ExecuteBatch(self, request: pb.ExecuteBatchRequest,
                           context: aio.ServicerContext[Any, Any]) -> AsyncIterator[pb.ExecuteBatchResponse]:
        """Runs many jobs; yields each result as it finishes."""
        violations = Violations()
        self._too_big(request, violations, "jobs")
        if not request.jobs:
            violations.add("jobs", "at least one job is required")
        if len(request.jobs) > self.config.max_batch_jobs:
            violations.add("jobs", f"at most {self.config.max_batch_jobs} jobs per batch")
        jobs = [] if violations else [prepare(j, self.config, violations, f"jobs[{i}].")
                                      for i, j in enumerate(request.jobs)]
        if violations:
            await abort_invalid(context, violations, "invalid ExecuteBatchRequest")
        await self._admit(len(jobs), context)
        async def indexed(index: int, job: PreparedJob) -> tuple[int, pb.ExecuteResponse]:
            return index, await self.run_job(job)

        tasks = [asyncio.create_task(indexed(i, job)) for i, job in enumerate(jobs) if job]
        try:
            for finished in asyncio.as_completed(tasks):
                index, result = await finished
                yield pb.ExecuteBatchResponse(index=index, result=result)
        finally:
            for task in tasks:
                task.cancel()

    async def GetInfo(self, request: pb.GetInfoRequest,
                      context: aio.ServicerContext[Any, Any]) -> pb.GetInfoResponse:
        """Describes languages, sandbox, slots and limits."""
        languages = [pb.LANGUAGE_PYTHON, pb.LANGUAGE_JAVASCRIPT] + ([pb.LANGUAGE_HTML] if self.browser else [])
        d, c = self.config.defaults, self.config.ceilings
        runtimes = self.runtimes + ([self.browser.runtime()] if self.browser else [])
        return pb.GetInfoResponse(
            languages=languages, sandbox=self.pool.settings.mode, slots=self.pool.size,
            default_limits=pb.Limits(wall_seconds=d.wall_seconds, cpu_seconds=d.cpu_seconds,
                                     memory_bytes=d.memory_bytes, output_bytes=d.output_bytes,
                                     max_processes=d.max_processes),
            max_limits=pb.Limits(wall_seconds=c.wall_seconds, cpu_seconds=c.cpu_seconds,
                                 memory_bytes=c.memory_bytes, output_bytes=c.output_bytes,
                                 max_processes=c.max_processes),
            runtimes=runtimes)
