"""Wires the gateway: uvicorn (HTTP) and the gRPC runtime on one event loop, plus the pool's maintenance loop.

Shutdown (driven by services.common.server.serve, which owns SIGTERM/SIGINT): gRPC health NOT_SERVING → drain →
gRPC stop → blocked hand-outs released and uvicorn stopped (no new connections, in-flight replies finish) →
maintenance stopped → pending acknowledgements flushed → Redis pools closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from services.common.pool.errors import PoolUnavailable
from services.common.pool.handout import HandOuts
from services.common.pool.metrics import REDIS_UP
from services.common.pool.store import Pool
from services.common.redis_conn import create_blocking_client, create_client
from services.common.server import ServiceRuntime
from services.common.settings import BindError
from services.gateway.app import create_app
from services.gateway.config import GatewayConfig
from services.gateway.poolservice import create_runtime
from services.gateway.state import GatewayState
from services.gateway.transport import CoalescingHttpToolsProtocol

log = logging.getLogger(__name__)


class _PlainRecords(logging.Filter):
    """Drops uvicorn's ANSI-coloured copy of each message, which would otherwise land in every JSON log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keeps the record, minus `color_message`."""
        record.__dict__.pop("color_message", None)
        return True


_PLAIN_RECORDS = _PlainRecords()


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The process's one signal owner is services.common.server.serve(); uvicorn must not replace it.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn ends the whole process (sys.exit) when it cannot bind; name the address and its setting instead.
        try:
            await super().startup(sockets)
        except SystemExit:
            address = f"{self.config.host}:{self.config.port}"
            raise BindError(f"cannot listen on {address} (HTTP_PORT): address already in use or not allowed") from None


class HttpServer:
    """uvicorn serving one ASGI app on the running loop."""

    def __init__(self, app: ASGIApp, host: str, port: int, access_log: bool = False, grace: float = 10.0,
                 forwarded_allow_ips: str = "") -> None:
        config = uvicorn.Config(app, host=host, port=port, lifespan="off", http=CoalescingHttpToolsProtocol,
                                log_config=None, access_log=access_log, server_header=False,
                                timeout_graceful_shutdown=max(1, round(grace)),
                                proxy_headers=bool(forwarded_allow_ips),
                                forwarded_allow_ips=forwarded_allow_ips or None)
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None
        logging.getLogger("uvicorn.error").addFilter(_PLAIN_RECORDS)

    async def start(self) -> int:
        """Starts serving; returns the bound port (useful when 0 was asked for)."""
        self._task = asyncio.create_task(self._server.serve(), name="http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises the BindError of _Server.startup
                raise RuntimeError("the HTTP server stopped during start-up")
            await asyncio.sleep(0.005)
        port: int = self._server.servers[0].sockets[0].getsockname()[1]
        log.info("http serving", extra={"port": port})
        return port

    async def stop(self) -> None:
        """Stops accepting, lets in-flight requests finish (up to the grace period), and returns."""
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task


class Maintenance:
    """Periodically retries acknowledgements, sweeps leases, claims and unusable v2 records, refreshes the gauges."""

    def __init__(self, pool: Pool, handouts: HandOuts, period: float) -> None:
        self.pool = pool
        self.handouts = handouts
        self.period = period
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def start(self) -> None:
        """Begins the loop."""
        self._task = asyncio.create_task(self._run(), name="pool-maintenance")

    async def run_once(self) -> None:
        """One maintenance pass; logs only when Redis starts or stops failing, not every period."""
        try:
            await self.handouts.maintain()
            await self.pool.bury_unusable_v2()
            await self.pool.depth()
        except PoolUnavailable as exc:
            REDIS_UP.set(0)
            if not self._failing:
                log.warning("pool maintenance failing", extra={"error": str(exc)})
            self._failing = True
            return
        REDIS_UP.set(1)
        if self._failing:
            log.info("pool maintenance recovered")
        self._failing = False

    async def _run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.period)

    async def stop(self) -> None:
        """Ends the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def build_gateway(cfg: GatewayConfig) -> ServiceRuntime:
    """Starts HTTP first (so /health answers at once), then returns the gRPC runtime for serve() to start."""
    redis = create_client(cfg.redis)
    blocking = create_blocking_client(cfg.redis, cfg.max_waiters)
    pool = Pool(redis, cfg.pool)
    handouts = HandOuts(pool, blocking)
    state = GatewayState(pool=pool, handouts=handouts, wait_seconds=cfg.wait_seconds)
    app = create_app(state, api_key=cfg.api_key, max_body_bytes=cfg.max_body_bytes, cors_origins=cfg.cors_origins)
    http = HttpServer(app, cfg.http_host, cfg.http_port, cfg.access_log, cfg.server.grace_seconds,
                      cfg.forwarded_allow_ips)
    await http.start()
    maintenance = Maintenance(pool, handouts, cfg.pool.sweep_seconds)
    maintenance.start()
    runtime = create_runtime(cfg.server, pool, handouts)

    async def shutdown() -> None:
        state.stopping.set()
        await http.stop()
        await maintenance.stop()
        await handouts.close()
        await redis.aclose()
        await blocking.aclose()

    runtime.on_shutdown(shutdown)
    log.info("gateway ready", extra={"redis": cfg.redis.redacted_url, "wait_seconds": cfg.wait_seconds})
    return runtime
