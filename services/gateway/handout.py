"""GET /api/synthetic-gen: Dojo v1's hand-out, the hot path.

The reply is the v1 envelope around the exact stored bytes (validated, never re-serialised). The lease is
acknowledged only after the response went to the server's transport; a client that left before that gets
nothing and the QAP goes back to the head of the queue (see services.common.pool.handout for the rule).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.pool.errors import PoolUnavailable
from services.common.pool.handout import Claim, HandOuts
from services.gateway.state import GatewayState

log = logging.getLogger(__name__)

_SUCCESS_HEAD = b'{"success":true,"body":'
_SUCCESS_TAIL = b',"error":null}'
JSON = "application/json"
PATH = "/api/synthetic-gen"


def failure(error: str) -> Response:
    """The v1 failure envelope; HTTP 200 as upstream, because Dojo reads `success`, not the status."""
    return Response(orjson.dumps({"success": False, "body": {}, "error": error}), media_type=JSON)


def _poll(receive: Receive) -> Message | None:
    """The next ASGI message if one is ready right now, else None; never suspends.

    The awaitable is stepped once by hand: it either finishes at once (a message is pending) or stops at its
    first real suspension, which means nothing is pending; it is then closed, which unwinds its wait cleanly.
    """
    steps = receive().__await__()
    try:
        steps.send(None)
    except StopIteration as done:
        message: Message = done.value
        return message
    steps.close()
    return None


def client_gone(receive: Receive) -> bool:
    """True if the client has already disconnected (the first message of a GET is its empty body)."""
    for _ in range(2):
        message = _poll(receive)
        if message is None:
            return False
        if message["type"] == "http.disconnect":
            return True
    return False


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def until_gone_or_stopping(receive: Receive, stopping: asyncio.Event) -> Callable[[], Awaitable[object]]:
    """An interrupt for a blocked hand-out: the client disconnected or the gateway began shutting down."""
    async def wait() -> None:
        gone = asyncio.ensure_future(_disconnected(receive))
        stop = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait({gone, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            stop.cancel()
    return wait


class HandOutResponse(Response):
    """The success envelope; acknowledges the lease once sent, requeues the QAP if it could not be."""

    media_type = JSON

    def __init__(self, claim: Claim, handouts: HandOuts) -> None:
        super().__init__(_SUCCESS_HEAD + claim.raw + _SUCCESS_TAIL)
        self.claim = claim
        self.handouts = handouts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Checks the client is still there, sends, then acknowledges (or requeues)."""
        try:
            # Reading what the client sent may itself fail (a streamed body over the size limit raises here).
            gone = client_gone(receive)
        except BaseException:
            await self._requeue("request_failed")
            raise
        if gone:
            await self._requeue("client_left")
            return
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.body})
        except BaseException:
            await self._requeue("send_failed")
            raise
        self.handouts.ack_soon(self.claim)

    async def _requeue(self, reason: str) -> None:
        try:
            await self.handouts.requeue(self.claim, reason)
        except PoolUnavailable:
            log.error("could not requeue an unsent hand-out; its lease will expire into the dead-letter list",
                      extra={"lease": self.claim.lease, "reason": reason})


async def respond(state: GatewayState, scope: Scope, receive: Receive) -> Response:
    """A QAP claimed for this caller (blocking on an empty pool up to the wait), or the failure envelope."""
    if state.stopping.is_set():
        return failure("the gateway is shutting down; retry shortly")
    client = scope.get("client")
    caller = f"http:{client[0]}" if client else "http:unknown"
    try:
        claim = await state.handouts.take(caller, state.wait_seconds, until_gone_or_stopping(receive, state.stopping))
    except PoolUnavailable as exc:
        return failure(f"QAP pool unavailable: {exc}")
    if claim is None:
        if state.stopping.is_set():
            return failure("the gateway is shutting down; retry shortly")
        return failure(f"no QAP became available within {state.wait_seconds:g} seconds (the pool is empty); "
                       "retry later")
    return HandOutResponse(claim, state.handouts)


async def synthetic_gen(request: Request) -> Response:
    """Hands out one QAP (FastAPI's documented route; HotPath serves the same code without FastAPI)."""
    return await respond(request.app.state.gateway, request.scope, request.receive)


class HotPath:
    """Serves GET /api/synthetic-gen directly and passes every other request to `app`.

    FastAPI's per-request machinery (exception and exit-stack middleware, routing, dependency solving) costs more
    CPU than a whole hand-out; Dojo's hot path skips it. The middleware around this (CORS, key, size limit) still
    applies, and FastAPI keeps documenting the route in OpenAPI.
    """

    def __init__(self, app: ASGIApp, state: GatewayState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatches on method and path."""
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == PATH:
            response = await respond(self.state, scope, receive)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
