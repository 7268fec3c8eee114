"""Iterator configuration, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.common.env import Env
from services.common.llm_config import LlmConfig
from services.common.settings import ServerSettings, peer_address


@dataclass(frozen=True)
class IteratorConfig:
    """Server settings, the executor's address, the LLM configuration and the default budget."""

    server: ServerSettings
    executor_address: str
    llm: LlmConfig
    max_llm_calls: int
    max_tokens: int
    max_wall_seconds: float
    max_programs: int
    max_concurrent_runs: int

    @classmethod
    def from_env(cls, source: Mapping[str, str] | None = None) -> IteratorConfig:
        """Builds the config; raises ConfigError naming every bad variable."""
        env = Env(source)
        config = cls(
            server=ServerSettings.from_env(env, "iterator"),
            executor_address=peer_address(env, "executor"),
            llm=LlmConfig.from_env(env),
            max_llm_calls=env.integer("ITERATOR_MAX_LLM_CALLS", 50, 1, 100_000),
            max_tokens=env.integer("ITERATOR_MAX_TOKENS", 400_000, 1, 10**9),
            max_wall_seconds=env.number("ITERATOR_MAX_WALL_SECONDS", 600.0, 1.0, 86_400.0),
            max_programs=env.integer("ITERATOR_MAX_PROGRAMS", 100, 1, 100_000),
            max_concurrent_runs=env.integer("ITERATOR_MAX_CONCURRENT_RUNS", 16, 1, 10_000),
        )
        env.check()
        return config
