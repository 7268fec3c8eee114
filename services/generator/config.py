"""Generator configuration, read once from the environment."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.env import Env
from services.common.llm_config import LlmConfig
from services.common.redis_conn import RedisConfig
from services.common.settings import ServerSettings, peer_address

TOPICS = ("ANIMATION", "SCIENCE", "GAMES")


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything the generator reads from its environment."""

    server: ServerSettings
    redis: RedisConfig
    llm: LlmConfig
    executor_address: str
    iterator_address: str
    gateway_address: str
    target_v1: int
    target_v2: int
    workers: int
    refill: bool
    topic_weights: tuple[float, float, float]
    repair_attempts: int
    repair_budget_calls: int
    settle_seconds: float
    qap_deadline_seconds: float
    dedupe_threshold: float
    dedupe_window: int
    lease_seconds: float
    fatal_pause_seconds: float
    replica_id: str

    @classmethod
    def from_env(cls, source: Mapping[str, str] | None = None) -> GeneratorConfig:
        """Builds the config; raises ConfigError naming every bad variable."""
        env = Env(source)
        weights = []
        for topic, default in zip(TOPICS, (0.45, 0.30, 0.25), strict=True):
            weights.append(env.number(f"GENERATOR_WEIGHT_{topic}", default, 0.0, 1000.0))
        if sum(weights) <= 0:
            env.problems.append("GENERATOR_WEIGHT_*: at least one topic needs a positive weight")
        config = cls(
            server=ServerSettings.from_env(env, "generator"),
            redis=RedisConfig.from_env(env),
            llm=LlmConfig.from_env(env),
            executor_address=peer_address(env, "executor"),
            iterator_address=peer_address(env, "iterator"),
            gateway_address=peer_address(env, "gateway"),
            target_v1=env.integer("GENERATOR_TARGET_V1", 8, 0, 100_000),
            target_v2=env.integer("GENERATOR_TARGET_V2", 0, 0, 100_000),
            workers=env.integer("GENERATOR_WORKERS", 2, 1, 256),
            refill=env.flag("GENERATOR_REFILL", True),
            topic_weights=(weights[0], weights[1], weights[2]),
            repair_attempts=env.integer("GENERATOR_REPAIR_ATTEMPTS", 2, 0, 20),
            repair_budget_calls=env.integer("GENERATOR_REPAIR_LLM_CALLS", 4, 1, 100),
            settle_seconds=env.number("GENERATOR_SETTLE_SECONDS", 0.5, 0.0, 30.0),
            qap_deadline_seconds=env.number("GENERATOR_QAP_DEADLINE_SECONDS", 1800.0, 10.0, 86_400.0),
            dedupe_threshold=env.number("GENERATOR_DEDUPE_THRESHOLD", 0.92, 0.0, 1.0),
            dedupe_window=env.integer("GENERATOR_DEDUPE_WINDOW", 500, 0, 100_000),
            lease_seconds=env.number("GENERATOR_LEASE_SECONDS", 120.0, 5.0, 86_400.0),
            fatal_pause_seconds=env.number("GENERATOR_FATAL_PAUSE_SECONDS", 300.0, 0.0, 86_400.0),
            replica_id=env.text("GENERATOR_REPLICA_ID", f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"),
        )
        env.check()
        return config
