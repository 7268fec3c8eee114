"""`python -m services.executor`: start the sandbox, then serve gRPC until SIGTERM.

Exit code 3 (with the reason logged) when the host cannot isolate jobs and EXECUTOR_SANDBOX=none was not chosen.
"""

from __future__ import annotations

import sys

from services.common.main import run
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings
from services.executor.config import ExecutorConfig
from services.executor.sandbox.pool import SandboxUnavailable
from services.executor.server import Executor


async def build(config: ExecutorConfig, _settings: ServerSettings) -> ServiceRuntime:
    """Workers and browsers first, so that they exist before any gRPC server object does."""
    executor = Executor(config)
    await executor.start()
    return executor.runtime()


if __name__ == "__main__":
    sys.exit(run("executor", ExecutorConfig.from_env, build, refuse=(SandboxUnavailable,)))
