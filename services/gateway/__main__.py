"""`python -m services.gateway`: HTTP for Dojo on HTTP_PORT, gRPC PoolService on GRPC_PORT, metrics on METRICS_PORT."""

from __future__ import annotations

import sys

from services.common.main import run
from services.common.server import ServiceRuntime
from services.common.settings import ServerSettings
from services.gateway.config import GatewayConfig
from services.gateway.server import build_gateway


async def build(config: GatewayConfig, _settings: ServerSettings) -> ServiceRuntime:
    """HTTP and gRPC on one event loop."""
    return await build_gateway(config)


def main() -> None:
    """Serves until SIGTERM or SIGINT (uvloop when installed: the gateway's hot path is I/O)."""
    sys.exit(run("gateway", GatewayConfig.from_env, build, fast_loop=True))


if __name__ == "__main__":
    main()
