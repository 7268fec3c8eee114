"""Checks every gRPC service must pass: health, reflection, and a graceful stop with a call in flight.

Waits are on observable conditions with a deadline (`eventually`, `wait_until`), never on a guessed sleep.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from services.common.clients import channel
from services.common.server import ServiceRuntime

# How long a condition may take to come true on a loaded machine before the test fails.
DEADLINE_SECONDS = 30.0
POLL_SECONDS = 0.02
NO_RETRIES = [("grpc.enable_retries", 0)]


async def eventually(condition: Callable[[], Awaitable[bool]], what: str,
                     timeout: float = DEADLINE_SECONDS) -> None:
    """Polls `condition` until it holds; fails saying that `what` did not happen within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(POLL_SECONDS)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_SECONDS) -> None:
    """`eventually` for tests that run outside an event loop."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(POLL_SECONDS)


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
        reply = await health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(service=service),
                                                             timeout=10)
        return int(reply.status)


async def listener_closed(port: int) -> bool:
    """True once the server refuses a new connection: its listener stopped (answering NOT_SERVING is not that).

    The probe's channel does not retry, unlike the services' channels, so each probe answers at once."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=NO_RETRIES) as chan:
        try:
            await health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(), timeout=10)
        except grpc.aio.AioRpcError as exc:
            return exc.code() == grpc.StatusCode.UNAVAILABLE
    return False


def listener_refuses(port: int) -> bool:
    """`listener_closed` for a server in another process, from outside an event loop."""
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=NO_RETRIES) as chan:
        try:
            health_pb2_grpc.HealthStub(chan).Check(health_pb2.HealthCheckRequest(), timeout=10)
        except grpc.RpcError as exc:
            return exc.code() == grpc.StatusCode.UNAVAILABLE
    return False


def metric(port: int, name: str) -> float | None:
    """The value of the unlabelled sample `name` on the Prometheus endpoint at `port`, or None if absent."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    return None


async def model_request_arrives(model: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
    """A condition that holds once the offline model server (`model` is its admin client) has received a chat
    request after this call: a call that asks the model something is then in flight on the server."""

    async def total() -> int:
        reply = await model.get("/admin/requests", params={"limit": 1})
        reply.raise_for_status()
        return int(reply.json()["total"])

    before = await total()

    async def arrived() -> bool:
        return await total() > before

    return arrived


async def stop_with_call_in_flight(runtime: ServiceRuntime, slow_call: Callable[[], Awaitable[Any]],
                                   quick_call: Callable[[], Awaitable[Any]],
                                   arrived: Callable[[], Awaitable[bool]]) -> Any:
    """Starts `slow_call`, waits until `arrived` says it reached the server, stops the runtime (as SIGTERM does),
    and checks that a new call once the listener closed is refused while the slow call still completes.
    Returns the slow call's result."""
    in_flight = asyncio.ensure_future(slow_call())

    async def reached() -> bool:
        if in_flight.done():  # raises the call's error, if it failed
            raise AssertionError(f"the slow call ended before the stop began: {in_flight.result()!r}")
        return await arrived()

    await eventually(reached, "the slow call reached the server")
    stopping = asyncio.create_task(runtime.stop(drain=0.2, grace=30))
    await eventually(lambda: listener_closed(runtime.port), "the listener closed after the drain")
    assert not in_flight.done(), "the slow call ended before the listener closed: the test proves nothing"
    try:
        await quick_call()
        refused = None
    except grpc.aio.AioRpcError as exc:
        refused = exc.code()
    result = await in_flight
    await stopping
    assert refused == grpc.StatusCode.UNAVAILABLE, f"a call after the stop was answered ({refused})"
    return result
