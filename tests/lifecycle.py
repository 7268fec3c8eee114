"""Checks every gRPC service must pass in process: health, reflection, and a graceful stop with a call in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.common.clients import channel
from services.common.server import ServiceRuntime


async def reflected_services(port: int) -> list[str]:
    """The service names the server's reflection lists."""
    async with channel(f"127.0.0.1:{port}") as chan:
        stub = reflection_pb2_grpc.ServerReflectionStub(chan)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        names: list[str] = []
        async for reply in stub.ServerReflectionInfo(iter([request])):
            names += [s.name for s in reply.list_services_response.service]
        return names


async def health(port: int, service: str) -> int:
    """The health status of `service`."""
    async with channel(f"127.0.0.1:{port}") as chan:
        reply = await health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=service))
        return int(reply.status)


async def stop_with_call_in_flight(runtime: ServiceRuntime, slow_call: Callable[[], Awaitable[Any]],
                                   quick_call: Callable[[], Awaitable[Any]], started_after: float) -> Any:
    """Starts `slow_call`, stops the runtime (as SIGTERM does), and checks that the call still completes while a
    new call after the listener closed is refused. Returns the slow call's result."""
    in_flight = asyncio.ensure_future(slow_call())
    await asyncio.sleep(started_after)
    stopping = asyncio.create_task(runtime.stop(drain=0.2, grace=30))
    await asyncio.sleep(0.5)  # past the drain: the listener is closing, in-flight calls continue
    try:
        await quick_call()
        refused = None
    except grpc.aio.AioRpcError as exc:
        refused = exc.code()
    result = await in_flight
    await stopping
    assert refused == grpc.StatusCode.UNAVAILABLE, f"a call after the stop was answered ({refused})"
    return result
