"""Servers end each client connection after GRPC_MAX_CONNECTION_AGE_SECONDS, without failing calls in flight.

A client then opens a new connection, resolving the peer's name again, which is how pods added behind a
headless Service start getting calls. The server sees the new connection as a new peer (another source port).
"""

from __future__ import annotations

import asyncio

import grpc
from grpc import aio

from services.common.clients import channel
from services.common.env import Env
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings


async def peer(_request: bytes, context: aio.ServicerContext[bytes, bytes]) -> bytes:
    return context.peer().encode()


async def slow_peer(request: bytes, context: aio.ServicerContext[bytes, bytes]) -> bytes:
    await asyncio.sleep(float(request.decode()))
    return context.peer().encode()


async def test_connections_are_renewed_after_their_age_and_calls_in_flight_finish() -> None:
    settings = ServerSettings.from_env(Env({"GRPC_MAX_CONNECTION_AGE_SECONDS": "1", "DRAIN_SECONDS": "0"}),
                                       "executor")
    runtime = ServiceRuntime(settings, ["demo.v1.Demo"])
    handlers = {"Peer": grpc.unary_unary_rpc_method_handler(peer),
                "SlowPeer": grpc.unary_unary_rpc_method_handler(slow_peer)}
    runtime.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("demo.v1.Demo", handlers),))
    port = await runtime.start("127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    try:
        first = await chan.unary_unary("/demo.v1.Demo/Peer")(b"", timeout=10)
        # Spans the connection's age (1 s, give or take the 10 % jitter gRPC adds): it must still finish.
        in_flight = await chan.unary_unary("/demo.v1.Demo/SlowPeer")(b"2.5", timeout=10)
        after = await chan.unary_unary("/demo.v1.Demo/Peer")(b"", timeout=10)
    finally:
        await chan.close()
        await runtime.stop(0, 0)
    assert in_flight == first, "the slow call ran on the connection it started on"
    assert after != first, f"the client kept its first connection past its age ({first!r})"
