"""Settings every gRPC service shares: where it listens and how it shuts down."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.env import Env

# Default ports, one pair per service, so the whole stack runs on one machine without any configuration.
DEFAULT_PORTS: dict[str, tuple[int, int]] = {
    "executor": (50051, 9461),
    "generator": (50052, 9462),
    "iterator": (50053, 9463),
    "evaluator": (50054, 9464),
    "gateway": (50055, 9465),
    "llm": (8088, 0),
}


class BindError(RuntimeError):
    """A listening port cannot be bound (taken, or not allowed); the message names the address and its setting."""


@dataclass(frozen=True)
class ServerSettings:
    """Where a service listens and how long it drains on SIGTERM."""

    service: str
    host: str
    grpc_port: int
    metrics_port: int
    # Seconds between turning health NOT_SERVING and stopping the server: about one probe period, so load
    # balancers stop sending new calls before the listener closes.
    drain_seconds: float
    # Seconds in-flight calls get to finish after the listener closes (server.stop(grace)).
    grace_seconds: float
    log_level: str
    # Seconds after which the server asks a client to open a new connection (GOAWAY; calls in flight finish).
    # Clients resolve the peer's name again when they reconnect, so pods added behind a headless Service get
    # calls too; without it a client keeps the connections it opened first. 0 keeps connections forever.
    connection_age_seconds: float = 300.0

    @classmethod
    def from_env(cls, env: Env, service: str) -> ServerSettings:
        """Reads the settings of `service` from the environment.

        GRPC_HOST, GRPC_PORT, METRICS_PORT, DRAIN_SECONDS, GRACE_SECONDS, LOG_LEVEL, GRPC_MAX_CONNECTION_AGE_SECONDS.
        """
        grpc_port, metrics_port = DEFAULT_PORTS[service]
        return cls(
            service=service,
            # gRPC probes reach the pod IP, so listen on every interface unless told otherwise.
            host=env.text("GRPC_HOST", "[::]"),
            grpc_port=env.port("GRPC_PORT", grpc_port),
            metrics_port=env.port("METRICS_PORT", metrics_port),
            drain_seconds=env.number("DRAIN_SECONDS", 1.0, 0.0, 60.0),
            grace_seconds=env.number("GRACE_SECONDS", 10.0, 0.0, 600.0),
            log_level=env.text("LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
            connection_age_seconds=env.number("GRPC_MAX_CONNECTION_AGE_SECONDS", 300.0, 0.0, 86400.0),
        )

    @property
    def address(self) -> str:
        """The gRPC bind address."""
        return f"{self.host}:{self.grpc_port}"


def peer_address(env: Env, peer: str) -> str:
    """Reads `<PEER>_SERVICE_ADDR` (host:port), defaulting to the peer's local default port."""
    default = f"localhost:{DEFAULT_PORTS[peer][0]}"
    value = env.text(f"{peer.upper()}_SERVICE_ADDR", default)
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        env.problems.append(f"{peer.upper()}_SERVICE_ADDR={value!r}: expected host:port")
        return default
    return value
