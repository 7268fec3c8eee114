"""Per-slot control groups on cgroup v1 or v2, chosen at start-up by probing which controllers exist.

Each worker slot's whole sandbox (bwrap, the worker, the run host and the program) lives in one group whose
memory and pids limits are set before every job, so the group is the job's group while the job runs (a slot
runs one job at a time). Debian 12 hosts run a hybrid hierarchy where `memory` and `pids` are v1 controllers;
Kubernetes nodes and newer hosts are v2-only. Both are handled here and nowhere else.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from pathlib import Path
from typing import Protocol

ROOT = Path("/sys/fs/cgroup")
# One parent group per executor process, so two executors on a host never share (or remove) each other's.
GROUP = f"synthmesh-executor-{os.getpid()}"
PREFIX = "synthmesh-executor-"


class CgroupError(RuntimeError):
    """The cgroup hierarchy cannot give us the pids and memory controllers."""


class SlotGroup(Protocol):
    """One slot's control group."""

    def ensure(self) -> None:
        """Creates the group's directories if they are missing (idempotent)."""

    def procs_files(self) -> list[Path]:
        """The cgroup.procs files a new sandbox joins."""

    def set_limits(self, memory_bytes: int, max_pids: int) -> None:
        """Applies the limits of the next job."""

    def oom_kills(self) -> int:
        """How many processes the memory limit has killed in this group so far."""

    def kill_all(self) -> None:
        """Kills every process in the group."""

    def remove(self) -> None:
        """Kills what is left and removes the group."""


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _rmdir(path: Path) -> None:
    # The sandbox's processes take a moment to leave after they were killed: rmdir fails with EBUSY meanwhile.
    for _ in range(200):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            time.sleep(0.005)


def _rmdir_if_empty(path: Path) -> None:
    with contextlib.suppress(OSError):
        if not any(p.is_dir() for p in path.iterdir()):
            _rmdir(path)


def remove_stale() -> int:
    """Removes groups left by executors that no longer run (a crash skips their cleanup); returns how many."""
    removed = 0
    for base in (ROOT / "pids", ROOT / "memory", ROOT):
        if not base.is_dir():
            continue
        for parent in base.glob(PREFIX + "*"):
            pid = parent.name.removeprefix(PREFIX)
            if not pid.isdigit() or Path(f"/proc/{pid}").exists():
                continue
            for child in [c for c in parent.iterdir() if c.is_dir()]:
                _kill_procs(child / "cgroup.procs")
                _rmdir(child)
            _rmdir(parent)
            removed += 1
    return removed


def _kill_procs(procs: Path) -> None:
    for _ in range(100):
        try:
            pids = [int(p) for p in procs.read_text().split()]
        except FileNotFoundError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.002)


class V1Group:
    """A slot group under the v1 `pids` and `memory` hierarchies."""

    def __init__(self, name: str) -> None:
        self.pids = ROOT / "pids" / GROUP / name
        self.memory = ROOT / "memory" / GROUP / name
        self.ensure()

    def ensure(self) -> None:
        """Creates both directories."""
        for path in (self.pids, self.memory):
            path.mkdir(parents=True, exist_ok=True)
        # A job must hit its limit, not swap; without swap on the host this is a no-op.
        if (self.memory / "memory.swappiness").exists():
            _write(self.memory / "memory.swappiness", "0")

    def procs_files(self) -> list[Path]:
        """Both hierarchies' procs files."""
        return [self.pids / "cgroup.procs", self.memory / "cgroup.procs"]

    def set_limits(self, memory_bytes: int, max_pids: int) -> None:
        """memory.limit_in_bytes and pids.max."""
        _write(self.memory / "memory.limit_in_bytes", str(memory_bytes))
        _write(self.pids / "pids.max", str(max_pids))

    def oom_kills(self) -> int:
        """The `oom_kill` field of memory.oom_control (kernel 4.13+)."""
        for line in (self.memory / "memory.oom_control").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def kill_all(self) -> None:
        """v1 has no cgroup.kill: signal every member until the group is empty."""
        _kill_procs(self.pids / "cgroup.procs")

    def remove(self) -> None:
        """Empties and removes both directories."""
        self.kill_all()
        _rmdir(self.pids)
        _rmdir(self.memory)
        for parent in (self.pids.parent, self.memory.parent):
            _rmdir_if_empty(parent)


class V2Group:
    """A slot group in the unified hierarchy."""

    def __init__(self, name: str) -> None:
        self.path = ROOT / GROUP / name
        self.ensure()

    def ensure(self) -> None:
        """Creates the parent (with the controllers delegated) and the slot's directory."""
        parent = self.path.parent
        enabled = set((parent.parent / "cgroup.subtree_control").read_text().split())
        if not {"pids", "memory"} <= enabled:
            # Typical of a container with its own cgroup namespace: the controllers exist but are not handed
            # down, and a cgroup that holds processes cannot hand them down (the no-internal-process rule).
            raise CgroupError(
                f"cgroup v2: {parent.parent}/cgroup.subtree_control enables {sorted(enabled) or 'nothing'}, not "
                "pids and memory; move the processes of that group into a child group and write '+pids +memory' "
                "to it, or run the executor where those controllers are delegated")
        parent.mkdir(exist_ok=True)
        _write(parent / "cgroup.subtree_control", "+pids +memory")
        self.path.mkdir(exist_ok=True)
        if (self.path / "memory.swap.max").exists():
            _write(self.path / "memory.swap.max", "0")

    def procs_files(self) -> list[Path]:
        """The single procs file."""
        return [self.path / "cgroup.procs"]

    def set_limits(self, memory_bytes: int, max_pids: int) -> None:
        """memory.max and pids.max."""
        _write(self.path / "memory.max", str(memory_bytes))
        _write(self.path / "pids.max", str(max_pids))

    def oom_kills(self) -> int:
        """The `oom_kill` field of memory.events."""
        for line in (self.path / "memory.events").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def kill_all(self) -> None:
        """cgroup.kill (5.14+), else signal every member."""
        kill = self.path / "cgroup.kill"
        if kill.exists():
            _write(kill, "1")
        _kill_procs(self.path / "cgroup.procs")

    def remove(self) -> None:
        """Empties and removes the directory."""
        self.kill_all()
        _rmdir(self.path)
        _rmdir_if_empty(self.path.parent)


def detect() -> str:
    """'v1' or 'v2', whichever offers both the pids and memory controllers; raises CgroupError otherwise."""
    if (ROOT / "pids" / "cgroup.procs").exists() and (ROOT / "memory" / "cgroup.procs").exists():
        return "v1"
    controllers = ROOT / "cgroup.controllers"
    if controllers.exists() and {"pids", "memory"} <= set(controllers.read_text().split()):
        return "v2"
    raise CgroupError(
        "no cgroup hierarchy offers both the pids and memory controllers (looked for v1 "
        f"{ROOT}/pids and {ROOT}/memory, and v2 {ROOT}/cgroup.controllers)"
    )


def create(version: str, name: str) -> SlotGroup:
    """Creates (or reuses) the slot's group; needs write access to the hierarchy (root)."""
    try:
        return V1Group(name) if version == "v1" else V2Group(name)
    except OSError as exc:
        raise CgroupError(f"cannot create cgroup {GROUP}/{name} ({version}): {exc}") from exc
