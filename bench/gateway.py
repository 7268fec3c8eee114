"""Gateway hand-out benchmark: the synthmesh gateway against a minimal upstream-like route, in the same run.

Run from the repository root (needs only `redis-server` on PATH; it stops by itself and prints a table):

    .venv/bin/python -m bench.gateway
    .venv/bin/python -m bench.gateway --clients 64 --qaps 4000 --rounds 3 --rate 1000 --html-bytes 4000

What it does: starts a private redis-server on a free loopback port (no persistence), the reference
(bench/reference_gateway.py: FastAPI + pydantic model + LLEN/LPOP + json.loads, like dojo-synthetic-api) and
`python -m services.gateway`, both with uvicorn, one worker, uvloop + httptools and no access log. Each round and
target, alternating which goes first: fill `synthetic:queue` with valid QAPs (4 answers of `--html-bytes`), then
- saturated: `--clients` keep-alive clients drain `--qaps` QAPs as fast as they can (closed loop): hand-outs/s
  and latency. In a closed loop latency is queueing: mean latency = clients / throughput (Little's law);
- paced: the same clients send `--rate` requests/s in total (open loop, well above Dojo's real rate); latency
  counts from each request's scheduled time, so a slow reply cannot hide the queue behind it.
Reported per target: median-round hand-outs/s, p50/p99 of each phase over all rounds, duplicates and lost (a QAP
served twice, or never, over all phases and rounds: both must be 0) and failure envelopes; then the ratio. For
synthmesh it also checks Redis afterwards: queue and in-flight empty, one delivery-log entry per hand-out. The
machine's load average is printed: other work on the machine skews both targets, so compare ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import uvloop
from redis.asyncio import Redis

from bench.httpload import Connection, wait_healthy
from services.cli.stack import free_port

ROOT = Path(__file__).resolve().parents[1]
QUEUE = "synthetic:queue"
PATH = "/api/synthetic-gen"


def make_qap(html_bytes: int) -> bytes:
    cids = [str(uuid.uuid4()) for _ in range(4)]
    page = "<!DOCTYPE html><html><body><canvas></canvas><script>" + "x" * html_bytes + "</script></body></html>"
    return orjson.dumps({
        "prompt": "Create an interactive visualization of a lighthouse beam sweeping over waves.",
        "question_model": "anthropic/claude-3.5-sonnet",
        "responses": [{"model": "anthropic/claude-3.5-sonnet", "cid": cid, "completion": {
            "files": [{"filename": "index.html", "content": page, "language": "html"}]}} for cid in cids],
        "ground_truth": {cid: rank for rank, cid in enumerate(cids)},
        "augmented_prompts": [], "topic": "ANIMATION", "persona": "A retired lighthouse keeper.",
        "metadata": {"augment_type": "CHANGE_ANSWERS"},
    })


@dataclass
class Round:
    seconds: float
    latencies: list[float]
    served: list[str]
    failures: list[str]
    cpu_seconds: float = 0.0  # the server process's own CPU time during the round
    redis_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc); 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    rounds: list[Round] = field(default_factory=list)
    paced: list[Round] = field(default_factory=list)
    audit: str = ""


def start_target(name: str, redis_url: str) -> Target:
    port = free_port()
    if name == "reference":
        argv = [sys.executable, str(ROOT / "bench" / "reference_gateway.py"), "--port", str(port),
                "--redis-url", redis_url]
        env = dict(os.environ)
    else:
        argv = [sys.executable, "-m", "services.gateway"]
        env = dict(os.environ, REDIS_URL=redis_url, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port),
                   GRPC_HOST="127.0.0.1", GRPC_PORT=str(free_port()), METRICS_PORT=str(free_port()),
                   GATEWAY_WAIT_SECONDS="2", LOG_LEVEL="warning", DRAIN_SECONDS="0")
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Target(name, f"http://127.0.0.1:{port}", proc)


async def fill(redis: Redis, count: int, html_bytes: int) -> None:
    await redis.flushall()
    for start in range(0, count, 500):
        await redis.rpush(QUEUE, *(make_qap(html_bytes) for _ in range(min(500, count - start))))


def record(content: bytes, served: list[str], failures: list[str]) -> None:
    cid = first_cid(content)
    if cid is not None:
        served.append(cid)
    else:
        failures.append(str(orjson.loads(content)["error"]))


async def drive(url: str, clients: int, total: int) -> Round:
    """`clients` concurrent keep-alive clients send exactly `total` hand-out requests between them."""
    remaining = total
    latencies: list[float] = []
    served: list[str] = []
    failures: list[str] = []
    connections = await asyncio.gather(*(Connection.open(url) for _ in range(clients)))

    async def worker(conn: Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            _, content = await conn.get(PATH)
            latencies.append(time.perf_counter() - start)
            record(content, served, failures)

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(c.close() for c in connections))
    return Round(elapsed, latencies, served, failures)


async def drive_paced(url: str, clients: int, total: int, rate: float) -> Round:
    """`clients` clients send `total` requests at `rate` per second in all; latency from the scheduled time."""
    latencies: list[float] = []
    served: list[str] = []
    failures: list[str] = []
    connections = await asyncio.gather(*(Connection.open(url) for _ in range(clients)))
    began = time.perf_counter()

    async def client(k: int, conn: Connection) -> None:
        for n in range(k, total, clients):
            scheduled = began + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            _, content = await conn.get(PATH)
            latencies.append(time.perf_counter() - scheduled)
            record(content, served, failures)

    await asyncio.gather(*(client(k, c) for k, c in enumerate(connections)))
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(c.close() for c in connections))
    return Round(elapsed, latencies, served, failures)


async def audit_synthmesh(redis: Redis, handed: int) -> str:
    for _ in range(50):  # acknowledgements run just after each reply is sent
        if await redis.zcard("synthetic:mesh:leases") == 0:
            break
        await asyncio.sleep(0.02)
    queue, leases = await redis.llen(QUEUE), await redis.zcard("synthetic:mesh:leases")
    logged = await redis.xlen("synthetic:mesh:deliveries")
    ok = queue == 0 and leases == 0 and logged == handed
    return f"redis: queue={queue} in_flight={leases} delivery_log={logged}/{handed} {'OK' if ok else 'MISMATCH'}"


def first_cid(content: bytes) -> str | None:
    """The first answer's cid of a success envelope, None for a failure.

    Both servers write compact JSON with `success` first, so a byte search stands in for parsing 17 KiB per reply:
    the client's CPU would otherwise cap the throughput measured on a small machine. Anything unexpected falls
    back to a full parse.
    """
    if content.startswith(b'{"success":true,"body":{'):
        at = content.find(b'"cid":"')
        if at > 0:
            return content[at + 7: content.index(b'"', at + 7)].decode()
    envelope = orjson.loads(content)
    return str(envelope["body"]["responses"][0]["cid"]) if envelope["success"] else None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(targets: list[Target], args: argparse.Namespace, load: tuple[float, float]) -> None:
    print(f"\n{args.clients} clients, {args.qaps} QAPs saturated + {args.paced} paced at {args.rate:g}/s per round, "
          f"{args.rounds} rounds, body ≈ {len(make_qap(args.html_bytes)) // 1024} KiB, "
          "client: bench/httpload.py on uvloop, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} → {load[1]:.1f}")
    print(f"{'':<11}{'saturated (closed loop)':^38}{'paced (open loop)':^20}")
    print(f"{'target':<11}{'hand-outs/s':>12}{'cpu µs':>8}{'p50 ms':>9}{'p99 ms':>9}{'p50 ms':>10}{'p99 ms':>10}"
          f"{'dup':>6}{'lost':>6}{'failed':>8}")
    rates: dict[str, float] = {}
    for t in targets:
        lat = [x for r in t.rounds for x in r.latencies]
        paced = [x for r in t.paced for x in r.latencies]
        served = [c for r in t.rounds + t.paced for c in r.served]
        rates[t.name] = statistics.median(len(r.served) / r.seconds for r in t.rounds)
        dup = len(served) - len(set(served))
        lost = (args.qaps + args.paced) * len(t.rounds) - len(set(served))
        failed = sum(len(r.failures) for r in t.rounds + t.paced)
        cpu = 1e6 * sum(r.cpu_seconds for r in t.rounds) / sum(len(r.served) for r in t.rounds)
        print(f"{t.name:<11}{rates[t.name]:>12.0f}{cpu:>8.0f}{pct(lat, 0.5):>9.2f}{pct(lat, 0.99):>9.2f}"
              f"{pct(paced, 0.5):>10.2f}{pct(paced, 0.99):>10.2f}{dup:>6}{lost:>6}{failed:>8}")
    for t in targets:
        n = sum(len(r.served) for r in t.rounds)
        print(f"{t.name}: CPU per hand-out while saturated: server "
              f"{1e6 * sum(r.cpu_seconds for r in t.rounds) / n:.0f} µs, redis "
              f"{1e6 * sum(r.redis_cpu_seconds for r in t.rounds) / n:.0f} µs, load client "
              f"{1e6 * sum(r.client_cpu_seconds for r in t.rounds) / n:.0f} µs")
    for t in targets:
        if t.audit:
            print(f"{t.name}: {t.audit}")
    print(f"ratio synthmesh / reference (saturated hand-outs/s): {rates['synthmesh'] / rates['reference']:.2f}x "
          "(goal ≥ 2x); cpu µs = the server process's CPU time per hand-out while saturated")


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    redis_proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL)
    redis_url = f"redis://127.0.0.1:{port}"
    redis = Redis.from_url(redis_url)
    targets = [start_target("reference", redis_url), start_target("synthmesh", redis_url)]
    load_before = os.getloadavg()[0]
    try:
        for t in targets:
            await wait_healthy(t.name, t.url, t.proc)
        for i in range(args.rounds):
            for t in targets if i % 2 == 0 else reversed(targets):
                await fill(redis, args.qaps + args.warmup + args.paced, args.html_bytes)
                await drive(t.url, args.clients, args.warmup)
                before = (cpu_seconds(t.proc.pid), cpu_seconds(redis_proc.pid), cpu_seconds(os.getpid()))
                t.rounds.append(await drive(t.url, args.clients, args.qaps))
                r = t.rounds[-1]
                r.cpu_seconds = cpu_seconds(t.proc.pid) - before[0]
                r.redis_cpu_seconds = cpu_seconds(redis_proc.pid) - before[1]
                r.client_cpu_seconds = cpu_seconds(os.getpid()) - before[2]
                t.paced.append(await drive_paced(t.url, args.clients, args.paced, args.rate))
                if t.name == "synthmesh":
                    t.audit = await audit_synthmesh(redis, args.qaps + args.warmup + args.paced)
                print(f"round {i + 1} {t.name}: {len(t.rounds[-1].served) / t.rounds[-1].seconds:.0f}/s",
                      file=sys.stderr)
        report(targets, args, (load_before, os.getloadavg()[0]))
    finally:
        for t in targets:
            t.proc.send_signal(signal.SIGTERM)
            t.proc.wait(timeout=30)
        await redis.aclose()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--qaps", type=int, default=4000, help="QAPs drained per round and target")
    parser.add_argument("--warmup", type=int, default=256, help="unmeasured hand-outs before each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--paced", type=int, default=2000, help="hand-outs per round in the paced phase")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests/s of the paced phase, all clients")
    parser.add_argument("--html-bytes", type=int, default=4000, help="size of each answer's index.html")
    uvloop.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
