"""Generator throughput and mesh overhead, with the offline model at a fixed simulated latency.

Every LLM call waits `--latency-ms`, and every page verification waits the configured settle time twice (after
load, after interaction). Those waits are the work a real deployment cannot avoid; the ideal time of a QAP is
the waits on its critical path:

    CHANGE_QUESTIONS: question → 3 rewrites (parallel) → 4 answers (parallel) → 1 verification round
    CHANGE_ANSWERS:   question → base answer → 1 verification round → 3 rewrites (parallel) → 1 round

Mesh overhead per QAP = measured time − ideal time: everything synthmesh adds (gRPC hops, JSON, merging,
browser start-up of the page, interaction, the pool push). With `--parallel P` QAPs at once the ideal rate is
P / ideal time; QAPs/min is printed against it. For the QAPs run one at a time it also prints how much longer
than its simulated wait each kind of hop took on average (LLM calls by role, page jobs), from the services'
own metrics, and the same for the QAPs run in parallel.

    .venv/bin/python -m bench.generator --latency-ms 500 --count 6 --parallel 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from prometheus_client import REGISTRY

from bench.stack import mesh
from services.common.clients import channel
from synthmesh.generator.v1 import generator_pb2 as pb
from synthmesh.generator.v1 import generator_pb2_grpc

ROUNDS = {pb.AUGMENT_TYPE_CHANGE_QUESTIONS: (3, 1), pb.AUGMENT_TYPE_CHANGE_ANSWERS: (3, 2)}
NAMES = {pb.AUGMENT_TYPE_CHANGE_QUESTIONS: "CHANGE_QUESTIONS", pb.AUGMENT_TYPE_CHANGE_ANSWERS: "CHANGE_ANSWERS"}


def ideal(augment: pb.AugmentType.ValueType, latency: float, settle: float) -> float:
    llm_rounds, verify_rounds = ROUNDS[augment]
    return llm_rounds * latency + verify_rounds * 2 * settle


async def one(stub: generator_pb2_grpc.GeneratorServiceAsyncStub, augment: pb.AugmentType.ValueType, seed: int,
              stages: dict[str, list[float]] | None = None) -> tuple[float, int]:
    """One pushed QAP: (seconds, LLM calls); adds the pipeline's own stage timings to `stages`."""
    start = time.perf_counter()
    reply = await stub.GenerateQap(pb.GenerateQapRequest(augment_type=augment, seed=seed, push=True), timeout=600)
    assert reply.outcome == pb.OUTCOME_GENERATED and reply.pushed, reply.message
    if stages is not None:
        for timing in reply.timings:
            stages.setdefault(timing.stage, []).append(timing.seconds)
    return time.perf_counter() - start, reply.llm_calls


def hop_totals() -> dict[str, tuple[float, float]]:
    """(seconds, count) so far of every LLM call by role and of every page job, from this process's metrics."""
    totals: dict[str, tuple[float, float]] = {}
    for metric in REGISTRY.collect():
        if metric.name not in ("synthmesh_llm_request_seconds", "synthmesh_executor_run_seconds"):
            continue
        for sample in metric.samples:
            name = sample.labels.get("role") or sample.labels.get("language", "")
            if sample.name.endswith(("_sum", "_count")) and name in ("question", "augment", "answer", "html"):
                key = "page job" if name == "html" else f"LLM {name} call"
                seconds, count = totals.get(key, (0.0, 0.0))
                totals[key] = (seconds + sample.value, count) if sample.name.endswith("_sum") else \
                    (seconds, count + sample.value)
    return totals


def hops(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]], latency: float,
         settle_waits: float) -> str:
    """Each kind of hop's mean time beyond its simulated wait, between two `hop_totals()`."""
    parts = []
    for key, (seconds, count) in sorted(after.items()):
        seconds -= before.get(key, (0.0, 0.0))[0]
        count -= before.get(key, (0.0, 0.0))[1]
        if count:
            wait = settle_waits if key == "page job" else latency
            parts.append(f"{key} +{(seconds / count - wait) * 1000:.0f} ms (×{count:.0f})")
    return "beyond the simulated waits, mean: " + ", ".join(parts)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--settle", type=float, default=0.5)
    parser.add_argument("--count", type=int, default=6, help="QAPs per augment type")
    parser.add_argument("--parallel", type=int, default=3)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; LLM latency {latency:.3f} s, settle {args.settle} s")
    async with mesh(args.latency_ms, args.settle) as running:
        chan = channel(running.generator_address)
        stub = generator_pb2_grpc.GeneratorServiceStub(chan)
        for augment in ROUNDS:  # warm: litellm import, every browser page, each augment type's prompts
            await one(stub, augment, 1)
        print("\nsequential (one QAP at a time): time per QAP, ideal, overhead")
        for augment in ROUNDS:
            stages: dict[str, list[float]] = {}
            before = hop_totals()
            results = [await one(stub, augment, 100 + i, stages) for i in range(args.count)]
            times = [t for t, _ in results]
            best = ideal(augment, latency, args.settle)
            overhead = [t - best for t in times]
            print(f"  {NAMES[augment]:16s} {statistics.mean(times):6.2f} s (ideal {best:5.2f} s); overhead "
                  f"mean {statistics.mean(overhead) * 1000:6.0f} ms, max {max(overhead) * 1000:6.0f} ms; "
                  f"LLM calls/QAP {statistics.mean(c for _, c in results):.1f}")
            print("    stages (mean ms per QAP): " + ", ".join(
                f"{name} {sum(values) / args.count * 1000:.0f}" for name, values in stages.items()))
            print("    " + hops(before, hop_totals(), latency, 2 * args.settle))
        print(f"\nthroughput, {args.parallel} at a time, both augment types alternating")
        augments = [a for _ in range(args.count) for a in ROUNDS]
        gate = asyncio.Semaphore(args.parallel)

        async def gated(augment: pb.AugmentType.ValueType, seed: int) -> tuple[float, int]:
            async with gate:
                return await one(stub, augment, seed)

        before = hop_totals()
        start = time.perf_counter()
        await asyncio.gather(*(gated(a, 1000 + i) for i, a in enumerate(augments)))
        elapsed = time.perf_counter() - start
        rate = len(augments) / elapsed * 60
        ideal_rate = args.parallel / statistics.mean(ideal(a, latency, args.settle) for a in augments) * 60
        print(f"  {rate:6.1f} QAPs/min vs ideal bound {ideal_rate:6.1f} QAPs/min ({rate / ideal_rate:.0%}); "
              f"overhead per QAP {(elapsed / len(augments) - 60 / ideal_rate) * 1000:.0f} ms")
        print("    " + hops(before, hop_totals(), latency, 2 * args.settle))
        await chan.close()


if __name__ == "__main__":
    asyncio.run(main())
