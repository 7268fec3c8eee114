"""Runs the offline model server: `python -m services.offline_llm` (OFFLINE_LLM_HOST, OFFLINE_LLM_PORT)."""

from __future__ import annotations

import logging
import sys

import uvicorn

from services.common.env import ConfigError, Env
from services.common.logs import setup_logging
from services.offline_llm.app import create_app
from services.offline_llm.config import OfflineConfig


def main() -> int:
    """Reads the configuration, then serves until SIGINT/SIGTERM (uvicorn handles both)."""
    env = Env()
    config = OfflineConfig.from_env(env)
    try:
        env.check()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging("offline_llm", config.log_level)
    logging.getLogger("services.offline_llm").info(
        "offline model server starting",
        extra={"host": config.host, "port": config.port, "offline": True, "broken_rate": config.broken_rate,
               "latency_ms": config.latency_ms},
    )
    # uvicorn's own access log would repeat every request in plain text next to our JSON lines.
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
