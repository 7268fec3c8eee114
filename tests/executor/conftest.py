"""One real executor (hardened sandbox, real Chromium) per test session, served in-process on port 0."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from grpc import aio

from services.common.clients import channel
from services.common.server import ServiceRuntime
from services.executor.config import ExecutorConfig
from services.executor.server import Executor
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

# A secret the sandboxed code must never see: the executor process has it in its environment.
SECRET = "synthmesh-test-secret-5f1c"


@dataclass
class Running:
    """The executor under test and a client stub to it."""

    executor: Executor
    runtime: ServiceRuntime
    port: int
    channel: aio.Channel
    stub: executor_pb2_grpc.ExecutorServiceStub


def make_config(**overrides: str) -> ExecutorConfig:
    """Executor settings for tests: 2 slots, one browser with 4 warm pages, short default limits."""
    env = {"EXECUTOR_SLOTS": "2", "EXECUTOR_BROWSER_SLOTS": "1", "EXECUTOR_BROWSER_PAGES": "4",
           "EXECUTOR_WALL_SECONDS": "5", "EXECUTOR_CPU_SECONDS": "5", "EXECUTOR_MEMORY_MB": "256",
           "EXECUTOR_UID_BASE": "61100", "EXECUTOR_BROWSER_UID": "61099", "GRACE_SECONDS": "5",
           "DRAIN_SECONDS": "0"}
    env.update(overrides)
    return ExecutorConfig.from_env(env)


# Other areas' conftests import this fixture (tests/iterator, tests/evaluator), and pytest keeps one session cache
# per conftest that exposes it; two executors in one process would share their cgroup parent. So the first use
# starts the one executor of the process and every later one reuses it.
_SHARED: list[Running] = []


@pytest_asyncio.fixture(scope="session")
async def executor() -> AsyncIterator[Running]:
    """The process's started executor; stopped at the end of the session."""
    if os.geteuid() != 0:
        pytest.skip("the hardened sandbox needs root (cgroups, per-slot uids)")
    if not _SHARED:
        os.environ["SYNTHMESH_TEST_SECRET"] = SECRET
        running = Executor(make_config())
        await running.start()
        runtime = running.runtime()
        port = await runtime.start("127.0.0.1:0")
        chan = channel(f"127.0.0.1:{port}")
        _SHARED.append(Running(running, runtime, port, chan, executor_pb2_grpc.ExecutorServiceStub(chan)))
    yield _SHARED[0]
    if _SHARED:
        shared = _SHARED.pop()
        await shared.channel.close()
        await shared.runtime.stop(0, 0)


def py(code: str, **kwargs: object) -> pb.ExecuteRequest:
    """A Python job with one file, main.py."""
    return pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path="main.py", content=code)],
                             **kwargs)  # type: ignore[arg-type]


def js(code: str, **kwargs: object) -> pb.ExecuteRequest:
    """A JavaScript job with one file, main.js."""
    return pb.ExecuteRequest(language=pb.LANGUAGE_JAVASCRIPT, files=[pb.File(path="main.js", content=code)],
                             **kwargs)  # type: ignore[arg-type]


def html(page: str, **kwargs: object) -> pb.ExecuteRequest:
    """An HTML job with one file, index.html, auto-interaction on and a short settle time."""
    kwargs.setdefault("browser", pb.BrowserOptions(auto_interact=True, settle_seconds=0.2))
    return pb.ExecuteRequest(language=pb.LANGUAGE_HTML, files=[pb.File(path="index.html", content=page)],
                             **kwargs)  # type: ignore[arg-type]
