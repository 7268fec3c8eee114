"""End to end: `synthmesh up` in a subprocess brings every built service up, `status` sees them, Ctrl-C or
SIGTERM stops them all and leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.cli import probes
from services.cli.stack import SERVICES, built
from tests.procs import ROOT, free_port

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the executor's sandbox needs root")


def synthmesh(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "services.cli", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def wait_up(proc: subprocess.Popen[str], timeout: float = 180.0) -> str:
    assert proc.stdout
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if line.startswith("Ctrl-C stops everything"):
            return "".join(seen)
    raise AssertionError("synthmesh up did not come up:\n" + "".join(seen))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_up_status_and_clean_stop(tmp_path: Path, stop_signal: signal.Signals) -> None:
    # Point REDIS_URL at nothing so that `up` must start (and later stop) its own redis-server.
    env = dict(os.environ, PYTHONPATH=str(ROOT), REDIS_URL=f"redis://127.0.0.1:{free_port()}",
               EXECUTOR_SLOTS="1", EXECUTOR_BROWSER_SLOTS="1", EXECUTOR_BROWSER_PAGES="1",
               EXECUTOR_UID_BASE="61300", EXECUTOR_BROWSER_UID="61299", DRAIN_SECONDS="0.2")
    for key in ("OPENROUTER_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        env.pop(key, None)
    proc = synthmesh("up", "--free-ports", cwd=tmp_path, env=env)
    try:
        banner = wait_up(proc)
        state = json.loads((tmp_path / ".synthmesh" / "stack.json").read_text())
        expected = {s.name for s in SERVICES if built(s)}
        assert set(state["endpoints"]) == expected, banner
        assert state["redis_pid"] and (tmp_path / ".synthmesh" / "redis").is_dir()
        specs = {s.name: s for s in SERVICES}
        pids = [state["redis_pid"]]
        for name, endpoint in state["endpoints"].items():
            pids.append(endpoint["pid"])
            spec = specs[name]
            if spec.grpc_service:
                assert probes.grpc_health(endpoint["grpc"], spec.grpc_service) == "SERVING", name
                body = urllib.request.urlopen(f"http://{endpoint['metrics']}/metrics", timeout=5).read().decode()
                assert "# HELP" in body and "_created" not in body, name
            if spec.http_health:
                assert probes.http_health(endpoint["http"]) == "OK", name
        status = subprocess.run([sys.executable, "-m", "services.cli", "status", "--json"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert report["healthy"] is True and set(report["services"]) == expected
        proc.send_signal(stop_signal)
        proc.send_signal(signal.SIGTERM)  # an impatient second signal must not cut the stop short
        assert proc.wait(90) == 0
        deadline = time.monotonic() + 10
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in pids if alive(p)] == []
        assert not (tmp_path / ".synthmesh" / "stack.json").exists()
        assert_stopped_callers_first(tmp_path / ".synthmesh" / "logs", set(state["endpoints"]))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def log_time(path: Path, message: str) -> str:
    """The timestamp of the first JSON log line of `path` with this message."""
    for line in path.read_text().splitlines():
        if line.startswith("{") and json.loads(line).get("message") == message:
            return str(json.loads(line)["timestamp"])
    raise AssertionError(f"{path.name}: no {message!r} line")


def assert_stopped_callers_first(logs: Path, running: set[str]) -> None:
    """Each gRPC service was asked to stop only after every running service that calls it had stopped."""
    for spec in SERVICES:
        callers = [s.name for s in SERVICES if spec.name in s.peers and s.name in running]
        if not spec.grpc_service or spec.name not in running or not callers:
            continue
        asked = log_time(logs / f"{spec.name}.log", "shutdown requested")
        for caller in callers:
            assert log_time(logs / f"{caller}.log", "stopped") <= asked, f"{spec.name} stopped before {caller}"
