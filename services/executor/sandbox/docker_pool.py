"""The optional Docker backend: each run in a fresh container of a Docker-API engine (Docker, or Podman's API).

It has the slot pool's interface, so everything above it (verdicts, tests, the browser) is shared. Each run is
one container: no network, read-only root, a size-capped tmpfs /tmp, all capabilities dropped,
no-new-privileges, an unprivileged user, the memory, process and open-file limits of the job, and the same
worker program as the bubblewrap backend (in its no-namespace mode: the container is the boundary). The worker
reads the request on stdin and answers on stdout, then the container is removed. Slower than warm slots (a
container per run), meant for hosts that already run an engine. aiodocker is imported only when selected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal
from typing import Any

from services.executor.sandbox.pool import PoolSettings, RunResult, SandboxUnavailable, prepare_runtime_dir
from services.executor.sandbox.reaper import Reaper

log = logging.getLogger(__name__)
CONTAINER_OVERHEAD_BYTES = 64 * 1024 * 1024
CONTAINER_OVERHEAD_PIDS = 8
USER = "65534:65534"


class DockerPool:
    """Runs worker requests in throwaway containers, at most `slots` at once."""

    def __init__(self, settings: PoolSettings, image: str, url: str | None) -> None:
        self.settings = settings
        self.image = image
        self.url = url or None
        self.runtime_dir = prepare_runtime_dir(settings)
        self.reaper: Reaper | None = None  # the engine reaps its containers' processes
        self.waiting = 0
        self.sandbox_failures = 0
        self._gate = asyncio.Semaphore(settings.slots)
        self._docker: Any = None

    async def start(self) -> None:
        """Connects to the engine and checks the image; raises SandboxUnavailable with the reason otherwise."""
        try:
            import aiodocker
        except ImportError as exc:
            message = "EXECUTOR_SANDBOX=docker needs aiodocker: pip install 'synthmesh[docker]'"
            raise SandboxUnavailable(message) from exc
        self._docker = aiodocker.Docker(url=self.url)
        try:
            await self._docker.version()
            await self._docker.images.inspect(self.image)
        except Exception as exc:
            await self.close()
            raise SandboxUnavailable(f"Docker engine at {self.url or 'the default socket'} cannot run "
                                     f"{self.image}: {exc}") from exc
        log.info("docker sandbox ready", extra={"image": self.image, "engine": self.url or "default"})

    @property
    def size(self) -> int:
        """Containers allowed at once."""
        return self.settings.slots

    def alive(self) -> int:
        """Slots usable (all of them while the engine is connected)."""
        return self.settings.slots if self._docker is not None else 0

    def _config(self, request: dict[str, Any], memory_bytes: int, max_processes: int) -> dict[str, Any]:
        worker = {"mode": "none", "seccomp": "", "node": self.settings.node, "harness_js": "/sb/harness.js",
                  "tmpfs_bytes": self.settings.tmpfs_bytes, "scratch": "/tmp", "preload": []}
        pids = max_processes + CONTAINER_OVERHEAD_PIDS
        return {
            "Image": self.image, "User": USER, "WorkingDir": "/tmp", "Env": [], "NetworkDisabled": True,
            "Cmd": [self.settings.python, "-I", "-S", "/sb/worker.py", json.dumps(worker)],
            "OpenStdin": True, "StdinOnce": True, "AttachStdin": True, "AttachStdout": True, "AttachStderr": False,
            "HostConfig": {
                "NetworkMode": "none", "ReadonlyRootfs": True, "CapDrop": ["ALL"],
                "SecurityOpt": ["no-new-privileges"], "Binds": [f"{self.runtime_dir}:/sb:ro"],
                "Tmpfs": {"/tmp": f"rw,exec,nosuid,nodev,size={self.settings.tmpfs_bytes},mode=1777"},
                "Memory": memory_bytes + CONTAINER_OVERHEAD_BYTES,
                "MemorySwap": memory_bytes + CONTAINER_OVERHEAD_BYTES, "PidsLimit": pids,
                "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 1024}, {"Name": "nproc", "Soft": pids,
                                                                             "Hard": pids}],
            },
        }

    async def run(self, request: dict[str, Any], memory_bytes: int, max_processes: int) -> RunResult:
        """Runs one request in a new container."""
        self.waiting += 1
        try:
            await self._gate.acquire()
        finally:  # a caller that left while waiting is not waiting any more
            self.waiting -= 1
        try:
            return await self._run(request, memory_bytes, max_processes)
        except Exception as exc:  # the engine failed: the job's behaviour is unknown, say so
            self.sandbox_failures += 1
            log.warning("docker run failed", extra={"error": str(exc)})
            return RunResult({}, 0, sandbox_error=f"docker: {type(exc).__name__}: {exc}")
        finally:
            self._gate.release()

    async def _run(self, request: dict[str, Any], memory_bytes: int, max_processes: int) -> RunResult:
        container = await self._docker.containers.create(self._config(request, memory_bytes, max_processes))
        try:
            reply = await asyncio.wait_for(self._exchange(container, request),
                                           float(request["limits"]["wall"]) + 30.0)
            state = (await container.show())["State"]
            return RunResult(reply, 1 if state.get("OOMKilled") or self._oom_killed(reply, memory_bytes) else 0)
        finally:
            with contextlib.suppress(Exception):
                await container.delete(force=True)

    @staticmethod
    def _oom_killed(reply: dict[str, Any], memory_bytes: int) -> bool:
        """Whether the memory limit killed the program.

        The engine reports OOM kills of the container's first process only; a program it killed inside shows as
        SIGKILL (not sent by the worker) with a peak near the container's limit.
        """
        killed = int(reply.get("status", 0)) & 0x7F == signal.SIGKILL and not reply.get("killed")
        return killed and int(reply.get("maxrss", 0)) >= 0.9 * (memory_bytes + CONTAINER_OVERHEAD_BYTES)

    @staticmethod
    async def _exchange(container: Any, request: dict[str, Any]) -> dict[str, Any]:
        stream = container.attach(stdin=True, stdout=True, stderr=False)
        buffer = b""
        async with stream:
            await container.start()
            await stream.write_in(json.dumps(request).encode() + b"\n")
            while True:
                message = await stream.read_out()
                if message is None:
                    raise RuntimeError("the container ended without a reply")
                buffer += message.data
                *complete, buffer = buffer.split(b"\n")
                for line in complete:
                    if line.startswith(b"{") and b'"ready"' not in line:
                        reply: dict[str, Any] = json.loads(line)
                        if "worker_error" in reply:
                            raise RuntimeError(reply["worker_error"])
                        return reply

    async def close(self) -> None:
        """Closes the engine connection and removes the runtime folder."""
        if self._docker is not None:
            await self._docker.close()
            self._docker = None
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
