"""Executor configuration, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.env import Env
from services.common.settings import ServerSettings
from services.executor.sandbox.pool import PoolSettings

MIB = 1024 * 1024
# Debian's build of Chromium's headless shell (package chromium-headless-shell, from the same source and version
# as package chromium). Without the full browser's UI layer it spends about half the CPU per page load and per
# DevTools call (bench/floors.py; README, "Benchmarks"), which is what HTML jobs are bound by.
DEFAULT_CHROMIUM = "/usr/bin/chromium-headless-shell"
# Cores per browser by default. Pages of one browser share its browser and GPU processes, which do per-frame work
# for every page: on 2 cores one browser with 16 pages did 12.3-12.9 benchmark pages/s at 138-155 ms of CPU per
# page, two browsers with 8 pages each 9.2-9.3 pages/s at 193-195 ms (24 pages in one browser began to miss
# frame-dependent bugs).
BROWSER_CORES = 4


@dataclass(frozen=True)
class LimitSet:
    """A full set of run limits (defaults or ceilings)."""

    wall_seconds: float
    cpu_seconds: float
    memory_bytes: int
    output_bytes: int
    max_processes: int


@dataclass(frozen=True)
class ExecutorConfig:
    """Everything the executor reads from its environment."""

    server: ServerSettings
    pool: PoolSettings
    defaults: LimitSet
    ceilings: LimitSet
    max_request_bytes: int
    max_batch_jobs: int
    max_queue: int
    browser_slots: int
    browser_pages: int
    browser_uid: int
    browser_memory_bytes: int
    chromium: str
    docker_image: str
    docker_url: str

    @classmethod
    def from_env(cls, source: Mapping[str, str] | None = None) -> ExecutorConfig:
        """Builds the config; raises ConfigError naming every bad variable."""
        env = Env(source)
        cores = os.cpu_count() or 1
        slots = env.integer("EXECUTOR_SLOTS", cores, 1, 256)
        pool = PoolSettings(
            mode=env.text("EXECUTOR_SANDBOX", "bwrap", ("bwrap", "docker", "none")),
            slots=slots,
            uid_base=env.integer("EXECUTOR_UID_BASE", 61000, 1000, 2**31 - 300),
            recycle_after=env.integer("EXECUTOR_RECYCLE_AFTER", 1000, 1, 10**7),
            python=env.text("EXECUTOR_PYTHON", "/usr/bin/python3"),
            node=env.text("EXECUTOR_NODE", "/usr/bin/node"),
            bwrap=env.text("EXECUTOR_BWRAP", "/usr/bin/bwrap"),
            tmpfs_bytes=env.integer("EXECUTOR_TMPFS_MB", 64, 1, 4096) * MIB,
        )
        ceilings = LimitSet(
            wall_seconds=env.number("EXECUTOR_MAX_WALL_SECONDS", 120.0, 0.1, 3600),
            cpu_seconds=env.number("EXECUTOR_MAX_CPU_SECONDS", 120.0, 0.1, 3600),
            memory_bytes=env.integer("EXECUTOR_MAX_MEMORY_MB", 4096, 16, 1 << 20) * MIB,
            output_bytes=env.integer("EXECUTOR_MAX_OUTPUT_MB", 64, 1, 4096) * MIB,
            max_processes=env.integer("EXECUTOR_MAX_PROCESSES_CEILING", 512, 1, 65536),
        )
        defaults = LimitSet(
            wall_seconds=env.number("EXECUTOR_WALL_SECONDS", 10.0, 0.1, 3600),
            cpu_seconds=env.number("EXECUTOR_CPU_SECONDS", 10.0, 0.1, 3600),
            memory_bytes=env.integer("EXECUTOR_MEMORY_MB", 512, 16, 1 << 20) * MIB,
            output_bytes=env.integer("EXECUTOR_OUTPUT_KB", 1024, 1, 1 << 22) * 1024,
            max_processes=env.integer("EXECUTOR_MAX_PROCESSES", 64, 1, 65536),
        )
        config = cls(
            server=ServerSettings.from_env(env, "executor"),
            pool=pool,
            defaults=defaults,
            ceilings=ceilings,
            max_request_bytes=env.integer("EXECUTOR_MAX_REQUEST_MB", 16, 1, 1024) * MIB,
            max_batch_jobs=env.integer("EXECUTOR_MAX_BATCH_JOBS", 2000, 1, 10**6),
            max_queue=env.integer("EXECUTOR_MAX_QUEUE", 10000, 1, 10**7),
            browser_slots=env.integer("EXECUTOR_BROWSER_SLOTS", max(1, slots // BROWSER_CORES), 0, 64),
            browser_pages=env.integer("EXECUTOR_BROWSER_PAGES", 16, 1, 64),
            browser_uid=env.integer("EXECUTOR_BROWSER_UID", 60999, 1000, 2**31 - 1),
            browser_memory_bytes=env.integer("EXECUTOR_BROWSER_MEMORY_MB", 4096, 256, 1 << 20) * MIB,
            chromium=env.text("EXECUTOR_CHROMIUM", DEFAULT_CHROMIUM),
            docker_image=env.text("EXECUTOR_DOCKER_IMAGE", "synthmesh-sandbox:latest"),
            docker_url=env.text("EXECUTOR_DOCKER_URL", ""),
        )
        for field in ("wall_seconds", "cpu_seconds", "memory_bytes", "output_bytes", "max_processes"):
            if getattr(defaults, field) > getattr(ceilings, field):
                env.problems.append(f"default {field} exceeds its ceiling")
        env.check()
        return config
