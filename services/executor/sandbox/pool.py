"""The pool of worker slots: start-up checks, dispatch, recycling.

Start the pool before the gRPC server: every slot is running before the first call arrives, and the checks
fail fast with a message naming what is missing (bwrap, root, a cgroup hierarchy with pids and memory).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from services.executor import scratch
from services.executor.sandbox import cgroups
from services.executor.sandbox.reaper import Reaper
from services.executor.sandbox.seccomp import export_bpf
from services.executor.sandbox.slots import WORKER_FILES, LaunchSpec, Slot, SlotError

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
# Requests queued per worker: with two, a worker never idles while this process reads its last reply.
PIPELINE_DEPTH = 2
# Longest pause between restarts of a slot that keeps failing to start (it is retried as long as the pool lives).
RESTART_BACKOFF_MAX_SECONDS = 10.0


class SandboxUnavailable(RuntimeError):
    """The host cannot provide the configured isolation; the message says what is missing."""


@dataclass(frozen=True)
class PoolSettings:
    """What the pool needs from the executor's configuration."""

    mode: str  # "bwrap", "docker" or "none"
    slots: int
    uid_base: int
    recycle_after: int
    python: str
    node: str
    bwrap: str
    tmpfs_bytes: int


@dataclass
class RunResult:
    """A worker's reply plus what only the supervisor can see."""

    reply: dict[str, Any]
    oom_kills: int
    sandbox_error: str = ""


class RunPool(Protocol):
    """What the executor needs from a backend: the warm bubblewrap slots, or the Docker engine."""

    settings: PoolSettings
    reaper: Reaper | None
    waiting: int  # jobs waiting for a place to run

    @property
    def size(self) -> int:
        """Runs that may execute at once."""

    def alive(self) -> int:
        """Slots able to run right now."""

    async def start(self) -> None:
        """Gets ready; raises SandboxUnavailable with the reason when it cannot."""

    async def run(self, request: dict[str, Any], memory_bytes: int, max_processes: int) -> RunResult:
        """Runs one worker request."""

    async def close(self) -> None:
        """Stops everything the backend started."""


def check_host(settings: PoolSettings) -> str:
    """Verifies the host can isolate jobs; returns the cgroup version ('' in mode none)."""
    missing = [tool for tool in (settings.python, settings.node) if not os.access(tool, os.X_OK)]
    if settings.mode == "none":
        if settings.python in missing:
            raise SandboxUnavailable(f"{settings.python} is not executable (install Debian's python3)")
        return ""
    problems = [f"{tool} is not executable" for tool in missing]
    if not shutil.which(settings.bwrap):
        problems.append(f"bubblewrap not found at {settings.bwrap} (apt install bubblewrap)")
    if os.geteuid() != 0:
        problems.append("the executor must run as root to create cgroups and switch to the per-slot uids")
    version = ""
    try:
        version = cgroups.detect()
    except cgroups.CgroupError as exc:
        problems.append(str(exc))
    if problems:
        raise SandboxUnavailable(
            "sandbox unavailable: " + "; ".join(problems) + ". Fix the host, or set EXECUTOR_SANDBOX=none to run "
            "untrusted code WITHOUT isolation (development only)."
        )
    return version


def prepare_runtime_dir(settings: PoolSettings) -> Path:
    """A world-readable folder holding the worker, the node harness and the compiled seccomp program."""
    runtime = scratch.make("executor")
    runtime.chmod(0o755)
    for name in (*WORKER_FILES, "harness.js"):
        shutil.copy(HERE / name, runtime / name)
        (runtime / name).chmod(0o644)
    if settings.mode == "bwrap":
        (runtime / "seccomp.bpf").write_bytes(export_bpf())
        (runtime / "seccomp.bpf").chmod(0o644)
    return runtime


class SlotPool:
    """N warm slots; `run` takes a free one, recycling it after a failure or every `recycle_after` jobs."""

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self.cgroup_version = check_host(settings)
        self.runtime_dir = prepare_runtime_dir(settings)
        self.spec = LaunchSpec(settings.mode, settings.bwrap, settings.python, settings.node, self.runtime_dir,
                               settings.tmpfs_bytes)
        uids = range(settings.uid_base, settings.uid_base + settings.slots)
        self.reaper = Reaper(uids) if settings.mode == "bwrap" else None
        self._waiters: collections.deque[tuple[asyncio.Future[Slot], int, int]] = collections.deque()
        self._slots: list[Slot] = []
        self.waiting = 0
        self.recycled = 0
        self.sandbox_failures = 0
        self.restart_failures = 0
        self._recycles: set[asyncio.Task[None]] = set()
        self._closing = False

    async def start(self) -> None:
        """Starts every slot; raises SandboxUnavailable if the first ones cannot start."""
        if self.reaper:
            self.reaper.start()
        if self.cgroup_version and (stale := cgroups.remove_stale()):
            log.info("removed cgroups of executors that are gone", extra={"groups": stale})
        for index in range(self.settings.slots):
            group = None
            uid = None
            if self.settings.mode == "bwrap":
                group = cgroups.create(self.cgroup_version, f"slot-{index}")
                uid = self.settings.uid_base + index
            self._slots.append(Slot(index, self.spec, uid, group, self.reaper))
        try:
            await asyncio.gather(*(slot.start() for slot in self._slots))
        except SlotError as exc:
            await self.close()
            raise SandboxUnavailable(str(exc)) from exc
        log.info("sandbox ready", extra={"mode": self.settings.mode, "slots": len(self._slots),
                                         "cgroup": self.cgroup_version or "none"})

    def alive(self) -> int:
        """Slots whose worker is running."""
        return sum(1 for s in self._slots if s.proc is not None and s.proc.returncode is None)

    @property
    def size(self) -> int:
        """Number of slots."""
        return len(self._slots)

    def _pick(self, memory_bytes: int, max_processes: int) -> Slot | None:
        ready = [s for s in self._slots if s.accepts(memory_bytes, max_processes, PIPELINE_DEPTH)]
        return min(ready, key=lambda s: s.outstanding) if ready else None

    def _dispatch(self) -> None:
        """Hands free places to waiting jobs in arrival order (the head waits rather than being overtaken)."""
        while self._waiters:
            future, memory_bytes, max_processes = self._waiters[0]
            if future.done():
                self._waiters.popleft()
                continue
            slot = self._pick(memory_bytes, max_processes)
            if slot is None:
                return
            self._waiters.popleft()
            slot.outstanding += 1
            future.set_result(slot)

    async def _acquire(self, memory_bytes: int, max_processes: int) -> Slot:
        # One future per waiting job: a freed place wakes exactly one of them, not every waiter.
        future: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
        self._waiters.append((future, memory_bytes, max_processes))
        self._dispatch()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(future.result(), broken=False)
            raise

    def _release(self, slot: Slot, broken: bool) -> None:
        slot.outstanding -= 1
        if broken or slot.jobs >= self.settings.recycle_after:
            slot.usable = False
        if not slot.usable and slot.outstanding == 0 and not slot.recycling and not self._closing:
            # In the background: the job that used the slot last has its result and must not wait for a restart.
            slot.recycling = True
            task = asyncio.create_task(self._recycle(slot), name=f"recycle-slot-{slot.index}")
            self._recycles.add(task)
            task.add_done_callback(self._recycles.discard)
        self._dispatch()

    async def run(self, request: dict[str, Any], memory_bytes: int, max_processes: int) -> RunResult:
        """Runs one worker request on the least busy slot that can take it."""
        self.waiting += 1
        try:
            slot = await self._acquire(memory_bytes, max_processes)
        finally:
            self.waiting -= 1
        # The worker enforces the wall limit; this outer bound covers the job queued ahead of this one too.
        timeout = PIPELINE_DEPTH * (float(request["limits"]["wall"]) + 10.0)
        broken = False
        try:
            reply, oom = await slot.run(request, memory_bytes, max_processes, timeout)
            return RunResult(reply, oom)
        except SlotError as exc:
            broken = True
            self.sandbox_failures += 1
            log.warning("slot failed; recycling", extra={"slot": slot.index, "error": str(exc)})
            return RunResult({}, 0, sandbox_error=str(exc))
        finally:
            self._release(slot, broken)

    async def _recycle(self, slot: Slot) -> None:
        """Restarts a slot, retrying for as long as the pool lives.

        The host may recover (memory, pids) and a slot given up on would stay dead; meanwhile jobs go to the
        other slots, and health reports NOT_SERVING once no slot is alive.
        """
        self.recycled += 1
        attempt = 0
        try:
            try:
                await slot.stop()
            except Exception:  # whatever is left of the old worker, the cgroup kill at the next stop gets it
                log.exception("stopping a slot for recycling failed", extra={"slot": slot.index})
            while not self._closing:
                try:
                    await slot.start()
                    break
                except Exception:  # Slot.start reports its failures as SlotError; anything else is retried too
                    self.restart_failures += 1
                    attempt += 1
                    log.exception("slot restart failed", extra={"slot": slot.index, "attempt": attempt})
                    await asyncio.sleep(min(RESTART_BACKOFF_MAX_SECONDS, 0.5 * attempt))
        finally:
            slot.recycling = False
        self._dispatch()

    async def close(self) -> None:
        """Stops every slot and removes the cgroups and the runtime folder."""
        self._closing = True
        for task in list(self._recycles):
            task.cancel()
        await asyncio.gather(*self._recycles, return_exceptions=True)
        await asyncio.gather(*(slot.stop() for slot in self._slots), return_exceptions=True)
        for slot in self._slots:
            if slot.group:
                slot.group.remove()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        self._slots.clear()

