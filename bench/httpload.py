"""A lean HTTP/1.1 keep-alive GET client for load generation on a small machine.

On 2 cores the load generator shares the CPU with the server under test and with Redis, so every microsecond it
spends per request is taken from the server and compresses the difference between targets. aiohttp spends
~150 µs per hand-out here; this client (asyncio streams on uvloop, one request in flight per connection, no
pipelining) spends a fraction of that. It understands exactly what both benchmarked servers send: a status
line, headers with Content-Length, and the body. Anything else raises, so a broken reply is never counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from urllib.parse import urlsplit

import httpx


class ProtocolError(RuntimeError):
    """The server's reply is not a complete HTTP/1.1 response with a Content-Length."""


class Connection:
    """One keep-alive connection sending GET requests one at a time."""

    def __init__(self, hostname: str, port: int, timeout: float) -> None:
        self.hostname = hostname
        self.port = port
        self.host = f"{hostname}:{port}"
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    @classmethod
    async def open(cls, url: str, timeout: float = 30.0) -> Connection:
        """Connects to the server of `url` (http only)."""
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"only http:// URLs are supported: {url}")
        conn = cls(parts.hostname, parts.port or 80, timeout)
        await conn._connect()
        return conn

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.hostname, self.port, limit=1 << 20)

    async def get(self, path: str) -> tuple[int, bytes]:
        """(status, body) of one GET; reconnects once if the server had closed the idle connection."""
        # asyncio.timeout, not wait_for: wait_for wraps each call in a task, which doubled this client's CPU.
        try:
            async with asyncio.timeout(self.timeout):
                return await self._get(path)
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                raise ProtocolError("the server closed the connection mid-reply") from exc
            await self.close()
            await self._connect()
            async with asyncio.timeout(self.timeout):
                return await self._get(path)

    async def _get(self, path: str) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        try:
            status = int(status_line.split(b" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise ProtocolError(f"bad status line {status_line[:80]!r}") from exc
        length, closing = -1, False
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                closing = b"close" in value.lower()
        if length < 0:
            raise ProtocolError("reply without Content-Length")
        body = await self.reader.readexactly(length)
        if closing:
            await self.close()
            await self._connect()
        return status, body

    async def close(self) -> None:
        """Closes the connection."""
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def wait_healthy(name: str, url: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Polls `url`/health until it answers 200; raises if `proc` exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/health", timeout=0.5)).status_code == 200:
                    return
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}")
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{name} did not become healthy in {timeout:g} s")
