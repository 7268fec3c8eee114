"""One verification round of the generator, taken apart: N corpus pages checked at once, load and interaction timed.

The generator verifies the answers of a QAP as one batch of browser jobs; this runs such batches against a real
executor (its default browsers and warm pages) and prints the batch's wall time against its settle waits, with the mean
and worst page load (`page.goto` until the load event) and auto-interaction, measured by wrapping those two
calls in this process.

    .venv/bin/python -m bench.verify_round --pages 4 --rounds 6 --settle 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page

from bench.settings import executor_config
from services.common.clients import channel
from services.executor.browser import page_job
from services.executor.server import Executor
from services.offline_llm.corpus import ENTRIES
from services.offline_llm.corpus.model import Variant
from services.offline_llm.corpus.template import page as corpus_page
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

PHASES: dict[str, list[float]] = {"load": [], "interaction": []}


def timed(name: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        try:
            return await call(*args, **kwargs)
        finally:
            PHASES[name].append(time.monotonic() - start)
    return wrapper


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--settle", type=float, default=0.5)
    args = parser.parse_args()
    page_job.interact = timed("interaction", page_job.interact)  # type: ignore[assignment]
    Page.goto = timed("load", Page.goto)  # type: ignore[method-assign, assignment]
    executor = Executor(executor_config())
    await executor.start()
    runtime = executor.runtime()
    stub = executor_pb2_grpc.ExecutorServiceStub(channel(f"127.0.0.1:{await runtime.start('127.0.0.1:0')}"))
    options = pb.BrowserOptions(auto_interact=True, settle_seconds=args.settle)
    walls = []
    for r in range(args.rounds + 1):  # round 0 warms the pages up and is not counted
        html = [corpus_page(ENTRIES[(r * args.pages + i) % len(ENTRIES)], Variant()) for i in range(args.pages)]
        batch = pb.ExecuteBatchRequest(jobs=[pb.ExecuteRequest(
            language=pb.LANGUAGE_HTML, files=[pb.File(path="index.html", content=h)], browser=options,
            limits=pb.Limits(wall_seconds=20)) for h in html])
        if r == 0:
            async for _ in stub.ExecuteBatch(batch, timeout=60):
                pass
            for values in PHASES.values():
                values.clear()
            continue
        start = time.monotonic()
        async for _ in stub.ExecuteBatch(batch, timeout=60):
            pass
        walls.append(time.monotonic() - start)
    print(f"{args.pages} pages at once, settle {args.settle} s: round {statistics.mean(walls) * 1000:.0f} ms "
          f"(settle waits {2 * args.settle * 1000:.0f} ms); " + ", ".join(
              f"{name} mean {statistics.mean(v) * 1000:.0f} ms, max {max(v) * 1000:.0f} ms"
              for name, v in PHASES.items()))
    await runtime.stop(0, 0)


if __name__ == "__main__":
    asyncio.run(main())
