"""Helpers for tests that run services as real processes: free ports, waiting for health, clean stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.cli.stack import (
    dies_with_parent,
    free_port,  # noqa: F401 - below the ephemeral range; tests import it from here
)

ROOT = Path(__file__).resolve().parent.parent


def start_service(module: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Starts `python -m <module>` from the repository root with `env` added to the environment."""
    full = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", **env)
    return subprocess.Popen(dies_with_parent([sys.executable, "-m", module]), cwd=ROOT, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def wait_serving(port: int, service: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Blocks until the gRPC health check reports SERVING for `service`."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        stub = health_pb2_grpc.HealthStub(chan)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"service exited early: {output(proc)}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise AssertionError(f"{service} did not become SERVING in {timeout} s")


def output(proc: subprocess.Popen[bytes]) -> str:
    """What a finished process printed."""
    out, _ = proc.communicate(timeout=10)
    return out.decode(errors="replace")[-4000:]


def stop(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return int(proc.returncode)
