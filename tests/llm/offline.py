"""Helpers for the LLM tests: a handle on the offline server and adapters pointed at it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from services.common.env import Env
from services.common.llm import LlmClient
from services.common.llm_config import LlmConfig


@dataclass
class OfflineServer:
    """A running offline server and a small admin client for it."""

    base: str
    http: httpx.Client

    @property
    def api(self) -> str:
        return f"{self.base}/v1"

    def admin(self, path: str, body: Any = None) -> Any:
        response = self.http.post(f"{self.base}/admin/{path}", json=body) if body is not None else \
            self.http.get(f"{self.base}/admin/{path}")
        response.raise_for_status()
        return response.json()

    def fault(self, kind: str, count: int | None = 1, **extra: Any) -> None:
        self.admin("faults", {"kind": kind, "count": count, **extra})

    def requests(self) -> list[dict[str, Any]]:
        return list(self.admin("requests")["requests"])


def make_client(server: OfflineServer, **env: str) -> LlmClient:
    """An adapter whose every role is the offline server, with fast retries for tests."""
    values = {"OFFLINE_LLM_URL": server.api, "LLM_RETRY_BASE_SECONDS": "0.01", "LLM_RETRY_MAX_SECONDS": "0.05",
              "LLM_MAX_RETRIES": "2", **env}
    source = Env(values)
    config = LlmConfig.from_env(source)
    source.check()
    return LlmClient(config)



def step_messages(header: str, user: str) -> list[dict[str, str]]:
    """A system message starting with the step header, and the user message."""
    return [{"role": "system", "content": f"{header}\nYou are an expert assistant."},
            {"role": "user", "content": user}]
