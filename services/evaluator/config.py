"""Evaluator configuration, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.common.env import Env
from services.common.settings import ServerSettings, peer_address

MIB = 1024 * 1024


@dataclass(frozen=True)
class EvaluatorConfig:
    """Everything the evaluator reads from its environment."""

    server: ServerSettings
    executor_addr: str
    iterator_addr: str
    # Where evaluations without an output_dir write (a new timestamped folder each), and where relative
    # output_dir values are resolved.
    results_dir: Path
    # Reference-runtime measurements, per dataset digest and executor fingerprint; empty disables the cache.
    cache_dir: Path | None
    # Jobs per ExecuteBatch call and a soft cap on its size (the executor refuses requests over its own limit).
    batch_jobs: int
    batch_bytes: int
    # ExecuteBatch calls in flight at once per evaluation.
    batch_concurrency: int
    batch_timeout_seconds: float
    # Evaluate calls running at once; more get RESOURCE_EXHAUSTED.
    max_evaluations: int
    # Generation mode: iterator runs (Solve calls) in flight at once, and each run's deadline.
    solve_concurrency: int
    solve_timeout_seconds: float
    # The limit under which reference solutions are timed.
    calibration_wall_seconds: float
    # The wall-clock backstop of a graded run is wall_factor × T + 1 s (T itself is enforced as CPU time).
    wall_factor: float
    psb2_random_tests: int

    @classmethod
    def from_env(cls, source: Mapping[str, str] | None = None) -> EvaluatorConfig:
        """Builds the config; raises ConfigError naming every bad variable."""
        env = Env(source)
        cache = env.text("EVALUATOR_CACHE_DIR", ".synthmesh/evaluator-cache")
        config = cls(
            server=ServerSettings.from_env(env, "evaluator"),
            executor_addr=peer_address(env, "executor"),
            iterator_addr=peer_address(env, "iterator"),
            results_dir=Path(env.text("EVALUATOR_RESULTS_DIR", "results")),
            cache_dir=Path(cache) if cache else None,
            batch_jobs=env.integer("EVALUATOR_BATCH_JOBS", 500, 1, 100_000),
            batch_bytes=env.integer("EVALUATOR_BATCH_MB", 12, 1, 1024) * MIB,
            batch_concurrency=env.integer("EVALUATOR_BATCH_CONCURRENCY", 2, 1, 64),
            batch_timeout_seconds=env.number("EVALUATOR_BATCH_TIMEOUT_SECONDS", 1800.0, 1.0, 86_400.0),
            max_evaluations=env.integer("EVALUATOR_MAX_EVALUATIONS", 2, 1, 64),
            solve_concurrency=env.integer("EVALUATOR_SOLVE_CONCURRENCY", 4, 1, 256),
            solve_timeout_seconds=env.number("EVALUATOR_SOLVE_TIMEOUT_SECONDS", 1800.0, 1.0, 86_400.0),
            calibration_wall_seconds=env.number("EVALUATOR_CALIBRATION_WALL_SECONDS", 30.0, 0.1, 3600.0),
            wall_factor=env.number("EVALUATOR_WALL_FACTOR", 3.0, 1.0, 100.0),
            psb2_random_tests=env.integer("EVALUATOR_PSB2_RANDOM_TESTS", 2000, 1, 1_000_000),
        )
        env.check()
        return config
