"""`synthmesh eval` turns its command line into the right EvaluateRequest."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from services.cli.eval_cmd import UsageError, build_request
from services.cli.main import parser
from synthmesh.iterator.v1 import iterator_pb2 as it
from tests.procs import ROOT

from .conftest import Evaluator


def test_command_lines_become_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t, "completion": "    pass\n"}) + "\n"
                               for t in ("HumanEval/3", "HumanEval/1", "HumanEval/3")))
    request = build_request(parser().parse_args(
        ["eval", "humaneval", "--samples", "s.jsonl", "--k", "1,2", "--out", "out", "--only-sampled"]))
    assert request.ks == [1, 2] and len(request.samples) == 3 and request.output_dir == str(tmp_path / "out")
    assert list(request.task_ids) == ["HumanEval/3", "HumanEval/1"] and not request.allow_code_execution
    canonical = build_request(parser().parse_args(["eval", "codecontests", "--path", "cc", "--canonical"]))
    # Reference solutions ship with the dataset: running them needs no confirmation flag.
    assert canonical.canonical and canonical.allow_code_execution and canonical.dataset_path == str(tmp_path / "cc")
    generate = build_request(parser().parse_args(
        ["eval", "psb2", "--path", "p", "--generate", "seidr", "--model", "m", "--n", "3", "--max-programs", "100",
         "--allow-code-execution"]))
    assert generate.generation.strategy == it.STRATEGY_SEIDR and generate.generation.samples_per_problem == 3
    assert generate.generation.budget.max_programs == 100 and generate.allow_code_execution
    rescore = build_request(parser().parse_args(["eval", "psb2", "--path", "p", "--rescore", "old"]))
    assert rescore.rescore_dir == str(tmp_path / "old")
    with pytest.raises(SystemExit):
        parser().parse_args(["eval", "humaneval", "--canonical", "--samples", "s.jsonl"])
    samples.write_text("{not json\n")
    with pytest.raises(UsageError, match=r"s\.jsonl:1: expected a JSON object"):
        build_request(parser().parse_args(["eval", "humaneval", "--samples", str(samples)]))


async def test_the_services_field_errors_name_the_options(evaluator: Evaluator, tmp_path: Path) -> None:
    cases = {"--path (dataset_path): cannot load codecontests": ["codecontests", "--path", str(tmp_path / "nope")],
             "--k (ks[0]): k must be at least 1": ["humaneval", "--k", "0"]}
    for expected, args in cases.items():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli", "eval", *args, "--canonical",
            "--evaluator", f"127.0.0.1:{evaluator.runtime.port}", cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        line = out.decode().strip().splitlines()[-1]
        assert proc.returncode == 2 and line.startswith("synthmesh eval: INVALID_ARGUMENT: "), line
        assert expected in line, line
