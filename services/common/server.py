"""The gRPC server bootstrap every service uses.

`ServiceRuntime` builds one `grpc.aio` server with the observability interceptor, the library health servicer
and reflection, and drives health from the service's own readiness check. `run()` is the process's main loop:
metrics endpoint up, server started, SIGTERM/SIGINT → health NOT_SERVING → drain → `server.stop(grace)` →
the service's cleanup callbacks (grpc examples' graceful-shutdown pattern).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common.interceptors import ObservabilityInterceptor
from services.common.metrics import BUILD_INFO, SERVING, MetricsServer
from services.common.settings import BindError, ServerSettings

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[bool]]
Cleanup = Callable[[], Awaitable[None]]

# Large enough for a batch of programs with their tests; the executor enforces its own, finer limits.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
READINESS_PERIOD_SECONDS = 2.0


class ServiceRuntime:
    """One gRPC server with health, reflection, metrics and a graceful stop."""

    def __init__(self, settings: ServerSettings, service_names: Sequence[str]) -> None:
        self.settings = settings
        self.service_names = tuple(service_names)
        self.health = health.aio.HealthServicer()
        self.server = aio.server(
            interceptors=[ObservabilityInterceptor()],
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
                *([("grpc.max_connection_age_ms", int(settings.connection_age_seconds * 1000))]
                  if settings.connection_age_seconds > 0 else []),
            ],
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server
        )
        self._readiness: ReadinessCheck | None = None
        self._cleanups: list[Cleanup] = []
        self._ready_task: asyncio.Task[None] | None = None
        self._stopping = False
        self.port = 0

    def readiness(self, check: ReadinessCheck) -> None:
        """Sets the check that decides SERVING vs NOT_SERVING for the service names (polled)."""
        self._readiness = check

    def on_shutdown(self, cleanup: Cleanup) -> None:
        """Registers a coroutine run after the server stopped (close channels, pools, workers)."""
        self._cleanups.append(cleanup)

    async def start(self, address: str | None = None) -> int:
        """Binds, starts serving and begins the readiness loop; returns the bound port."""
        address = address or self.settings.address
        try:
            self.port = self.server.add_insecure_port(address)
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            # gRPC says no more than "failed to bind"; in practice the port is taken.
            raise BindError(f"cannot listen on {address} (GRPC_PORT): address already in use or not allowed")
        for name in self.service_names:
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.start()
        await self.refresh_readiness()
        self._ready_task = asyncio.create_task(self._readiness_loop(), name="readiness")
        BUILD_INFO.info({"service": self.settings.service, "version": "0.1.0"})
        log.info("serving", extra={"port": self.port, "services": list(self.service_names)})
        return self.port

    async def set_serving(self, serving: bool) -> None:
        """Reports every service name SERVING or NOT_SERVING (ignored once shutdown began)."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in self.service_names:
            await self.health.set(name, status)
        SERVING.labels(self.settings.service).set(1 if serving and not self._stopping else 0)

    async def refresh_readiness(self) -> None:
        """Runs the readiness check now and reports the result."""
        try:
            ready = True if self._readiness is None else await self._readiness()
        except Exception:  # a failing check means "not ready", never a crashed loop
            log.warning("readiness check failed", exc_info=True)
            ready = False
        await self.set_serving(ready)

    async def _readiness_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(READINESS_PERIOD_SECONDS)
            if not self._stopping:
                await self.refresh_readiness()

    async def stop(self, drain: float | None = None, grace: float | None = None) -> None:
        """NOT_SERVING for good, wait `drain`, stop accepting and give in-flight calls `grace` seconds."""
        if self._stopping:
            return
        self._stopping = True
        SERVING.labels(self.settings.service).set(0)
        await self.health.enter_graceful_shutdown()
        if self._ready_task:
            self._ready_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ready_task
        await asyncio.sleep(self.settings.drain_seconds if drain is None else drain)
        await self.server.stop(self.settings.grace_seconds if grace is None else grace)
        for cleanup in reversed(self._cleanups):
            try:
                await cleanup()
            except Exception:
                log.exception("cleanup failed")
        log.info("stopped")


Builder = Callable[[ServerSettings], Awaitable[ServiceRuntime]]


async def serve(settings: ServerSettings, build: Builder) -> None:
    """Runs a service until SIGTERM or SIGINT, then shuts it down gracefully."""
    metrics = MetricsServer(settings.host, settings.metrics_port)
    runtime = await build(settings)
    try:
        await runtime.start()
    except BindError:
        # What the build started (workers, browsers, clients) is released before the process exits.
        await runtime.stop(drain=0, grace=0)
        metrics.close()
        raise
    # Everything built so far lives as long as the process: keep it out of every future garbage collection.
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutdown requested")
    await runtime.stop()
    metrics.close()

