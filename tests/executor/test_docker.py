"""The optional Docker backend against a real Docker-API engine: Podman's API service, when it can run here.

Skipped, with the reason, on hosts without podman and runc (no Docker engine exists on the project's machines;
Podman's API is Docker-compatible). Podman runs with runc and cgroupfs because crun refuses this host's hybrid
cgroup hierarchy.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from services.common.clients import channel
from services.executor.config import ExecutorConfig
from services.executor.server import Executor
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

from .conftest import js, py
from .sandbox_image import build

RUNC = shutil.which("runc") or "/usr/sbin/runc"
MISSING = ([tool for tool in ("podman", "ldd") if not shutil.which(tool)] + ([] if os.path.exists(RUNC) else ["runc"])
           + ([] if importlib.util.find_spec("aiodocker") else ["aiodocker (pip install 'synthmesh[docker]')"]))
pytestmark = pytest.mark.skipif(bool(MISSING) or os.geteuid() != 0,
                                reason=f"no Docker-API engine can run here (missing: {MISSING or ['root']})")


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[str, str]]:
    """Podman's Docker-compatible API on a private socket, and the test image."""
    folder = Path(tempfile.mkdtemp(prefix="synthmesh-podman-"))
    socket = folder / "podman.sock"
    proc = subprocess.Popen(["podman", "--runtime", RUNC, "--cgroup-manager", "cgroupfs", "system", "service",
                             "--time=0", f"unix://{socket}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=folder)  # Debian's conmon drops an empty "oom" file in its working directory
    image = build()
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.1)
    yield f"unix://{socket}", image
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest_asyncio.fixture(scope="module")
async def docker_stub(engine: tuple[str, str]) -> AsyncIterator[executor_pb2_grpc.ExecutorServiceAsyncStub]:
    url, image = engine
    config = ExecutorConfig.from_env({"EXECUTOR_SANDBOX": "docker", "EXECUTOR_DOCKER_URL": url,
                                      "EXECUTOR_DOCKER_IMAGE": image, "EXECUTOR_SLOTS": "2",
                                      "EXECUTOR_BROWSER_SLOTS": "0", "DRAIN_SECONDS": "0"})
    executor = Executor(config)
    await executor.start()
    runtime = executor.runtime()
    port = await runtime.start("127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    yield executor_pb2_grpc.ExecutorServiceStub(chan)  # type: ignore[misc]
    await chan.close()
    await runtime.stop(0, 0)


async def test_python_and_javascript_run_in_containers(docker_stub: executor_pb2_grpc.ExecutorServiceAsyncStub) -> None:
    check = "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(3) == 9\n"
    result = await docker_stub.Execute(py("def sq(x):\n    return x * x if x != 3 else 0\nprint('hi')",
                                          unit_tests=pb.UnitTestSuite(check_code=check, entry_point="sq")))
    assert [t.outcome for t in result.tests] == [pb.OUTCOME_OK, pb.OUTCOME_WRONG_ANSWER]
    assert result.sandbox == "docker"
    node = await docker_stub.Execute(js("console.log(6 * 7)"))
    assert node.outcome == pb.OUTCOME_OK and node.stdout == "42\n"


async def test_limits_and_isolation_hold_in_containers(docker_stub: executor_pb2_grpc.ExecutorServiceAsyncStub) -> None:
    loop = await docker_stub.Execute(py("while True:\n    pass", limits=pb.Limits(cpu_seconds=1, wall_seconds=3)))
    assert loop.outcome == pb.OUTCOME_TIME_LIMIT
    net = await docker_stub.Execute(py("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 6379), 1)\n"
                                       "    print('REACHED')\nexcept OSError as e:\n    print('blocked')"))
    assert net.stdout == "blocked\n"
    memory = await docker_stub.Execute(py("x = bytearray(512 * 1024 * 1024)\nprint(len(x))",
                                          limits=pb.Limits(memory_bytes=64 * 1024 * 1024)))
    assert memory.outcome == pb.OUTCOME_MEMORY_LIMIT
    write = await docker_stub.Execute(py("open('/usr/evil', 'w')"))
    assert write.outcome == pb.OUTCOME_RUNTIME_ERROR and "Read-only" in write.message
