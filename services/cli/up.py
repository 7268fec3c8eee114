"""`synthmesh up`: the whole stack on one machine.

Redis is reused when REDIS_URL (or Dojo's REDIS_* variables) answers, else Debian's redis-server is started
with its data under .synthmesh/redis. Every built service starts in its own process, each only after the ones
it needs report healthy; an address table is printed; Ctrl-C or SIGTERM stops everything cleanly, each
service only after the services calling it have exited (see `stop_tiers`), and Redis last.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, TextIO

import redis

from services.cli import probes
from services.cli.stack import (
    SERVICES,
    STATE_DIR,
    STATE_FILE,
    ServiceSpec,
    StackState,
    built,
    dies_with_parent,
    free_port,
    needs_offline_server,
    plan_endpoint,
    port_busy,
    service_env,
    stop_tiers,
)
from services.common.env import ConfigError, Env
from services.common.llm_config import LlmConfig
from services.common.redis_conn import RedisConfig
from services.common.settings import ServerSettings

START_TIMEOUT = 90.0
# Beyond a service's drain and grace: its clean-up (sandbox workers, browsers, connections).
STOP_MARGIN = 5.0


class StackError(RuntimeError):
    """The stack could not start; the message says which part and why."""


def redis_reachable(url: str) -> bool:
    """Whether a Redis server answers PING at `url`."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Starts Debian's redis-server on a free port with append-only persistence under `folder`."""
    binary = shutil.which("redis-server")
    if not binary:
        raise StackError("no Redis at REDIS_URL and no redis-server to start (apt install redis-server)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        dies_with_parent([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder.resolve()),
                          "--appendonly", "yes", "--save", "", "--daemonize", "no", "--logfile", "redis.log"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"redis://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not redis_reachable(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise StackError(f"redis-server did not start (see {folder / 'redis.log'})")
        time.sleep(0.05)
    return proc, url


class Stack:
    """The processes of one `synthmesh up`."""

    def __init__(self, free_ports: bool, sandbox: str | None, env: Env | None = None) -> None:
        """Reads the settings the services will read too; call `env.check()` before `start()`."""
        self.free_ports = free_ports
        self.sandbox = sandbox
        self.env = env or Env()
        self.redis_config = RedisConfig.from_env(self.env)
        self.llm = LlmConfig.from_env(self.env)
        # The services read the same settings (the gateway's ports are the ones this process does not take).
        server = ServerSettings.from_env(self.env, "gateway")
        # How long one tier of services may take to stop; the gateway gives gRPC, then HTTP calls the grace.
        self.stop_timeout = server.drain_seconds + 2 * server.grace_seconds + STOP_MARGIN
        self.state = StackState()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.redis: subprocess.Popen[bytes] | None = None
        self.logs = STATE_DIR / "logs"

    def specs(self) -> list[ServiceSpec]:
        """The services to start: every built one, and the offline model server only when a role uses it."""
        self.state.offline = needs_offline_server(self.llm)
        return [s for s in SERVICES if built(s) and (s.name != "offline_llm" or self.state.offline)]

    def start(self) -> None:
        """Starts Redis and the services in dependency order, each only after the previous is healthy."""
        url = self.redis_config.url
        if redis_reachable(url):
            self.state.redis_url = url
        else:
            self.redis, self.state.redis_url = start_redis(STATE_DIR / "redis")
            self.state.redis_pid = self.redis.pid
        self.logs.mkdir(parents=True, exist_ok=True)
        for spec in self.specs():
            endpoint = plan_endpoint(spec, self.free_ports)
            for address in (endpoint.grpc, endpoint.metrics, endpoint.http):
                if address and port_busy(int(address.rpartition(":")[2])):
                    raise StackError(f"{spec.name}: port {address} is taken (stop what uses it, or use --free-ports)")
            self.state.endpoints[spec.name] = endpoint
            self._launch(spec)
            self._wait_healthy(spec)
            self.state.save()

    def _launch(self, spec: ServiceSpec) -> None:
        endpoint = self.state.endpoints[spec.name]
        env = dict(os.environ, **service_env(spec, endpoint, self.state))
        if self.sandbox:
            env["EXECUTOR_SANDBOX"] = self.sandbox
        log_path = self.logs / f"{spec.name}.log"
        with log_path.open("ab") as log:
            proc = subprocess.Popen(dies_with_parent([sys.executable, "-m", spec.module]), env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[spec.name] = proc
        endpoint.pid, endpoint.log = proc.pid, str(log_path)

    def _wait_healthy(self, spec: ServiceSpec) -> None:
        endpoint = self.state.endpoints[spec.name]
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            proc = self.procs[spec.name]
            if proc.poll() is not None:
                raise StackError(f"{spec.name} exited with code {proc.returncode}:\n{tail(Path(endpoint.log))}")
            if probes.healthy(spec, endpoint):
                return
            time.sleep(0.2)
        raise StackError(f"{spec.name} did not become healthy in {START_TIMEOUT:.0f} s:\n{tail(Path(endpoint.log))}")

    def stop(self) -> None:
        """Stops the services in tiers, callers before the services they call, then Redis.

        Each tier gets SIGTERM and its drain and grace to exit (then SIGKILL), so that draining services can
        still finish their in-flight work through the services they call.
        """
        for tier in stop_tiers(list(self.procs)):
            procs = [self.procs[name] for name in tier]
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout
            for proc in procs:
                reap(proc, deadline)
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.redis.wait(10)
            if self.redis.poll() is None:
                self.redis.kill()
        STATE_FILE.unlink(missing_ok=True)


def reap(proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Waits for `proc` until `deadline`, then kills its process group."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(max(0.1, deadline - time.monotonic()))
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def table(state: StackState) -> str:
    """The address table printed once everything is up."""
    rows = [("service", "pid", "grpc", "http", "metrics")]
    rows += [(e.name, str(e.pid), e.grpc or "-", e.http or "-", f"{e.metrics}/metrics" if e.metrics else "-")
             for e in state.endpoints.values()]
    rows.append(("redis", str(state.redis_pid or "-"), "-", state.redis_url, "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`synthmesh up [--free-ports] [--sandbox bwrap|none]`."""
    command: argparse.ArgumentParser = sub.add_parser(
        "up", help="start Redis (if needed) and every service; Ctrl-C stops them all")
    command.add_argument("--free-ports", action="store_true", help="pick free ports instead of the defaults")
    command.add_argument("--sandbox", choices=("bwrap", "none"), help="override EXECUTOR_SANDBOX")
    return command


def run(args: argparse.Namespace) -> int:
    """Brings the stack up and keeps it up until Ctrl-C or SIGTERM; returns the exit code."""
    stack = Stack(args.free_ports, args.sandbox)
    try:
        stack.env.check()
    except ConfigError as exc:
        print(f"synthmesh up: {exc}", file=sys.stderr, flush=True)
        return 2

    def on_signal(_signum: int, _frame: object) -> None:
        # Ignoring further signals here, not later, also drops one that is already pending (Ctrl-C, then TERM).
        ignore_signals()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        print(f"synthmesh is up — LLM: {llm_mode(stack)}\n{table(stack.state)}\nCtrl-C stops everything.", flush=True)
        watch(stack)
    except KeyboardInterrupt:
        stop(stack, "stopping…")
        return 0
    except StackError as exc:
        stop(stack, f"synthmesh up failed: {exc}", sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def llm_mode(stack: Stack) -> str:
    """What answers the LLM calls, for the banner."""
    if stack.llm.offline:
        return "offline model server (no provider key or model set)"
    return "configured models, some roles on the offline model server" if stack.state.offline else \
        "configured LLM provider"


def watch(stack: Stack) -> NoReturn:
    """Watches the services until a signal; raises StackError when one stops by itself."""
    while True:
        for name, proc in stack.procs.items():
            if proc.poll() is not None:
                raise StackError(f"{name} stopped unexpectedly (code {proc.returncode}):\n"
                                 f"{tail(Path(stack.state.endpoints[name].log))}")
        time.sleep(0.5)


def stop(stack: Stack, message: str, out: TextIO | None = None) -> None:
    """Stops the stack, deaf to further Ctrl-C and SIGTERM.

    An impatient second signal must not cut the stop short: it left stack.json behind and never escalated to
    SIGKILL.
    """
    ignore_signals()
    print(message, file=out or sys.stdout, flush=True)
    stack.stop()


def ignore_signals() -> None:
    """Ctrl-C and SIGTERM are ignored from now on."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
