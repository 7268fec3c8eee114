"""A failure inside the executor (not the program's) is a SANDBOX_ERROR result, counted, and never a lost batch.

The browser is replaced by one that fails as a crashed Chromium would: this is about what the servicer does with
an exception from below it, which the real browser raises only when Chromium itself breaks.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Error as PlaywrightError
from prometheus_client import REGISTRY

from services.common.errors import Violations
from services.executor.sandbox.pool import PIPELINE_DEPTH
from services.executor.servicer import ExecutorServicer
from services.executor.validation import PreparedJob, prepare
from synthmesh.executor.v1 import executor_pb2 as pb

from .conftest import Running, make_config


class CrashedBrowser:
    """A browser pool whose every page job fails as Playwright reports a crashed Chromium."""

    waiting = 0

    async def execute(self, job: PreparedJob) -> pb.ExecuteResponse:
        raise PlaywrightError("Target page, context or browser has been closed")

    def runtime(self) -> str:
        return "crashed"


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_an_exception_below_the_servicer_is_a_counted_sandbox_error(executor: Running) -> None:
    config = make_config()
    servicer = ExecutorServicer(config, executor.executor.pool, CrashedBrowser(), [])
    violations = Violations()
    job = prepare(pb.ExecuteRequest(language=pb.LANGUAGE_HTML, tag="t1",
                                    files=[pb.File(path="index.html", content="<p>hi</p>")]), config, violations)
    assert job is not None, violations.items
    runs = count("synthmesh_executor_runs_total", language="html", outcome="SANDBOX_ERROR")
    failures = count("synthmesh_executor_sandbox_failures_total", language="html")
    result = await servicer.run_job(job)
    assert result.outcome == pb.OUTCOME_SANDBOX_ERROR and result.tag == "t1"
    assert "Error: Target page, context or browser has been closed" in result.message
    assert count("synthmesh_executor_runs_total", language="html", outcome="SANDBOX_ERROR") == runs + 1
    assert count("synthmesh_executor_sandbox_failures_total", language="html") == failures + 1
    assert servicer.in_flight == 0


async def test_jobs_waiting_for_a_slot_are_the_queue(executor: Running) -> None:
    # Two slots, each taking PIPELINE_DEPTH jobs at once (the next is already in its worker): two more 1 s jobs
    # wait for a place, then none.
    waiting = {"name": "synthmesh_executor_waiting_jobs", "labels": {"kind": "program"}}
    job = pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path="main.py",
                                                                         content="import time\ntime.sleep(1)")])
    calls = [asyncio.ensure_future(executor.stub.Execute(job, timeout=60)) for _ in range(2 * PIPELINE_DEPTH + 2)]
    seen = 0.0
    async with asyncio.timeout(30):
        while seen < 2:
            seen = max(seen, REGISTRY.get_sample_value(waiting["name"], waiting["labels"]) or 0.0)
            await asyncio.sleep(0.01)
    results = await asyncio.gather(*calls)
    assert all(r.outcome == pb.OUTCOME_OK for r in results)
    assert REGISTRY.get_sample_value(waiting["name"], waiting["labels"]) == 0


class BrokenBrowser(CrashedBrowser):
    """A browser pool with a bug of its own."""

    async def execute(self, job: PreparedJob) -> pb.ExecuteResponse:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")


async def test_a_bug_below_the_servicer_stays_an_error(executor: Running) -> None:
    # Not outcome data: an evaluation must fail on it instead of recording SANDBOX_ERROR verdicts.
    config = make_config()
    servicer = ExecutorServicer(config, executor.executor.pool, BrokenBrowser(), [])
    job = prepare(pb.ExecuteRequest(language=pb.LANGUAGE_HTML, files=[pb.File(path="index.html", content="<p>")]),
                  config, Violations())
    assert job is not None
    with pytest.raises(TypeError):
        await servicer.run_job(job)
    assert servicer.in_flight == 0
