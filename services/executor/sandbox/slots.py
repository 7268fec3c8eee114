"""One worker slot: a warm fork server (worker.py) inside hardened bubblewrap, spoken to over pipes.

Launch recipe (sandbox.md §4): a root supervisor starts `/bin/sh` as the slot's dedicated unprivileged uid,
puts it into the slot's cgroup while it waits on its stdin, then lets it `exec env -i bwrap …` so that bwrap
and everything under it run with an empty environment, inside the cgroup, seeing only /usr, a private /tmp and
the worker's three read-only files. The supervisor never forks a copy of itself to start a slot: the uid
is dropped by `setpriv` after exec, so that Popen can vfork. With `user=`/`group=` Popen has to fork(), and a
fork of a process running gRPC runs gRPC's fork handlers in the child, which restart its event-engine threads:
seen crashing the child (SIGSEGV) before exec in about one slot recycle in eight under load.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.executor.sandbox.cgroups import SlotGroup
from services.executor.sandbox.reaper import Reaper

log = logging.getLogger(__name__)

# Memory of bwrap, the worker and the run host, added to the job's own limit in the slot's cgroup.
SLOT_OVERHEAD_BYTES = 96 * 1024 * 1024
# bwrap's init, the worker and the run host, added to the job's process limit.
SLOT_OVERHEAD_PIDS = 4
READY_TIMEOUT = 20.0
# Standard-library modules LLM-written programs and benchmark checks import most; the worker imports them once.
PRELOAD = ("typing", "math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string",
           "random", "statistics", "fractions", "decimal", "hashlib", "datetime", "copy", "operator",
           "dataclasses", "enum", "unittest")
LINE_LIMIT = 256 * 1024 * 1024
SETPRIV = "/usr/bin/setpriv"
# The fork server's modules (stdlib only), copied next to each other into the runtime folder; worker.py is run.
WORKER_FILES = ("worker.py", "worker_host.py", "worker_program.py")
# Mode none runs the worker from the installed package (read-only in the image), not from a copy its runs could
# rewrite: they share the worker's uid, and a rewritten worker would judge every later run of its slot.
SOURCE_DIR = Path(__file__).resolve().parent


class SlotError(RuntimeError):
    """The worker failed, hung or broke the protocol; the slot must be recycled."""


@dataclass(frozen=True)
class LaunchSpec:
    """How every slot's worker is launched."""

    mode: str  # "bwrap" (hardened, default) or "none" (no isolation, explicit opt-in)
    bwrap: str
    python: str
    node: str
    runtime_dir: Path  # world-readable copies of WORKER_FILES, harness.js and the seccomp program
    tmpfs_bytes: int

    def worker_config(self, scratch: Path) -> dict[str, Any]:
        """The JSON configuration passed to worker.py."""
        inside = self.mode == "bwrap"
        return {
            "mode": "namespaces" if inside else "none",
            "seccomp": "/sb/seccomp.bpf" if inside else "",
            "node": self.node,
            "harness_js": "/sb/harness.js" if inside else str(SOURCE_DIR / "harness.js"),
            "tmpfs_bytes": self.tmpfs_bytes,
            "scratch": str(scratch),
            "preload": PRELOAD,
        }

    def command(self, scratch: Path) -> list[str]:
        """Argv that starts one worker."""
        config = json.dumps(self.worker_config(scratch))
        if self.mode == "none":
            return [self.python, "-I", "-S", str(SOURCE_DIR / "worker.py"), config]
        rt = self.runtime_dir
        bwrap = [
            self.bwrap, "--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
            "--size", str(self.tmpfs_bytes), "--tmpfs", "/tmp",
            *(arg for name in WORKER_FILES for arg in ("--ro-bind", str(rt / name), f"/sb/{name}")),
            "--ro-bind", str(rt / "harness.js"), "/sb/harness.js",
            "--ro-bind", str(rt / "seccomp.bpf"), "/sb/seccomp.bpf",
            # The root and /dev are tmpfs folders bwrap built; left writable, a run could leave files there
            # for the next one. Only /tmp and /dev/shm (remounted fresh by the run host) stay writable.
            "--remount-ro", "/dev", "--remount-ro", "/",
            "--clearenv", "--setenv", "PATH", "/usr/bin", "--cap-drop", "ALL",
            "--", self.python, "-I", "-S", "/sb/worker.py", config,
        ]
        # sh waits for one line on stdin (sent once it is in the cgroup), then becomes bwrap with no environment.
        return ["/bin/sh", "-c", 'read -r go && exec env -i "$@"', "sh", *bwrap]


class Slot:
    """A worker process and the cgroup it lives in; runs one request at a time."""

    def __init__(self, index: int, spec: LaunchSpec, uid: int | None, group: SlotGroup | None,
                 reaper: Reaper | None) -> None:
        self.index = index
        self.spec = spec
        self.uid = uid
        self.group = group
        self.reaper = reaper
        self.jobs = 0
        self.proc: asyncio.subprocess.Process | None = None
        self._stderr_tail = b""
        self._stderr_task: asyncio.Task[None] | None = None
        self.scratch = spec.runtime_dir / f"scratch-{index}"
        # Writing cgroup limits costs ~1 ms, so they are written only when a job asks for different ones,
        # and the OOM counter is re-read only after a run that was killed.
        self._limits: tuple[int, int] | None = None
        self._oom_seen = 0
        # Requests already written to the worker, oldest first. Up to the pool's depth may be outstanding, so
        # the worker starts the next job the moment it finishes one instead of waiting for this process.
        self._pending: collections.deque[asyncio.Future[bytes]] = collections.deque()
        self._reader: asyncio.Task[None] | None = None
        self.outstanding = 0
        self.usable = False
        self.recycling = False

    async def start(self) -> None:
        """Launches the worker and waits for its ready line; any failure stops what started and is a SlotError.

        A host short of memory or pids fails in many ways (fork's EAGAIN, ENOMEM, a cgroup file that cannot be
        read); each must reach the pool as a failed start it retries, never as an error that leaves the slot dead.
        """
        try:
            await self._start()
        except SlotError:
            raise
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self.stop()
            raise SlotError(f"slot {self.index} could not start ({type(exc).__name__}: {exc}): "
                            f"{self.diagnostics()}") from exc

    async def _start(self) -> None:
        self.scratch.mkdir(mode=0o700, exist_ok=True)
        if self.uid is not None and self.spec.mode == "none":
            os.chown(self.scratch, self.uid, self.uid)
        command = self.spec.command(self.scratch)
        if self.uid is not None and self.uid != os.getuid():
            command = [SETPRIV, f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--", *command]
        self.proc = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={}, limit=LINE_LIMIT,
        )
        if self.reaper:
            self.reaper.track(self.proc.pid)
        self._stderr_task = asyncio.create_task(self._drain_stderr(), name=f"slot-{self.index}-stderr")
        assert self.proc.stdin and self.proc.stdout
        if self.spec.mode == "bwrap":
            if self.group:
                try:
                    self.group.ensure()
                    for procs in self.group.procs_files():
                        procs.write_text(str(self.proc.pid))
                except OSError as exc:
                    # Seen when a recycled slot's new shell was already gone (ESRCH): a failed start, which the
                    # pool retries, not an error that escapes into the job whose end triggered the recycle.
                    await self.stop()
                    raise SlotError(f"slot {self.index} could not join its cgroup ({exc}): "
                                    f"{self.diagnostics()}") from exc
            self.proc.stdin.write(b"go\n")
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), READY_TIMEOUT)
        except TimeoutError:
            line = b""
        if not line.startswith(b'{"ready"'):
            await self.stop()
            raise SlotError(f"slot {self.index} worker did not start: {self.diagnostics()}")
        self.jobs = 0
        self._limits = None
        self._oom_seen = self.group.oom_kills() if self.group else 0
        self._reader = asyncio.create_task(self._read_replies(), name=f"slot-{self.index}-replies")
        self.usable = True

    async def _read_replies(self) -> None:
        assert self.proc and self.proc.stdout
        while line := await self.proc.stdout.readline():
            if self._pending:
                future = self._pending.popleft()
                if not future.done():
                    future.set_result(line)
        error = SlotError(f"slot {self.index} worker exited: {self.diagnostics()}")
        while self._pending:
            future = self._pending.popleft()
            if not future.done():
                future.set_exception(error)

    def accepts(self, memory_bytes: int, max_processes: int, depth: int) -> bool:
        """Whether a job with these limits can be queued here now (limits change only on an idle slot)."""
        limits = (memory_bytes + SLOT_OVERHEAD_BYTES, max_processes + SLOT_OVERHEAD_PIDS)
        return self.usable and self.outstanding < depth and (self.outstanding == 0 or limits == self._limits)

    async def _drain_stderr(self) -> None:
        assert self.proc and self.proc.stderr
        while chunk := await self.proc.stderr.read(4096):
            self._stderr_tail = (self._stderr_tail + chunk)[-4096:]

    def diagnostics(self) -> str:
        """The tail of the worker's stderr, for error messages."""
        return self._stderr_tail.decode("utf-8", "replace").strip() or "no output"

    async def run(self, request: dict[str, Any], memory_bytes: int, max_processes: int,
                  timeout: float) -> tuple[dict[str, Any], int]:
        """Sends one request; returns the worker's reply and the number of OOM kills it caused."""
        if not self.proc or self.proc.returncode is not None or not self.proc.stdin or not self.proc.stdout:
            raise SlotError(f"slot {self.index} is not running")
        limits = (memory_bytes + SLOT_OVERHEAD_BYTES, max_processes + SLOT_OVERHEAD_PIDS)
        if self.group and limits != self._limits:
            try:
                self.group.set_limits(*limits)
            except OSError as exc:
                raise SlotError(f"slot {self.index} cgroup unusable: {exc}") from exc
            self._limits = limits
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending.append(future)
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        try:
            await self.proc.stdin.drain()
            line = await asyncio.wait_for(asyncio.shield(future), timeout)
        except (TimeoutError, ConnectionError) as exc:
            raise SlotError(f"slot {self.index} did not answer ({type(exc).__name__}): {self.diagnostics()}") from exc
        self.jobs += 1
        reply: dict[str, Any] = json.loads(line)
        if "worker_error" in reply:
            raise SlotError(f"slot {self.index} worker error: {reply['worker_error']}")
        return reply, self._new_oom_kills(reply)

    def _new_oom_kills(self, reply: dict[str, Any]) -> int:
        """OOM kills since the last look; only a run that died by SIGKILL can have caused one."""
        if not self.group or int(reply.get("status", 0)) & 0x7F != signal.SIGKILL:
            return 0
        try:
            total = self.group.oom_kills()
        except OSError as exc:
            raise SlotError(f"slot {self.index} cgroup unusable: {exc}") from exc
        new, self._oom_seen = total - self._oom_seen, total
        return new

    async def stop(self) -> None:
        """Kills the worker and everything in its cgroup; waits for it.

        Every step runs even when the cgroup kill fails (its error is raised at the end): the worker itself is
        killed, and bubblewrap's --die-with-parent takes the sandbox with it.
        """
        self.usable = False
        cgroup_error: OSError | None = None
        if self.group:
            try:
                self.group.kill_all()
            except OSError as exc:
                cgroup_error = exc
        if self.proc and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 5)
        if self.proc and self.reaper:
            self.reaper.untrack(self.proc.pid)
        for task in (self._stderr_task, self._reader):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if cgroup_error is not None:
            raise cgroup_error
