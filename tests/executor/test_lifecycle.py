"""The executor as a real process: health, reflection, metrics, and a graceful SIGTERM."""

from __future__ import annotations

import os
import signal
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc
from tests.lifecycle import listener_refuses, metric, wait_until
from tests.procs import free_port, output, start_service, stop, wait_serving

SERVICE = "synthmesh.executor.v1.ExecutorService"
# How long the job in flight at SIGTERM sleeps: the drain (0.5 s) and the checks after it must fit well inside.
IN_FLIGHT_SECONDS = 8
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the hardened sandbox needs root")


def list_services(port: int) -> list[str]:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        stub = reflection_pb2_grpc.ServerReflectionStub(chan)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        return [s.name for reply in replies for s in reply.list_services_response.service]


def test_sigterm_lets_the_in_flight_call_finish_and_refuses_new_ones() -> None:
    grpc_port, metrics_port = free_port(), free_port()
    proc = start_service("services.executor", {
        "GRPC_PORT": str(grpc_port), "METRICS_PORT": str(metrics_port), "EXECUTOR_SLOTS": "1",
        "EXECUTOR_BROWSER_SLOTS": "0", "EXECUTOR_UID_BASE": "61200", "DRAIN_SECONDS": "0.5",
        "GRACE_SECONDS": "30"})
    try:
        wait_serving(grpc_port, SERVICE, proc)
        assert SERVICE in list_services(grpc_port)
        assert "grpc.health.v1.Health" in list_services(grpc_port)
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as chan, ThreadPoolExecutor(1) as pool:
            stub = executor_pb2_grpc.ExecutorServiceStub(chan)
            # Far longer than the drain, so the program still runs when the listener closes, even on a slow machine.
            sleeper = f"import time\ntime.sleep({IN_FLIGHT_SECONDS})\nprint('done')"
            slow = pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path="main.py", content=sleeper)],
                                     limits=pb.Limits(wall_seconds=IN_FLIGHT_SECONDS + 20))
            call = pool.submit(stub.Execute, slow, timeout=60)
            wait_until(lambda: metric(metrics_port, "synthmesh_executor_queue_depth") == 1,
                       "the executor accepted the slow job")
            proc.send_signal(signal.SIGTERM)
            wait_until(lambda: listener_refuses(grpc_port), "the listener closed after the drain")
            assert not call.done(), "the slow job ended before the listener closed: the test proves nothing"
            with pytest.raises(grpc.RpcError) as refused:
                stub.Execute(pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON,
                                               files=[pb.File(path="main.py", content="print(1)")]), timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            response = call.result(timeout=60)
        assert response.outcome == pb.OUTCOME_OK and response.stdout == "done\n"
        assert proc.wait(30) == 0
    finally:
        stop(proc)


def test_metrics_endpoint_serves_grpc_and_executor_metrics() -> None:
    grpc_port, metrics_port = free_port(), free_port()
    proc = start_service("services.executor", {
        "GRPC_PORT": str(grpc_port), "METRICS_PORT": str(metrics_port), "EXECUTOR_SLOTS": "1",
        "EXECUTOR_BROWSER_SLOTS": "0", "EXECUTOR_UID_BASE": "61210", "DRAIN_SECONDS": "0"})
    try:
        wait_serving(grpc_port, SERVICE, proc)
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as chan:
            executor_pb2_grpc.ExecutorServiceStub(chan).Execute(pb.ExecuteRequest(
                language=pb.LANGUAGE_PYTHON, files=[pb.File(path="main.py", content="print(1)")]), timeout=10)
        body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        assert 'grpc_server_handled_total{grpc_code="OK",grpc_method="Execute"' in body
        assert 'synthmesh_executor_runs_total{language="python",outcome="OK"} 1.0' in body
        assert "_created" not in body
    finally:
        assert stop(proc) == 0, output(proc)


def test_refuses_to_start_without_isolation_and_says_why() -> None:
    proc = start_service("services.executor", {"GRPC_PORT": str(free_port()), "METRICS_PORT": str(free_port()),
                                               "EXECUTOR_BWRAP": "/nonexistent/bwrap", "EXECUTOR_BROWSER_SLOTS": "0"})
    assert proc.wait(30) == 3
    text = output(proc)
    assert "bubblewrap not found" in text and "EXECUTOR_SANDBOX=none" in text


def test_bad_configuration_fails_fast_naming_the_variable() -> None:
    proc = start_service("services.executor", {"EXECUTOR_SLOTS": "zero", "EXECUTOR_WALL_SECONDS": "-1"})
    assert proc.wait(30) == 2
    text = output(proc)
    assert "EXECUTOR_SLOTS='zero'" in text and "EXECUTOR_WALL_SECONDS='-1'" in text
