"""The shared interceptor: a client cancelling a server stream is CANCELLED, not an unhandled error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc import aio
from prometheus_client import REGISTRY

from services.common.interceptors import ObservabilityInterceptor

CHUNK = b"x" * 65536


async def endless(_request: bytes, _context: Any) -> AsyncIterator[bytes]:
    # Large messages fill the flow-control window, so the stream is suspended at a yield when the client leaves.
    while True:
        yield CHUNK


def handled(code: str) -> float:
    labels = {"grpc_type": "server_stream", "grpc_service": "demo.v1.Demo", "grpc_method": "Stream", "grpc_code": code}
    return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0


async def test_a_cancelled_server_stream_is_counted_cancelled_and_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = aio.server(interceptors=[ObservabilityInterceptor()])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "demo.v1.Demo", {"Stream": grpc.unary_stream_rpc_method_handler(endless)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    cancelled, unknown = handled("CANCELLED"), handled("UNKNOWN")
    try:
        async with aio.insecure_channel(f"127.0.0.1:{port}") as chan:
            call = chan.unary_stream("/demo.v1.Demo/Stream")(b"")
            assert await call.read() == CHUNK
            call.cancel()
        for _ in range(250):
            if handled("CANCELLED") + handled("UNKNOWN") > cancelled + unknown:
                break
            await asyncio.sleep(0.02)
    finally:
        await server.stop(0)
    assert (handled("CANCELLED"), handled("UNKNOWN")) == (cancelled + 1, unknown)
    noisy = [r for r in caplog.records if r.levelno > logging.INFO or r.exc_info]
    assert noisy == []
