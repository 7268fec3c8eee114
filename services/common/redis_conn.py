"""Redis connection settings and async client factories, with Dojo's variable names.

Dojo's validators and the old dojo-synthetic-api share one Redis and one `.env`: the URL is built from
`REDIS_HOST`, `REDIS_PORT`, `REDIS_USERNAME` and `REDIS_PASSWORD` exactly as upstream did (dojo-contract §3.1:
database 0, no TLS, `user:pass@` only when both are set, `:pass@` when only the password is). `REDIS_URL`, when
set, overrides all four (for TLS, another database or a socket path).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from services.common.env import Env


def build_url(host: str, port: int, username: str = "", password: str = "") -> str:
    """Dojo's URL rule: `redis://[user:pass@|:pass@]host:port`, no database number."""
    auth = ""
    if username and password:
        auth = f"{quote(username, safe='')}:{quote(password, safe='')}@"
    elif password:
        auth = f":{quote(password, safe='')}@"
    # A bare IPv6 address needs brackets to stay apart from the port.
    netloc_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"redis://{auth}{netloc_host}:{port}"


def redact(url: str) -> str:
    """The URL with its password replaced by `***`, fit for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class RedisConfig:
    """Where Redis is and how patient the clients are with it."""

    url: str
    # Seconds to open a TCP connection; short, so an outage turns into a quick, clear failure.
    connect_timeout: float = 2.0
    # Seconds to wait for a reply to an ordinary (non-blocking) command.
    socket_timeout: float = 5.0
    # Seconds a pooled connection may sit idle before it is PINGed on next use (catches Redis restarts).
    health_check_interval: int = 10
    # Connections in the command pool; callers queue for one when all are busy.
    max_connections: int = 64

    @classmethod
    def from_env(cls, env: Env) -> RedisConfig:
        """Reads REDIS_URL or REDIS_HOST/PORT/USERNAME/PASSWORD, and the REDIS_* timeouts."""
        url = env.text("REDIS_URL", "")
        if url:
            if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
                env.problems.append(f"REDIS_URL={redact(url)!r}: expected a redis://, rediss:// or unix:// URL")
        else:
            url = build_url(
                env.text("REDIS_HOST", "localhost"),
                env.port("REDIS_PORT", 6379),
                env.text("REDIS_USERNAME", "default"),
                env.raw("REDIS_PASSWORD") or "",
            )
        return cls(
            url=url,
            connect_timeout=env.number("REDIS_CONNECT_TIMEOUT", 2.0, 0.05, 60.0),
            socket_timeout=env.number("REDIS_SOCKET_TIMEOUT", 5.0, 0.05, 300.0),
            health_check_interval=env.integer("REDIS_HEALTH_CHECK_SECONDS", 10, 0, 3600),
            max_connections=env.integer("REDIS_MAX_CONNECTIONS", 64, 1, 10_000),
        )

    @property
    def redacted_url(self) -> str:
        """The URL without its password."""
        return redact(self.url)


def create_client(cfg: RedisConfig) -> Redis:
    """A client for ordinary commands over a bounded, blocking connection pool.

    One immediate retry on a connection error absorbs connections that went stale while Redis restarted; timeouts
    are not retried, because a timed-out script may have run and must not run twice.
    """
    pool = BlockingConnectionPool.from_url(
        cfg.url,
        max_connections=cfg.max_connections,
        timeout=cfg.socket_timeout,
        socket_connect_timeout=cfg.connect_timeout,
        socket_timeout=cfg.socket_timeout,
        socket_keepalive=True,
        health_check_interval=cfg.health_check_interval,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis_errors.ConnectionError,)),
    )
    return Redis.from_pool(pool)  # the client owns its pool: aclose() closes its connections too


def create_blocking_client(cfg: RedisConfig, max_waiters: int) -> Redis:
    """A client for blocking commands (BLMOVE): one connection per waiter and no read timeout.

    The caller bounds each blocking call with its own deadline: a read timeout shorter than the block would cut a
    healthy wait. A connection error is retried once, like the command client; a retried BLMOVE can at worst move
    a second item into the caller's private claim list, which the pool puts back at the head of the queue.
    """
    pool = BlockingConnectionPool.from_url(
        cfg.url,
        max_connections=max_waiters,
        timeout=cfg.connect_timeout,
        socket_connect_timeout=cfg.connect_timeout,
        socket_timeout=None,
        socket_keepalive=True,
        health_check_interval=cfg.health_check_interval,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis_errors.ConnectionError,)),
    )
    return Redis.from_pool(pool)  # the client owns its pool: aclose() closes its connections too
