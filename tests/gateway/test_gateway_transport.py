"""A response's writes leave together: the coalescing transport alone, under uvicorn's protocol, over a real socket."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from services.gateway.server import HttpServer
from services.gateway.transport import CoalescingHttpToolsProtocol, CoalescingTransport


class RecordingTransport(asyncio.Transport):
    """A transport that records what reaches it, call by call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.calls.append(("write", bytes(data)))

    def writelines(self, list_of_data: Any) -> None:
        self.calls.append(("writelines", b"".join(bytes(d) for d in list_of_data)))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 5003)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def next_step() -> None:
    await asyncio.sleep(0)


async def test_writes_of_one_step_reach_the_transport_as_one_call_in_order() -> None:
    real = RecordingTransport()
    wrapped = CoalescingTransport(real, asyncio.get_running_loop())
    wrapped.write(b"HTTP/1.1 200 OK\r\n\r\n")
    wrapped.write(b"body")
    assert real.calls == []
    await next_step()
    assert real.calls == [("writelines", b"HTTP/1.1 200 OK\r\n\r\nbody")]
    wrapped.write(b"next")
    await next_step()
    assert real.calls[1:] == [("writelines", b"next")]


async def test_close_sends_what_is_queued_first_and_later_writes_are_dropped() -> None:
    real = RecordingTransport()
    wrapped = CoalescingTransport(real, asyncio.get_running_loop())
    wrapped.write(b"last words")
    wrapped.close()
    assert real.calls == [("writelines", b"last words"), ("close", b"")]
    wrapped.write(b"too late")
    await next_step()
    assert real.calls[2:] == []
    assert wrapped.is_closing()


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    body = b"x" * 5000
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def test_uvicorns_response_head_and_body_leave_in_one_call() -> None:
    loop = asyncio.get_running_loop()
    config = Config(hello, lifespan="off", log_config=None, access_log=False, server_header=False)
    protocol = CoalescingHttpToolsProtocol(config, ServerState(), {}, loop)
    real = RecordingTransport()
    protocol.connection_made(real)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: gateway\r\n\r\n")
    for _ in range(20):
        if real.calls:
            break
        await next_step()
    [(kind, sent)] = real.calls
    assert kind == "writelines"
    head, _, body = sent.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"content-length: 5000" in head.lower()
    assert body == b"x" * 5000
    protocol.connection_lost(None)


async def chunks(scope: Scope, receive: Receive, send: Send) -> None:
    """Four 1 MiB chunks, more than a socket buffer holds: uvicorn's flow control must still pace them."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for index in range(4):
        await send({"type": "http.response.body", "body": bytes([65 + index]) * (1 << 20), "more_body": index < 3})


async def test_a_large_streamed_response_arrives_whole_over_a_real_socket() -> None:
    server = HttpServer(chunks, "127.0.0.1", 0, grace=1)
    port = await server.start()
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(2):  # twice on one keep-alive connection
                reply = await client.get(f"http://127.0.0.1:{port}/", timeout=10)
                assert reply.status_code == 200
                assert reply.content == b"".join(bytes([65 + i]) * (1 << 20) for i in range(4))
    finally:
        await server.stop()
