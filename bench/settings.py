"""Settings the benchmarks share."""

from __future__ import annotations

import os

from services.executor.config import ExecutorConfig


def executor_config() -> ExecutorConfig:
    """The benchmarks' executor: a slot per core and no drain at shutdown, then every `EXECUTOR_*` variable of the
    environment on top, so that a run can try another setting (`EXECUTOR_BROWSER_PAGES=24 python -m bench.executor`).
    """
    env = {"EXECUTOR_SLOTS": str(os.cpu_count() or 1), "DRAIN_SECONDS": "0"}
    env.update((name, value) for name, value in os.environ.items() if name.startswith("EXECUTOR_"))
    return ExecutorConfig.from_env(env)
