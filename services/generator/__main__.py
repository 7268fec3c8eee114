"""`python -m services.generator`: keep the pool full and serve GenerateQap until SIGTERM."""

from __future__ import annotations

import sys

from services.common.main import run
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings
from services.generator.config import GeneratorConfig
from services.generator.server import build


async def build_runtime(config: GeneratorConfig, settings: ServerSettings) -> ServiceRuntime:
    """The generator's runtime (its refill loop starts with it)."""
    runtime, _ = await build(config, settings)
    return runtime


if __name__ == "__main__":
    sys.exit(run("generator", GeneratorConfig.from_env, build_runtime))
