"""A real iterator in-process, talking to the session's real executor and to the offline model server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
import uvicorn
from grpc import aio

from services.common.clients import channel
from services.common.llm import LlmClient
from services.common.server import ServiceRuntime
from services.iterator.config import IteratorConfig
from services.iterator.context import Budget, RunContext
from services.iterator.server import build
from services.offline_llm.app import create_app
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2 as pb
from synthmesh.iterator.v1 import iterator_pb2_grpc
from tests.executor.conftest import Running, executor  # noqa: F401 - the session executor fixture


@dataclass
class OfflineModel:
    """The offline model server on a free loopback port."""

    url: str
    client: httpx.AsyncClient

    async def script(self, name: str, replies: list[Any]) -> str:
        """Registers scripted replies; returns the litellm model name that consumes them."""
        reply = await self.client.post("/admin/script", json={"name": name, "replies": replies})
        reply.raise_for_status()
        return f"openai/synthmesh-script-{name}"

    async def requests(self) -> list[dict[str, Any]]:
        """The request payloads the server received, oldest first."""
        reply = await self.client.get("/admin/requests")
        reply.raise_for_status()
        data = reply.json()
        return list(data["requests"] if isinstance(data, dict) else data)


@pytest_asyncio.fixture(scope="session")
async def offline_model() -> AsyncIterator[OfflineModel]:
    """The project's OpenAI-compatible offline model server, served by uvicorn in this event loop."""
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done():
            failure = None if task.cancelled() else task.exception()
            raise RuntimeError(f"the offline model server stopped before it started: {failure!r}") from failure
        if time.monotonic() > deadline:
            task.cancel()
            raise RuntimeError("the offline model server did not start within 30 s")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as client:
        yield OfflineModel(url, client)
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task


@dataclass
class Iterator:
    """The iterator under test."""

    runtime: ServiceRuntime
    channel: aio.Channel
    stub: iterator_pb2_grpc.IteratorServiceAsyncStub


def iterator_config(executor: Running, offline_model: OfflineModel) -> IteratorConfig:  # noqa: F811
    """The configuration of an iterator using the session's executor and offline model server."""
    return IteratorConfig.from_env({
        "EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{executor.port}", "OFFLINE_LLM_URL": f"{offline_model.url}/v1",
        "LLM_OFFLINE": "true", "LLM_MAX_RETRIES": "1", "LLM_RETRY_BASE_SECONDS": "0.01", "DRAIN_SECONDS": "0"})


@pytest_asyncio.fixture(scope="session")
async def iterator(executor: Running, offline_model: OfflineModel) -> AsyncIterator[Iterator]:  # noqa: F811
    """An iterator whose every LLM call goes to the offline model server over HTTP (through litellm)."""
    runtime = await build(iterator_config(executor, offline_model))
    port = await runtime.start("127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    yield Iterator(runtime, chan, iterator_pb2_grpc.IteratorServiceStub(chan))  # type: ignore[arg-type]
    await chan.close()
    await runtime.stop(0, 0)


ContextFactory = Callable[..., RunContext]


@pytest_asyncio.fixture(scope="session")
async def run_context(executor: Running, offline_model: OfflineModel) -> ContextFactory:  # noqa: F811
    """Builds a RunContext on the real LLM client and executor, for checks below the servicer's validation."""
    llm = LlmClient(iterator_config(executor, offline_model).llm)
    await llm.start()
    stub: executor_pb2_grpc.ExecutorServiceAsyncStub = executor.stub  # type: ignore[assignment]

    def make(problem: pb.Problem, model: str, budget: Budget, events: list[pb.Event]) -> RunContext:
        return RunContext(problem=problem, budget=budget, llm=llm, model=model, executor=stub,
                          emit_event=events.append, seed=1)

    return make


async def solve(it: Iterator, request: pb.SolveRequest) -> tuple[list[pb.Event], pb.Result]:
    """Runs Solve and splits the stream into its events and its result."""
    events: list[pb.Event] = []
    result: pb.Result | None = None
    async for item in it.stub.Solve(request):
        if item.HasField("event"):
            events.append(item.event)
        else:
            result = item.result
    assert result is not None, "the stream ended without a result"
    return events, result
