"""A mesh for benchmarks: executor, iterator, gateway and one generator in this process over a private
redis-server, and the offline model server with a fixed simulated latency in its own — all on free loopback
ports, stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bench.httpload import wait_healthy
from bench.settings import executor_config
from services.cli.stack import free_port
from services.common.env import Env
from services.common.server import ServiceRuntime
from services.executor.server import Executor
from services.gateway.config import GatewayConfig
from services.gateway.server import build_gateway
from services.generator.config import GeneratorConfig
from services.generator.generator import Generator
from services.generator.server import build as build_generator
from services.iterator.config import IteratorConfig
from services.iterator.server import build as build_iterator


@dataclass
class Mesh:
    """Addresses of the running services and the generator object itself."""

    generator_address: str
    gateway_address: str
    generator: Generator


@contextlib.asynccontextmanager
async def redis_server() -> AsyncIterator[str]:
    """A throwaway redis-server on a free port."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir], stdout=subprocess.DEVNULL)
    await asyncio.sleep(0.3)
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.asynccontextmanager
async def offline_model(latency_ms: int) -> AsyncIterator[str]:
    """The offline model server with a fixed latency and no deliberately broken answers, in its own process.

    It stands in for a remote provider, whose work costs the mesh's event loop nothing: in this process its
    handlers queued behind the mesh's own work (LLM calls 2-4 ms longer on average in paired runs).
    """
    port = free_port()
    env = dict(os.environ, OFFLINE_LLM_HOST="127.0.0.1", OFFLINE_LLM_PORT=str(port), LOG_LEVEL="warning",
               OFFLINE_LLM_LATENCY_MS=str(latency_ms), OFFLINE_LLM_BROKEN_RATE="0")
    proc = subprocess.Popen([sys.executable, "-m", "services.offline_llm"], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy("the offline model server", url, proc)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.asynccontextmanager
async def mesh(latency_ms: int, settle_seconds: float) -> AsyncIterator[Mesh]:
    """Every service of the QAP path, in this process."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    runtimes: list[ServiceRuntime] = []
    async with redis_server() as redis_url, offline_model(latency_ms) as llm_url:
        executor = Executor(executor_config())
        await executor.start()
        try:
            runtimes.append(executor.runtime())
            executor_port = await runtimes[-1].start("127.0.0.1:0")
            common = {"EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{executor_port}", "OFFLINE_LLM_URL": llm_url,
                      "LLM_OFFLINE": "true", "REDIS_URL": redis_url, "DRAIN_SECONDS": "0"}
            runtimes.append(await build_iterator(IteratorConfig.from_env(common)))
            iterator_port = await runtimes[-1].start("127.0.0.1:0")
            runtimes.append(await build_gateway(GatewayConfig.from_env(Env({**common, "HTTP_PORT": "0",
                                                                            "HTTP_HOST": "127.0.0.1"}))))
            gateway_port = await runtimes[-1].start("127.0.0.1:0")
            config = GeneratorConfig.from_env({**common, "ITERATOR_SERVICE_ADDR": f"127.0.0.1:{iterator_port}",
                                               "GATEWAY_SERVICE_ADDR": f"127.0.0.1:{gateway_port}",
                                               "GENERATOR_REFILL": "false", "GENERATOR_DEDUPE_WINDOW": "0",
                                               "GENERATOR_SETTLE_SECONDS": str(settle_seconds)})
            runtime, generator = await build_generator(config)
            runtimes.append(runtime)
            generator_port = await runtime.start("127.0.0.1:0")
            yield Mesh(f"127.0.0.1:{generator_port}", f"127.0.0.1:{gateway_port}", generator)
        finally:
            for runtime in reversed(runtimes):
                await runtime.stop(0, 0)
            if not runtimes:
                await executor.close()
