"""`python -m services.evaluator`: serve the EvaluatorService until SIGTERM."""

from __future__ import annotations

import sys

from services.common.main import run
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings
from services.evaluator.config import EvaluatorConfig
from services.evaluator.server import build_runtime


async def build(config: EvaluatorConfig, _settings: ServerSettings) -> ServiceRuntime:
    """The evaluator's runtime."""
    return build_runtime(config)


if __name__ == "__main__":
    sys.exit(run("evaluator", EvaluatorConfig.from_env, build))
