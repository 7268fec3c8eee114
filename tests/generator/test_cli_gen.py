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
        sys.executable, "-m", "services.cli", "gen", "--count", "1", "--push", "--topic", "games",
        "--generator", f"127.0.0.1:{generator.runtime.port}", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    summary = [line.split(maxsplit=1) for line in out.decode().splitlines()[-2:]]
    assert proc.returncode == 0 and summary == [["1", "generated"], ["1", "pushed to the v1 pool"]], out.decode()
    assert (await pool_gateway.stub.GetDepth(pool_pb2.GetDepthRequest())).v1 == 3


async def test_gen_reports_an_unreachable_generator() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "gen", "--generator", "127.0.0.1:9", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 2 and "UNAVAILABLE" in out.decode()
