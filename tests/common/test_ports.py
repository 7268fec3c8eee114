"""A port that is already taken ends a service with one line naming the port and its setting, exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.procs import ROOT, free_port

# The smallest service: common.main.run with a runtime that has a cleanup callback, as every real service has.
DEMO = """
import sys
from dataclasses import dataclass
from services.common.env import Env
from services.common.main import run
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings

@dataclass(frozen=True)
class Config:
    server: ServerSettings

async def build(config, settings):
    runtime = ServiceRuntime(settings, ["demo.v1.DemoService"])
    async def cleanup():
        print("cleaned up", flush=True)
    runtime.on_shutdown(cleanup)
    return runtime

sys.exit(run("demo", lambda: Config(ServerSettings.from_env(Env(), "executor")), build))
"""


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        yield blocker.getsockname()[1]


@pytest.mark.parametrize("setting", ["GRPC_PORT", "METRICS_PORT"])
def test_a_taken_port_is_one_line_and_exit_2(taken_port: int, setting: str) -> None:
    ports = {"GRPC_PORT": str(free_port()), "METRICS_PORT": str(free_port()), setting: str(taken_port)}
    done = subprocess.run([sys.executable, "-c", DEMO], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "DRAIN_SECONDS": "0", **ports})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    # gRPC's core logs its own bind error first (a C log line, not ours to silence); ours ends the output.
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("demo: cannot listen on") and f":{taken_port} ({setting})" in line
    if setting == "GRPC_PORT":
        assert "cleaned up" in done.stdout  # what the build started is released
