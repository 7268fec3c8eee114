"""Turns the raw facts of one sandboxed run into a verdict (outcomes are data, never RPC errors)."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Any, TypeAlias

from synthmesh.executor.v1 import executor_pb2 as pb

Outcome: TypeAlias = pb.Outcome.ValueType

# When several verdicts apply to one job, the earlier ones in this list win.
SEVERITY = (pb.OUTCOME_SANDBOX_ERROR, pb.OUTCOME_SYNTAX_ERROR)
# What node prints when its heap flag or the data-segment limit of mode none stops an allocation.
V8_OUT_OF_MEMORY = ("heap out of memory", "Fatal process out of memory", "Array buffer allocation failed")


@dataclass(frozen=True)
class RunVerdict:
    """The outcome of one run and a one-line reason."""

    outcome: Outcome
    message: str
    exit_code: int
    signal: int


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _first(events: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    return next((e for e in events if key in e), None)


def exit_status(reply: dict[str, Any]) -> tuple[int, int]:
    """(exit code, signal) of the program; exit code -1 when a signal killed it."""
    status = reply.get("status")
    if status is None:
        status = next((e["status"] for e in reply.get("events", []) if isinstance(e.get("status"), int)), 0)
    if status & 0x7F:
        return -1, status & 0x7F
    return (status >> 8) & 0xFF, 0


def classify(reply: dict[str, Any], oom_kills: int, sandbox_error: str, cpu_limit: float, wall_limit: float,
             memory_limit: int) -> RunVerdict:
    """Decides the verdict of a run from the worker's reply and the cgroup's OOM counter.

    The CPU limit is enforced per process (RLIMIT_CPU) and the memory limit by the slot's cgroup, which also holds
    the sandbox's own processes; a run is judged on its totals too: the CPU its processes used together, and its
    peak resident memory.
    """
    if sandbox_error:
        return RunVerdict(pb.OUTCOME_SANDBOX_ERROR, f"sandbox failure: {sandbox_error}", -1, 0)
    events = reply.get("events", [])
    code, sig = exit_status(reply)
    if failure := _first(events, "sandbox_error"):
        return RunVerdict(pb.OUTCOME_SANDBOX_ERROR, f"sandbox failure: {failure['sandbox_error']}", code, sig)
    if syntax := _first(events, "syntax_error"):
        return RunVerdict(pb.OUTCOME_SYNTAX_ERROR, str(syntax["syntax_error"]), code, sig)
    if reply.get("killed") == "timeout":
        return RunVerdict(pb.OUTCOME_TIME_LIMIT, f"wall-clock limit of {wall_limit:g} s exceeded", code, sig)
    if reply.get("killed") == "output":
        return RunVerdict(pb.OUTCOME_OUTPUT_LIMIT, "output limit exceeded", code, sig)
    cpu = float(reply.get("cpu", 0.0))
    if sig == signal.SIGXCPU or cpu > cpu_limit:
        return RunVerdict(pb.OUTCOME_TIME_LIMIT, f"CPU limit of {cpu_limit:g} s exceeded ({cpu:.2f} s used)",
                          code, sig)
    crash = _first(events, "exception")
    stderr = str(reply.get("stderr", ""))
    heap = any(message in stderr for message in V8_OUT_OF_MEMORY)
    peak = int(reply.get("maxrss", 0))
    if oom_kills > 0 or heap or (crash is not None and crash.get("memory")) or peak > memory_limit:
        return RunVerdict(pb.OUTCOME_MEMORY_LIMIT, f"memory limit of {memory_limit / 2**20:g} MiB exceeded", code,
                          sig)
    if crash is not None:
        return RunVerdict(pb.OUTCOME_RUNTIME_ERROR, str(crash["exception"]), code, sig)
    if sig:
        return RunVerdict(pb.OUTCOME_RUNTIME_ERROR, f"killed by {_signal_name(sig)}", code, sig)
    if code != 0:
        return RunVerdict(pb.OUTCOME_RUNTIME_ERROR, last_error_line(str(reply.get("stderr", "")))
                          or f"exit code {code}", code, sig)
    return RunVerdict(pb.OUTCOME_OK, "", code, sig)


def last_error_line(stderr: str) -> str:
    """The most informative line of a crash report (node and Python put the error last)."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "Exception" in line:
            return line[:500]
    return lines[-1][:500] if lines else ""


CASE_OUTCOMES = {
    "pass": pb.OUTCOME_OK,
    "fail": pb.OUTCOME_WRONG_ANSWER,
    "error": pb.OUTCOME_RUNTIME_ERROR,
    "memory": pb.OUTCOME_MEMORY_LIMIT,
}


def overall(outcomes: list[Outcome], run_outcome: Outcome) -> Outcome:
    """A job's verdict: the most severe error class, else the first failing test, else the runs' own outcome.

    Passing every test is not enough: a run that then fails (non-zero exit, an uncaught error in a timer or a
    rejected promise, a limit hit) is not OK, whichever language reported its tests first.
    """
    for severe in SEVERITY:
        if severe in outcomes or run_outcome == severe:
            return severe
    for outcome in outcomes:
        if outcome != pb.OUTCOME_OK:
            return outcome
    return run_outcome
