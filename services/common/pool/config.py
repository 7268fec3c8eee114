"""Pool settings shared by every process that reads or writes the pool."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.env import Env


@dataclass(frozen=True)
class PoolConfig:
    """Retention and hand-out bookkeeping."""

    # TTL of `synthetic:history:*` archive keys (and of the duplicate-push markers); upstream's prod value.
    history_ttl_seconds: int = 4 * 3600
    # Seconds a handed-out QAP may stay unacknowledged before the sweeper dead-letters it.
    lease_seconds: float = 60.0
    # Seconds between sweeps of expired leases and abandoned claims (and pool-depth refreshes).
    sweep_seconds: float = 5.0
    # Approximate bound of the delivery-log stream (XADD MAXLEN ~).
    delivery_log_max: int = 100_000
    # Bound of the dead-letter list (oldest records are trimmed).
    dead_letter_max: int = 10_000

    @classmethod
    def from_env(cls, env: Env) -> PoolConfig:
        """Reads the POOL_* variables."""
        return cls(
            history_ttl_seconds=env.integer("POOL_HISTORY_TTL_SECONDS", 4 * 3600, 60, 30 * 86400),
            lease_seconds=env.number("POOL_LEASE_SECONDS", 60.0, 1.0, 3600.0),
            sweep_seconds=env.number("POOL_SWEEP_SECONDS", 5.0, 0.1, 3600.0),
            delivery_log_max=env.integer("POOL_DELIVERY_LOG_MAX", 100_000, 100, 10_000_000),
            dead_letter_max=env.integer("POOL_DEAD_LETTER_MAX", 10_000, 10, 1_000_000),
        )
