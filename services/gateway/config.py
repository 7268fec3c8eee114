"""The gateway's typed configuration, read once from the environment."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from services.common.env import Env
from services.common.pool.config import PoolConfig
from services.common.redis_conn import RedisConfig
from services.common.settings import ServerSettings

# Dojo's validator gives each call 120 s in total (dojo-contract §2.1); an answer must arrive before that.
DOJO_CLIENT_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class GatewayConfig:
    """HTTP, gRPC, Redis and pool settings of the gateway."""

    server: ServerSettings
    redis: RedisConfig
    pool: PoolConfig
    http_host: str = "0.0.0.0"  # noqa: S104 - Dojo's containers reach the gateway by service name
    http_port: int = 5003
    # How long GET /api/synthetic-gen blocks on an empty pool before answering success:false.
    wait_seconds: float = 60.0
    # Required in the X-API-Key header when non-empty; /health and /metrics stay open.
    api_key: str = ""
    max_body_bytes: int = 64 * 1024
    cors_origins: tuple[str, ...] = ("*",)
    access_log: bool = False
    # Callers that may block on an empty pool at once (each holds one Redis connection while it waits).
    max_waiters: int = 512
    # Proxies whose X-Forwarded-For names the caller (comma-separated IPs/CIDRs, "*" for any). Empty: the socket's
    # peer is the caller and the headers are ignored, which also spares every request uvicorn's proxy middleware.
    forwarded_allow_ips: str = ""

    @classmethod
    def from_env(cls, env: Env | None = None) -> GatewayConfig:
        """Reads every gateway variable and fails with all problems at once."""
        env = env or Env()
        wait = env.number("GATEWAY_WAIT_SECONDS", 60.0, 0.0)
        if wait >= DOJO_CLIENT_TIMEOUT_SECONDS:
            env.problems.append(f"GATEWAY_WAIT_SECONDS={wait:g}: must stay below Dojo's "
                                f"{DOJO_CLIENT_TIMEOUT_SECONDS:g} s client timeout")
            wait = 60.0
        origins = tuple(o.strip() for o in env.text("GATEWAY_CORS_ORIGINS", "*").split(",") if o.strip())
        cfg = cls(
            server=ServerSettings.from_env(env, "gateway"),
            redis=RedisConfig.from_env(env),
            pool=PoolConfig.from_env(env),
            http_host=env.text("HTTP_HOST", "0.0.0.0"),  # noqa: S104
            http_port=env.port("HTTP_PORT", 5003),
            wait_seconds=wait,
            api_key=env.raw("GATEWAY_API_KEY") or "",
            max_body_bytes=env.integer("GATEWAY_MAX_BODY_BYTES", 64 * 1024, 256, 64 * 1024 * 1024),
            cors_origins=origins,
            access_log=env.flag("GATEWAY_ACCESS_LOG", False),
            max_waiters=env.integer("GATEWAY_MAX_WAITERS", 512, 1, 100_000),
            forwarded_allow_ips=_proxies(env),
        )
        env.check()
        return cfg


def _proxies(env: Env) -> str:
    """GATEWAY_FORWARDED_ALLOW_IPS, checked: a mistyped entry would otherwise silently trust nobody."""
    value = env.text("GATEWAY_FORWARDED_ALLOW_IPS", "").strip()
    entries = [e.strip() for e in value.split(",") if e.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            env.problems.append(f"GATEWAY_FORWARDED_ALLOW_IPS: {entry!r} is not an IP address, a CIDR or '*'")
    return ",".join(entries)
