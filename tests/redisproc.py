"""A private redis-server for pool and gateway tests: free port, no persistence unless asked, killable.

Dojo's layout fixes the `synthetic:` prefix, so tests cannot share the machine's Redis under their own prefix;
each session runs its own server and tests flush it.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from services.cli.stack import dies_with_parent, free_port


class RedisProcess:
    """One redis-server on 127.0.0.1; `durable` turns on the append-only file with fsync on every write."""

    def __init__(self, port: int | None = None, workdir: Path | None = None, durable: bool = False) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.durable = durable
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.durable:
            assert self.workdir is not None
            argv += ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir)]
        else:
            argv += ["--appendonly", "no"]
        self.proc = subprocess.Popen(dies_with_parent(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: the server dies without saving or closing connections cleanly."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
