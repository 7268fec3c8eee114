"""EXECUTOR_SANDBOX=none (a pod under gVisor, a Docker slot, development): no cgroup, namespace or uid of its own.

The data-segment limit must then stop a run at its memory limit, before it takes the memory every other run of
the host shares; the worker, their subreaper, must kill whatever a run left running; and the worker's own code
must not be a file its runs can rewrite. Each greedy program prints how much it holds after every step, so the
test sees where it was stopped, not only the verdict (peak memory above the limit would also read as
MEMORY_LIMIT, after the harm was done).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from services.common.clients import channel
from services.executor.sandbox.slots import SOURCE_DIR
from services.executor.server import Executor
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

from .conftest import js, make_config, py

MIB = 1 << 20
LIMITS = pb.Limits(memory_bytes=256 * MIB, wall_seconds=30, cpu_seconds=30)
# The runtime's own start may take some of its data allowance or leave some of it unused (node: 64 MiB given,
# 48 MiB used), so the program may hold a little more than the limit, never the 2 GiB it asks for.
RUNTIME_ALLOWANCE_MIB = 32
PYTHON_GREEDY = """
held = []
while len(held) < 128:  # 2 GiB
    held.append(b"x" * (16 << 20))
    print(len(held) * 16, flush=True)
"""
NODE_GREEDY = """
const held = [];
while (held.length < 128) {
  held.push(Buffer.alloc(16 << 20, 1));
  console.log(held.length * 16);
}
"""


@pytest_asyncio.fixture(scope="module")
async def unisolated() -> AsyncIterator[executor_pb2_grpc.ExecutorServiceStub]:
    """An executor with EXECUTOR_SANDBOX=none and no browser, on port 0."""
    executor = Executor(make_config(EXECUTOR_SANDBOX="none", EXECUTOR_SLOTS="1", EXECUTOR_BROWSER_SLOTS="0"))
    await executor.start()
    runtime = executor.runtime()
    port = await runtime.start("127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    yield executor_pb2_grpc.ExecutorServiceStub(chan)
    await chan.close()
    await runtime.stop(0, 0)


def held_mib(result: pb.ExecuteResponse) -> int:
    """The most the program reported holding."""
    return max((int(line) for line in result.stdout.split()), default=0)


async def test_a_python_run_stops_at_its_memory_limit(unisolated: executor_pb2_grpc.ExecutorServiceStub) -> None:
    result = await unisolated.Execute(py(PYTHON_GREEDY, limits=LIMITS))
    assert result.outcome == pb.OUTCOME_MEMORY_LIMIT, (pb.Outcome.Name(result.outcome), result.stderr[-300:])
    assert 64 <= held_mib(result) <= 256 + RUNTIME_ALLOWANCE_MIB, result.stdout[-200:]


async def test_a_node_run_stops_at_its_memory_limit(unisolated: executor_pb2_grpc.ExecutorServiceStub) -> None:
    result = await unisolated.Execute(js(NODE_GREEDY, limits=LIMITS))
    assert result.outcome == pb.OUTCOME_MEMORY_LIMIT, (pb.Outcome.Name(result.outcome), result.stderr[-300:])
    assert 64 <= held_mib(result) <= 256 + RUNTIME_ALLOWANCE_MIB, result.stdout[-200:]


async def test_a_few_threads_fit_under_the_limit(unisolated: executor_pb2_grpc.ExecutorServiceStub) -> None:
    # Each thread reserves an 8 MiB stack, counted against the cap: eight of them still fit under 256 MiB.
    code = ("import threading\nresults = []\nthreads = [threading.Thread(target=results.append, args=(i,)) "
            "for i in range(8)]\n[t.start() for t in threads]\n[t.join() for t in threads]\nprint(len(results))")
    result = await unisolated.Execute(py(code, limits=LIMITS))
    assert result.outcome == pb.OUTCOME_OK and result.stdout.strip() == "8", result.stderr[-300:]


async def test_runs_within_their_limit_are_not_held_back(unisolated: executor_pb2_grpc.ExecutorServiceStub) -> None:
    bounded = LIMITS.memory_bytes // (16 * MIB) - 4  # 192 MiB of data under a 256 MiB limit
    for request in (py(PYTHON_GREEDY.replace("128", str(bounded)), limits=LIMITS),
                    js(NODE_GREEDY.replace("128", str(bounded)), limits=LIMITS)):
        result = await unisolated.Execute(request)
        assert result.outcome == pb.OUTCOME_OK, (pb.Outcome.Name(result.outcome), result.stderr[-300:])
        assert held_mib(result) == bounded * 16


DAEMON = """
import os, time
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()  # leaves the run's process group
    if os.fork() == 0:
        os.write(w, str(os.getpid()).encode())
        time.sleep(60)
    os._exit(0)
os.close(w)
print(os.read(r, 32).decode(), flush=True)
"""


def alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False


async def test_nothing_a_run_started_outlives_it(unisolated: executor_pb2_grpc.ExecutorServiceStub) -> None:
    result = await unisolated.Execute(py(DAEMON, limits=LIMITS))
    daemon = int(result.stdout.split()[0])
    assert result.outcome == pb.OUTCOME_OK, result.stderr[-300:]
    assert not alive(daemon), "a double-forked daemon outlived its run"


async def test_the_worker_runs_from_the_installed_package(unisolated: executor_pb2_grpc.ExecutorServiceStub) -> None:
    code = "import os\nprint(open(f'/proc/{os.getppid()}/cmdline').read().split(chr(0))[3])"
    result = await unisolated.Execute(py(code, limits=LIMITS))
    assert Path(result.stdout.strip()) == SOURCE_DIR / "worker.py"

