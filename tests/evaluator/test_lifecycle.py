"""The evaluator as a real process: readiness follows the executor, the CLI, graceful SIGTERM, bad config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.evaluator.v1 import evaluator_pb2_grpc
from tests.executor.test_lifecycle import list_services
from tests.lifecycle import listener_refuses, metric, wait_until
from tests.procs import ROOT, free_port, output, start_service, stop, wait_serving

SERVICE = "synthmesh.evaluator.v1.EvaluatorService"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the executor's sandbox needs root")


def health(port: int, service: str) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        reply = health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        return int(reply.status)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", "eval", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_readiness_cli_and_graceful_sigterm(tmp_path: Path) -> None:
    executor_port, port, metrics_port = free_port(), free_port(), free_port()
    evaluator = start_service("services.evaluator", {
        "GRPC_PORT": str(port), "METRICS_PORT": str(metrics_port),
        "EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{executor_port}",
        "EVALUATOR_RESULTS_DIR": str(tmp_path / "results"), "EVALUATOR_CACHE_DIR": str(tmp_path / "cache"),
        "DRAIN_SECONDS": "0.5", "GRACE_SECONDS": "20"})
    executor = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                assert health(port, "") == health_pb2.HealthCheckResponse.SERVING  # alive...
                break
            except grpc.RpcError:
                time.sleep(0.1)
        # ...but not ready while its executor does not answer.
        assert health(port, SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING
        executor = start_service("services.executor", {
            "GRPC_PORT": str(executor_port), "METRICS_PORT": str(free_port()), "EXECUTOR_SLOTS": "1",
            "EXECUTOR_BROWSER_SLOTS": "0", "EXECUTOR_UID_BASE": "61600", "DRAIN_SECONDS": "0"})
        wait_serving(port, SERVICE, evaluator)
        assert SERVICE in list_services(port)

        address = f"127.0.0.1:{port}"
        done = cli("humaneval", "--canonical", "--limit", "3", "--out", str(tmp_path / "he"), "--evaluator", address)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "pass@1" in done.stdout and "1.0000" in done.stdout and "3/3" in done.stderr  # table, progress bar
        assert json.loads((tmp_path / "he" / "results.json").read_text())["dataset"]["problems_evaluated"] == 3
        as_json = cli("humaneval", "--canonical", "--limit", "2", "--k", "1", "--json", "--evaluator", address)
        metrics = {m["name"]: m["value"] for m in json.loads(as_json.stdout)["metrics"]}
        assert metrics == {"pass@1 (unbiased estimator, Chen et al. 2021)": 1.0, "any-of-1 (first k samples)": 1.0}
        body = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        assert 'synthmesh_evaluator_evaluations_total{dataset="humaneval",mode="canonical",result="ok"} 2.0' in body
        assert 'synthmesh_evaluator_samples_graded_total{dataset="humaneval",outcome="OK"} 5.0' in body
        samples = tmp_path / "samples.jsonl"
        samples.write_text(json.dumps({"task_id": "HumanEval/0", "completion": "    return True\n"}) + "\n")
        refused = cli("humaneval", "--samples", str(samples), "--only-sampled", "--evaluator", address)
        assert refused.returncode == 2 and "FAILED_PRECONDITION" in refused.stdout
        assert "--allow-code-execution" in refused.stdout
        invalid = cli("humaneval", "--samples", str(samples), "--k", "5", "--allow-code-execution",
                      "--evaluator", address)
        assert invalid.returncode == 2 and "INVALID_ARGUMENT" in invalid.stdout
        assert "--samples (samples): no samples" in invalid.stdout

        # An evaluation in flight when SIGTERM arrives still delivers its report; new calls are refused. Each
        # looping sample runs into a time limit of at least 2 s, one at a time: the evaluation lasts far longer
        # than the drain, so it is still running when the listener closes.
        loops = [ev.Sample(task_id="HumanEval/0", completion="    while True:\n        pass\n")] * 3
        slow = ev.EvaluateRequest(dataset="humaneval", samples=loops, task_ids=["HumanEval/0"],
                                  allow_code_execution=True, output_dir=str(tmp_path / "slow"),
                                  time_limit_floor_seconds=2.0)

        def call() -> list[ev.EvaluateResponse]:
            with grpc.insecure_channel(address) as chan:
                return list(evaluator_pb2_grpc.EvaluatorServiceStub(chan).Evaluate(slow, timeout=60))

        with ThreadPoolExecutor(1) as pool:
            evaluation = pool.submit(call)
            wait_until(lambda: metric(metrics_port, "synthmesh_evaluator_running") == 1,
                       "the evaluator started the slow evaluation")
            evaluator.send_signal(signal.SIGTERM)
            wait_until(lambda: listener_refuses(port), "the listener closed after the drain")
            assert not evaluation.done(), "the evaluation ended before the listener closed: the test proves nothing"
            with grpc.insecure_channel(address) as chan, pytest.raises(grpc.RpcError) as late:
                evaluator_pb2_grpc.EvaluatorServiceStub(chan).ListDatasets(ev.ListDatasetsRequest(), timeout=5)
            assert late.value.code() == grpc.StatusCode.UNAVAILABLE
            messages = evaluation.result(timeout=60)
        assert messages and messages[-1].HasField("report")
        assert dict(messages[-1].report.problems[0].verdicts) == {"TIME_LIMIT": 3}
        assert evaluator.wait(30) == 0
    finally:
        stop(evaluator)
        if executor is not None:
            stop(executor)


def test_bad_configuration_fails_fast_naming_the_variable() -> None:
    proc = start_service("services.evaluator", {"EVALUATOR_BATCH_JOBS": "zero", "EXECUTOR_SERVICE_ADDR": "nowhere"})
    assert proc.wait(30) == 2
    text = output(proc)
    assert "EVALUATOR_BATCH_JOBS='zero'" in text and "EXECUTOR_SERVICE_ADDR='nowhere'" in text
