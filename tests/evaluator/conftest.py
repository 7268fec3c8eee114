"""An in-process evaluator (real factory, port 0) wired to the session's real executor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio
from grpc import aio

from services.common.clients import channel
from services.common.server import ServiceRuntime
from services.evaluator.config import EvaluatorConfig
from services.evaluator.server import create_server
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.evaluator.v1 import evaluator_pb2_grpc
from tests.executor.conftest import Running, executor  # noqa: F401 - the process's one executor

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Evaluator:
    """The evaluator under test, its client stub and its folders."""

    runtime: ServiceRuntime
    channel: aio.Channel
    stub: evaluator_pb2_grpc.EvaluatorServiceAsyncStub
    results_dir: Path
    cache_dir: Path

    async def evaluate(self, request: ev.EvaluateRequest) -> tuple[list[ev.Progress], ev.Report]:
        """Runs one evaluation; returns the progress messages and the report."""
        progress: list[ev.Progress] = []
        reports: list[ev.Report] = []
        async for message in self.stub.Evaluate(request, timeout=300):
            if message.HasField("progress"):
                progress.append(message.progress)
            else:
                reports.append(message.report)
        assert len(reports) == 1, "the stream must end with exactly one report"
        return progress, reports[0]


@pytest_asyncio.fixture(scope="session")
async def evaluator(executor: Running, tmp_path_factory: object) -> AsyncIterator[Evaluator]:  # noqa: F811
    """A started evaluator; stopped at the end of the session."""
    base = tmp_path_factory.mktemp("evaluator")  # type: ignore[attr-defined]
    config = EvaluatorConfig.from_env({
        "EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{executor.port}", "ITERATOR_SERVICE_ADDR": "127.0.0.1:1",
        "EVALUATOR_RESULTS_DIR": str(base / "results"), "EVALUATOR_CACHE_DIR": str(base / "cache"),
        "DRAIN_SECONDS": "0", "GRACE_SECONDS": "1"})
    runtime, port = await create_server(config, "127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    yield Evaluator(runtime, chan, evaluator_pb2_grpc.EvaluatorServiceStub(chan), base / "results", base / "cache")
    await chan.close()
    await runtime.stop(0, 0)


def metric(report: ev.Report, definition: str, k: int = 0) -> float:
    """The value of one metric of a report, found by definition key and k."""
    found = [m.value for m in report.metrics if m.definition == definition and m.k == k]
    assert len(found) == 1, f"{definition} k={k}: {[(m.definition, m.k) for m in report.metrics]}"
    return found[0]
