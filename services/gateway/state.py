"""What the HTTP handlers share: the pool, its hand-outs, and the shutdown signal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from services.common.pool.handout import HandOuts
from services.common.pool.store import Pool


@dataclass
class GatewayState:
    """Per-process state of the HTTP app (one per `create_app`)."""

    pool: Pool
    handouts: HandOuts
    # How long a v1 hand-out blocks on an empty pool (GATEWAY_WAIT_SECONDS).
    wait_seconds: float
    # Set on shutdown: blocked hand-outs give up at once and new ones are refused.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
