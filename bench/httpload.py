"""A lean HTTP/1.1 keep-alive GET client for load generation on a small machine.

On 2 cores the load generator shares the CPU with the server under test and with Redis, so every microsecond it
spends per request is taken from the server and compresses the difference between targets. aiohttp spends
~150 µs per hand-out here; this client (asyncio streams on uvloop, one request in flight per connection, no
pipelining) spends a fraction of that. It understands exactly what both benchmarked servers send: a status
line, headers with Content-Length, and the body. Anything else raises, so a broken reply is never counted.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class ProtocolError(RuntimeError):
    """The server's reply is not a complete HTTP/1.1 response with a Content-Length."""


class Connection:
    """One keep-alive connection sending GET requests one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host

    @classmethod
    async def open(cls, url: str) -> Connection:
        """Connects to the server of `url` (http only)."""
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"only http:// URLs are supported: {url}")
        port = parts.port or 80
        reader, writer = await asyncio.open_connection(parts.hostname, port, limit=1 << 20)
        return cls(reader, writer, f"{parts.hostname}:{port}")

    async def get(self, path: str) -> tuple[int, bytes]:
        """(status, body) of one GET."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        try:
            status = int(status_line.split(b" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise ProtocolError(f"bad status line {status_line[:80]!r}") from exc
        length = -1
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
                break
        if length < 0:
            raise ProtocolError("reply without Content-Length")
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        """Closes the connection."""
        self.writer.close()
        await self.writer.wait_closed()
