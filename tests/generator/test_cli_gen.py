"""`synthmesh gen` against a real generator: progress, JSON lines, pushed QAPs."""

from __future__ import annotations

import asyncio
import json
import sys

from synthmesh.pool.v1 import pool_pb2
from tests.procs import ROOT

from .conftest import GeneratorUnderTest, PoolGateway


async def test_gen_builds_and_pushes_with_json_lines(generator: GeneratorUnderTest, pool_gateway: PoolGateway) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "gen", "--count", "2", "--push", "--json", "--topic", "games",
        "--generator", f"127.0.0.1:{generator.runtime.port}", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert proc.returncode == 0, out.decode()
    assert len(lines) == 2 and all(line["outcome"] == "OUTCOME_GENERATED" and line["pushed"] for line in lines)
    assert all(line["qap"]["topic"] == "GAMES" for line in lines)
    assert (await pool_gateway.stub.GetDepth(pool_pb2.GetDepthRequest())).v1 == 2
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "gen", "--count", "2", "--push", "--topic", "games",
        "--generator", f"127.0.0.1:{generator.runtime.port}", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    # The summary: one line per outcome, then how many went into the pool (a question too close to one of the
    # session's earlier ones is dropped as a duplicate, which the offline model's random seeds can make happen).
    counts = {label: int(n) for n, label in (line.split(maxsplit=1) for line in out.decode().splitlines()
                                             if line.strip()[:1].isdigit())}
    generated = counts.get("generated", 0)
    assert sum(n for label, n in counts.items() if label != "pushed to the v1 pool") == 2, out.decode()
    assert counts["pushed to the v1 pool"] == generated, out.decode()
    assert proc.returncode == (0 if generated == 2 else 1), out.decode()
    assert (await pool_gateway.stub.GetDepth(pool_pb2.GetDepthRequest())).v1 == 2 + generated


async def test_gen_reports_an_unreachable_generator() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "gen", "--generator", "127.0.0.1:9", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 2 and "UNAVAILABLE" in out.decode()
