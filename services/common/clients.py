"""Long-lived gRPC client channels with keepalive, retries on UNAVAILABLE and a health probe.

One channel per peer, created after the event loop started and closed on shutdown. Retries happen only for
UNAVAILABLE (the peer restarting or draining), through gRPC's own service config; every call still passes its
own `timeout=` so deadlines propagate.
"""

from __future__ import annotations

import json

import grpc
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.server import MAX_MESSAGE_BYTES

_SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


def channel(address: str) -> aio.Channel:
    """An insecure aio channel to `address` (host:port) with retries, keepalive and round-robin balancing."""
    explicit = "://" in address or address.startswith(("dns:", "unix:", "ipv4:", "ipv6:"))
    target = address if explicit else f"dns:///{address}"
    return aio.insecure_channel(
        target,
        options=[
            ("grpc.service_config", _SERVICE_CONFIG),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )


async def health_status(chan: aio.Channel, service: str = "", timeout: float = 2.0) -> str:
    """The peer's health for `service` as a name (SERVING, NOT_SERVING, ...), or UNREACHABLE."""
    stub = health_pb2_grpc.HealthStub(chan)
    try:
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.aio.AioRpcError as exc:
        return "NOT_FOUND" if exc.code() == grpc.StatusCode.NOT_FOUND else "UNREACHABLE"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
