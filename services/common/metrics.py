"""Prometheus metrics shared by every service, and the /metrics endpoint.

Names follow Prometheus conventions: one `synthmesh_` prefix for our own metrics, base units, `_total` on
counters; gRPC metrics use the go-grpc-prometheus names so stock dashboards work. Histogram buckets are
explicit because the client's defaults stop at 10 s and LLM calls take minutes.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram, Info

from services.common.settings import BindError

# The `_created` series doubles the series count and no dashboard reads it.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
# LLM calls and the generator's stages: a role's timeout may reach an hour, a repair stage several calls.
LLM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600)
# Executor jobs: a trivial run takes milliseconds; a job may wait for a slot, then run up to its 120 s wall limit.
RUN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

_GRPC_LABELS = ("grpc_type", "grpc_service", "grpc_method")

GRPC_SERVER_STARTED = Counter(
    "grpc_server_started", "RPCs started on the server.", _GRPC_LABELS
)
GRPC_SERVER_HANDLED = Counter(
    "grpc_server_handled", "RPCs completed on the server, by status code.", (*_GRPC_LABELS, "grpc_code")
)
GRPC_SERVER_HANDLING = Histogram(
    "grpc_server_handling_seconds",
    "Time from the start of an RPC to its completion on the server.",
    _GRPC_LABELS,
    buckets=LATENCY_BUCKETS,
)
GRPC_SERVER_MSG_SENT = Counter(
    "grpc_server_msg_sent", "Stream messages sent by the server.", _GRPC_LABELS
)
BUILD_INFO = Info("synthmesh_build", "Service name and version.")
SERVING = Gauge(
    "synthmesh_serving", "1 when this service reports SERVING on its health endpoint, else 0.", ("service",)
)


class MetricsServer:
    """A /metrics HTTP endpoint on its own port, in a daemon thread (prometheus_client's WSGI server)."""

    def __init__(self, host: str, port: int) -> None:
        # prometheus_client's server takes a plain address; "[::]" is the gRPC spelling of every interface.
        addr = "::" if host in ("[::]", "::") else host.strip("[]")
        self._server: WSGIServer
        self._thread: threading.Thread
        try:
            self._server, self._thread = prometheus_client.start_http_server(port, addr=addr)
        except OSError as exc:
            raise BindError(f"cannot listen on {host}:{port} (METRICS_PORT): {exc.strerror or exc}") from exc

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was asked for)."""
        return int(self._server.server_port)

    def close(self) -> None:
        """Stops serving and joins the thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
