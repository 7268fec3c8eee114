"""Pure-ASGI middleware: optional API key, request-body limit and CORS, plus the JSON error shape they share.

Pure ASGI (not Starlette's BaseHTTPMiddleware) keeps the hot path to one function call per layer and leaves the
`receive` channel intact, which the hand-out endpoint watches to notice a client that left.
"""

from __future__ import annotations

import hmac

import orjson
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_KEY_HEADER = b"x-api-key"
# Liveness and scraping must work without the key: Docker's healthcheck and Prometheus do not send one.
OPEN_PATHS = ("/health", "/metrics")


def error_body(message: str) -> bytes:
    """The JSON every gateway 4xx carries: `success: false` parses as a failure in every Dojo client."""
    return orjson.dumps({"success": False, "error": message})


async def send_error(send: Send, status: int, message: str) -> None:
    """Sends a complete JSON error response."""
    body = error_body(message)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _body_headers(scope: Scope) -> tuple[bytes | None, bool]:
    """(Content-Length value or None, whether Transfer-Encoding is present), in one pass over the headers."""
    declared, chunked = None, False
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            declared = bytes(value)
        elif key == b"transfer-encoding":
            chunked = True
    return declared, chunked


class ApiKeyMiddleware:
    """Requires `X-API-Key: <key>` on every path but /health and /metrics; a no-op when the key is empty."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Passes authorised requests on; answers 401 otherwise."""
        if scope["type"] != "http" or not self.key or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        provided = _header(scope, API_KEY_HEADER) or b""
        if not hmac.compare_digest(provided, self.key):
            await send_error(send, 401, "missing or invalid API key (header X-API-Key)")
            return
        await self.app(scope, receive, send)


class _TooLarge(HTTPException):
    """A streamed body went over the limit; an HTTPException so that FastAPI's handler answers it as JSON 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimitMiddleware:
    """Answers 413 to a request body over `limit` bytes, whether declared (Content-Length) or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Checks the declared length up front and counts streamed bytes as the app reads them."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _body_headers(scope)
        if declared is None and not chunked:
            # No length and no chunking: HTTP/1.1 says there is no body, so there is nothing to count.
            await self.app(scope, receive, send)
            return
        if declared is not None:
            if not declared.isdigit():
                await send_error(send, 400, "invalid Content-Length header")
                return
            if int(declared) > self.limit:
                await send_error(send, 413, f"request body larger than {self.limit} bytes")
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await send_error(send, 413, f"request body larger than {self.limit} bytes")


class CorsMiddleware:
    """Starlette's CORS, skipped for requests that carry no Origin header while every origin is allowed.

    Dojo's validators call server to server, without Origin; with `*` the allow-origin header never varies, so
    there is nothing for CORS to add, and Starlette's wrapper would cost each hand-out a header rewrite.
    """

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.app = app
        self.allow_all = "*" in origins
        self.cors = CORSMiddleware(app, allow_origins=list(origins), allow_methods=["*"], allow_headers=["*"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Applies CORS where it can matter."""
        if self.allow_all and scope["type"] == "http" and _header(scope, b"origin") is None:
            await self.app(scope, receive, send)
            return
        await self.cors(scope, receive, send)
