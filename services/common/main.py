"""The entry point of every service's `python -m services.<name>`.

Read the configuration (a bad one exits with code 2 and names each variable), set up JSON logs, then serve until
SIGTERM or SIGINT. A port that cannot be bound also exits with code 2, naming the port and its setting. A
service that cannot provide what it promises (the executor without isolation) raises one of its `refuse`
exceptions while it builds, and exits with code 3 saying why.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from services.common.env import ConfigError
from services.common.logs import setup_logging
from services.common.server import ServiceRuntime, serve
from services.common.settings import BindError, ServerSettings


class HasServer(Protocol):
    """A service configuration: whatever else it holds, it has its server settings."""

    @property
    def server(self) -> ServerSettings:
        """Where the service listens."""


C = TypeVar("C", bound=HasServer)
Build = Callable[[C, ServerSettings], Awaitable[ServiceRuntime]]


def uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The uvloop event loop factory when uvloop is installed (an optimisation; the standard loop works too)."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(service: str, load: Callable[[], C], build: Build[C], *, refuse: tuple[type[Exception], ...] = (),
        fast_loop: bool = False) -> int:
    """Loads the configuration, then serves; returns the process exit code."""
    try:
        config = load()
    except ConfigError as exc:
        print(f"{service}: {exc}", file=sys.stderr)
        return 2
    setup_logging(service, config.server.log_level)

    async def builder(settings: ServerSettings) -> ServiceRuntime:
        return await build(config, settings)

    try:
        with asyncio.Runner(loop_factory=uvloop_factory() if fast_loop else None) as runner:
            runner.run(serve(config.server, builder))
    except refuse as exc:
        logging.getLogger(f"services.{service}").error("refusing to start: %s", exc)
        return 3
    except BindError as exc:
        print(f"{service}: {exc}", file=sys.stderr)
        return 2
    return 0
