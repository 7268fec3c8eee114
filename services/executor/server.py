"""Builds the executor: sandbox slots and browsers first (before any gRPC object exists), then the server."""

from __future__ import annotations

import logging
import os
import subprocess

from services.common.server import ServiceRuntime
from services.executor import scratch
from services.executor.browser.pool import BrowserPool, browser_settings
from services.executor.config import ExecutorConfig
from services.executor.sandbox.docker_pool import DockerPool
from services.executor.sandbox.pool import RunPool, SlotPool
from services.executor.servicer import SERVICE_NAME, WAITING, ExecutorServicer
from synthmesh.executor.v1 import executor_pb2_grpc

log = logging.getLogger(__name__)

# The executors of this process that have started and not closed: one in a service, several in tests. The waiting
# gauges, read at scrape time, add up theirs.
_LIVE: set[Executor] = set()
WAITING.labels("program").set_function(lambda: sum(e.pool.waiting for e in _LIVE))
WAITING.labels("page").set_function(lambda: sum(e.browser.waiting for e in _LIVE if e.browser is not None))


def runtime_versions(config: ExecutorConfig) -> list[str]:
    """Versions of the sandboxed runtimes (probed once, before the reaper thread and gRPC start)."""
    versions = []
    for label, argv in (("python", [config.pool.python, "--version"]), ("node", [config.pool.node, "--version"])):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
            versions.append(f"{label} {(out.stdout or out.stderr).strip().split()[-1]}")
        except (OSError, subprocess.TimeoutExpired, IndexError):
            versions.append(f"{label} unavailable")
    return versions


class Executor:
    """The executor's moving parts, started in the order fork safety requires."""

    def __init__(self, config: ExecutorConfig) -> None:
        self.config = config
        if config.pool.mode == "docker":
            self.runtimes = [f"image {config.docker_image}"]
            self.pool: RunPool = DockerPool(config.pool, config.docker_image, config.docker_url)
        else:
            self.runtimes = runtime_versions(config)
            self.pool = SlotPool(config.pool)
        self.browser: BrowserPool | None = None

    async def start(self) -> None:
        """Starts slots and browsers; raises SandboxUnavailable when isolation is missing."""
        if self.config.pool.mode == "none":
            log.warning("EXECUTOR_SANDBOX=none: untrusted code runs WITHOUT isolation (development only)")
        scratch.remove_stale()
        await self.pool.start()
        _LIVE.add(self)
        if self.config.browser_slots:
            # Chromium's network namespace and non-root uid need root; only "none" runs it as it comes.
            isolate = self.config.pool.mode != "none" and os.geteuid() == 0
            self.browser = BrowserPool(browser_settings(self.config, isolate=isolate))
            try:
                await self.browser.start()
            except Exception:
                await self.close()
                raise

    async def close(self) -> None:
        """Stops browsers and slots."""
        _LIVE.discard(self)
        if self.pool.reaper:
            self.pool.reaper.pause()  # Playwright waits for its own driver process
        if self.browser:
            await self.browser.close()
        await self.pool.close()

    def runtime(self) -> ServiceRuntime:
        """The gRPC server, with health driven by the slots being alive."""
        runtime = ServiceRuntime(self.config.server, [SERVICE_NAME])
        servicer = ExecutorServicer(self.config, self.pool, self.browser, self.runtimes)
        executor_pb2_grpc.add_ExecutorServiceServicer_to_server(servicer, runtime.server)

        async def ready() -> bool:
            return self.pool.alive() > 0

        runtime.readiness(ready)
        runtime.on_shutdown(self.close)
        return runtime
