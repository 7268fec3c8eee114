"""Configuration of the offline model server, read once from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.env import Env
from services.common.settings import DEFAULT_PORTS


@dataclass(frozen=True)
class OfflineConfig:
    """Where the server listens and how it behaves by default (admin calls can change the last two)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORTS["llm"][0]
    # Simulated model latency per request, for benchmarks that need a realistic LLM wait.
    latency_ms: int = 0
    # Fraction of answer-producing replies (answer, augment_answer) that are deliberately broken pages, so the
    # executor and the repair loop have real work; chosen deterministically from the request and its seed.
    broken_rate: float = 0.3
    log_level: str = "info"
    # Request payloads kept for GET /admin/requests.
    request_log_size: int = 200

    @classmethod
    def from_env(cls, env: Env) -> OfflineConfig:
        """Reads OFFLINE_LLM_HOST, OFFLINE_LLM_PORT, OFFLINE_LLM_LATENCY_MS, OFFLINE_LLM_BROKEN_RATE, LOG_LEVEL."""
        return cls(
            # Loopback by default: the server has no authentication and is meant for this machine or pod only.
            host=env.text("OFFLINE_LLM_HOST", "127.0.0.1"),
            port=env.port("OFFLINE_LLM_PORT", DEFAULT_PORTS["llm"][0]),
            latency_ms=env.integer("OFFLINE_LLM_LATENCY_MS", 0, 0, 600_000),
            broken_rate=env.number("OFFLINE_LLM_BROKEN_RATE", 0.3, 0.0, 1.0),
            log_level=env.text("LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
            request_log_size=env.integer("OFFLINE_LLM_REQUEST_LOG", 200, 1, 100_000),
        )
