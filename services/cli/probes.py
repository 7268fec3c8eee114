"""Health probes used by `synthmesh up` and `synthmesh status` (synchronous: the CLI has no event loop)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.cli.stack import Endpoint, ServiceSpec


def grpc_health(address: str, service: str, timeout: float = 1.0) -> str:
    """SERVING, NOT_SERVING, UNKNOWN or UNREACHABLE."""
    with grpc.insecure_channel(address) as chan:
        try:
            reply = health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=service),
                                                           timeout=timeout)
        except grpc.RpcError:
            return "UNREACHABLE"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


def http_health(address: str, timeout: float = 1.0) -> str:
    """OK when GET /health answers 200, else the problem."""
    try:
        with urllib.request.urlopen(f"http://{address}/health", timeout=timeout) as reply:
            body = json.loads(reply.read() or b"{}")
            return "OK" if reply.status == 200 else f"HTTP {reply.status} {body}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"UNREACHABLE ({exc})"


def healthy(spec: ServiceSpec, endpoint: Endpoint) -> bool:
    """Whether every probe of the service passes."""
    if spec.grpc_service and grpc_health(endpoint.grpc, spec.grpc_service) != "SERVING":
        return False
    return not spec.http_health or http_health(endpoint.http) == "OK"


def metrics_ok(address: str, timeout: float = 1.0) -> bool:
    """Whether /metrics answers with Prometheus text."""
    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=timeout) as reply:
            return reply.status == 200 and b"# HELP" in reply.read()
    except (urllib.error.URLError, OSError):
        return False
