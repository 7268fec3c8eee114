"""`synthmesh solve` against the real iterator: live events, the result and the best program written out."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tests.procs import ROOT

from .conftest import Iterator, OfflineModel
from .test_strategies import RIGHT, WRONG


async def cli(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.cli", "solve", *args, cwd=ROOT,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode()


async def test_solve_streams_events_and_writes_the_program(iterator: Iterator, offline_model: OfflineModel,
                                                           tmp_path: Path) -> None:
    problem = ROOT / "examples" / "add.problem.json"  # the README's example, as a user would run it
    model = await offline_model.script("cli-alpha", [
        "reflection", "reasoning", json.dumps({"solutions": [{"name": "sum", "approach": "add"}]}),
        json.dumps({"tests": ["assert add(2, 2) == 4"]}), WRONG, RIGHT])
    address = f"127.0.0.1:{iterator.runtime.port}"
    out = tmp_path / "best.py"
    code, text = await cli(str(problem), "--strategy", "alphacodium", "--model", model, "--iterator", address,
                           "--out", str(out), "--json")
    assert code == 0, text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert {"plan", "candidate"} <= {line.get("kind") for line in lines}
    assert lines[-1]["solved"] is True and "return a + b" in out.read_text()


async def test_solve_reports_bad_input(iterator: Iterator, tmp_path: Path) -> None:
    problem = tmp_path / "problem.json"
    problem.write_text('{"language": "LANGUAGE_PYTHON"}')
    code, text = await cli(str(problem), "--iterator", f"127.0.0.1:{iterator.runtime.port}")
    assert code == 2 and "INVALID_ARGUMENT" in text and "problem.description" in text
    problem.write_text("{oops")
    code, text = await cli(str(problem))
    assert code == 2 and "problem.json: not JSON" in text
    problem.write_text('{"description": "x", "language": "ruby"}')
    code, text = await cli(str(problem))
    assert code == 2 and "Invalid enum value ruby" in text and "languages: python, javascript, html" in text
