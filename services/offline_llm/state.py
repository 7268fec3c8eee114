"""Mutable server state behind the admin endpoints: scripts, the request log and runtime settings.

Tests drive the server from another thread or process, so every structure here takes a lock.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any

from services.offline_llm.config import OfflineConfig
from services.offline_llm.faults import FaultBook

SCRIPT_PREFIX = "synthmesh-script-"


@dataclass(frozen=True)
class ScriptedReply:
    """One scripted turn: text and finish reason, or a fault (an HTTP status or `delay`) to answer with."""

    content: str = ""
    finish_reason: str = "stop"
    fault: str | None = None
    seconds: float = 0.0


class Scripts:
    """Named lists of replies, handed out in order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: dict[str, list[ScriptedReply]] = {}
        self._served: dict[str, int] = {}

    def register(self, name: str, replies: list[ScriptedReply], *, append: bool = False) -> None:
        """Sets (or extends) the script `name`; a new registration restarts it from its first reply."""
        with self._lock:
            if append and name in self._replies:
                self._replies[name].extend(replies)
            else:
                self._replies[name] = list(replies)
                self._served[name] = 0

    def next(self, name: str) -> ScriptedReply | None:
        """The script's next reply, or None when the script is unknown or exhausted."""
        with self._lock:
            replies = self._replies.get(name)
            served = self._served.get(name, 0)
            if replies is None or served >= len(replies):
                return None
            self._served[name] = served + 1
            return replies[served]

    def status(self) -> dict[str, dict[str, int]]:
        """Per script: how many replies it has and how many were served."""
        with self._lock:
            return {n: {"replies": len(r), "served": self._served.get(n, 0)} for n, r in self._replies.items()}

    def reset(self) -> None:
        """Forgets every script."""
        with self._lock:
            self._replies.clear()
            self._served.clear()


def script_name(model: str, params: dict[str, str]) -> str | None:
    """The script a request asks for: model `synthmesh-script-<name>` or a `script=<name>` header parameter."""
    if model.startswith(SCRIPT_PREFIX):
        return model.removeprefix(SCRIPT_PREFIX)
    return params.get("script") or None


class RequestLog:
    """The most recent request payloads, newest last (thread-safe)."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=size)
        self._count = 0

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Stores an entry, stamping it with a sequence number and time; returns it for later updates."""
        with self._lock:
            self._count += 1
            entry = {"seq": self._count, "received_at": time.time(), **entry}
            self._entries.append(entry)
            return entry

    def recent(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Up to `limit` entries, oldest first."""
        with self._lock:
            entries = list(self._entries)
        return entries[-limit:] if limit else entries

    @property
    def total(self) -> int:
        """Requests received since start or the last reset."""
        return self._count

    def reset(self) -> None:
        """Forgets every entry and restarts the count."""
        with self._lock:
            self._entries.clear()
            self._count = 0


class ServerState:
    """Everything an admin call can change, plus the settings it started with."""

    def __init__(self, config: OfflineConfig) -> None:
        self.config = config
        self.faults = FaultBook()
        self.scripts = Scripts()
        self.requests = RequestLog(config.request_log_size)
        self.latency_ms = config.latency_ms
        self.broken_rate = config.broken_rate

    def reset(self) -> None:
        """Back to the start-up state: no faults, scripts or logged requests; configured latency and rate."""
        self.faults.reset()
        self.scripts.reset()
        self.requests.reset()
        self.latency_ms = self.config.latency_ms
        self.broken_rate = self.config.broken_rate
