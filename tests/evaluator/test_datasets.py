"""Each loader on its fixture, the registry, and the limit policy."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import pytest

from services.evaluator import datasets
from services.evaluator.calibration import LimitPolicy, Reference, reference_seconds
from services.evaluator.datasets import DatasetError, LoadOptions, humaneval
from services.evaluator.datasets.psb2 import case_text
from services.evaluator.datasets.samples import read_samples
from services.evaluator.grading import SampleVerdict
from tests.evaluator.conftest import FIXTURES


def load(name: str, path: Path | None, **options: int) -> datasets.LoadedDataset:
    spec = datasets.get(name)
    assert spec is not None
    return spec.loader(path, LoadOptions(**options))


def test_registry_lists_every_dataset_with_its_tests() -> None:
    names = [s.name for s in datasets.specs()]
    assert names == ["codecontests", "humaneval", "llmcoder", "psb2"]
    for spec in datasets.specs():
        assert spec.description and spec.feedback_tests and spec.grading_tests
    assert not datasets.get("llmcoder").unsafe_code and datasets.get("humaneval").unsafe_code  # type: ignore[union-attr]


def test_humaneval_from_the_wheel() -> None:
    data = load("humaneval", None)
    assert len(data.problems) == 164 and data.sha256 == humaneval.load()[1]
    first = data.problems[0]
    assert first.task_id == "HumanEval/0" and first.kind == "unit" and "def check" in first.check_code
    assert first.program(first.reference) == first.prompt + first.reference


def test_psb2_competitive_format_and_digest(tmp_path: Path) -> None:
    data = load("psb2", FIXTURES / "psb2")
    assert [p.task_id for p in data.problems] == ["fizz-buzz", "gcd", "leaders"]
    gcd = data.problems[1]
    assert gcd.public_tests[1].stdin == "4\n400000\n" and gcd.public_tests[1].expected == "4\n"
    assert "largest integer" in gcd.description and gcd.reference == "" and len(gcd.hidden_tests) == 6
    assert case_text({"input1": [451, 0]}, "input") == "2\n451 0\n"
    assert case_text({"input1": [], "input2": "x y"}, "input") == "0\n\nx y\n"
    # Reading fewer random cases reads fewer bytes: a different digest. The layout under datasets/ works too.
    assert load("psb2", FIXTURES / "psb2", psb2_random_tests=2).sha256 != data.sha256
    shutil.copytree(FIXTURES / "psb2", tmp_path / "datasets")
    assert load("psb2", tmp_path).sha256 == data.sha256
    (tmp_path / "datasets" / "gcd" / "gcd-edge.json").write_text('{"input1": 1}\n')
    with pytest.raises(DatasetError, match=r"gcd-edge\.json:1: expected input1\.\. and output1"):
        load("psb2", tmp_path)


def test_codecontests_rows_tests_and_python3_reference(tmp_path: Path) -> None:
    path = FIXTURES / "codecontests" / "valid.jsonl"
    data = load("codecontests", path)
    first = data.problems[0]
    assert first.task_id == "1000_A. Sum of Two" and first.kind == "io"
    assert len(first.public_tests) == 1 and len(first.hidden_tests) == 4  # private + generated
    assert first.reference.startswith("a, b = map(int")  # the Python 3 solution, not the C++ one listed first
    assert data.sha256 != hashlib.sha256(b"").hexdigest()
    # The same rows as a JSON document keyed by split load the same problems.
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    (tmp_path / "splits.json").write_text(json.dumps({"valid": rows[:2], "test": rows[2:]}))
    assert [p.task_id for p in load("codecontests", tmp_path / "splits.json").problems] == \
        [p.task_id for p in data.problems]
    (tmp_path / "dup.jsonl").write_text(path.read_text() + path.read_text().splitlines()[0] + "\n")
    with pytest.raises(DatasetError, match="appears twice"):
        load("codecontests", tmp_path / "dup.jsonl")


def test_llmcoder_pair_folders_in_natural_order() -> None:
    data = load("llmcoder", FIXTURES / "llmcoder")
    assert [p.task_id for p in data.problems] == ["level_0/pairs/pair1", "level_0/pairs/pair2",
                                                  "level_1/pairs/pair3"]
    pair = data.problems[2]
    assert pair.kind == "completion" and pair.prompt.startswith("def add") and pair.reference == "return a + b\n"
    with pytest.raises(DatasetError, match="no folder holds both"):
        load("llmcoder", FIXTURES / "psb2")


def test_samples_jsonl(tmp_path: Path) -> None:
    good = tmp_path / "s.jsonl"
    good.write_text('{"task_id": "HumanEval/0", "completion": "  return 1\\n"}\n\n')
    assert read_samples(good)[0].completion == "  return 1\n"
    good.write_text('{"task_id": "HumanEval/0"}\n')
    with pytest.raises(DatasetError, match=r"s.jsonl:1: expected string fields"):
        read_samples(good)


def test_limit_policy_is_evalplus_formula_enforced_as_cpu_time() -> None:
    policy = LimitPolicy(floor=1.0, factor=4.0, wall_factor=3.0, max_cpu=120.0, max_wall=120.0)
    assert policy.time_limit(Reference(0.01, "OK", "measured")) == 1.0  # the floor
    assert policy.time_limit(Reference(0.5, "OK", "measured")) == 2.0  # 4 x T_ref
    assert policy.time_limit(Reference(100.0, "OK", "measured")) == 120.0  # the executor's ceiling
    assert policy.time_limit(Reference(None, "NO_REFERENCE", "none")) == 1.0
    assert policy.time_limit(Reference(0.5, "WRONG_ANSWER", "measured")) == 1.0  # a failing reference proves nothing
    limits = policy.limits(2.0)
    assert limits.cpu_seconds == 2.0 and limits.wall_seconds == 7.0
    assert LimitPolicy(1.0, 4.0, 3.0, max_wall=5.0).limits(2.0).wall_seconds == 5.0
    unit = datasets.Problem("t", "unit", "d")
    io = datasets.Problem("t", "io", "d")
    measured = SampleVerdict("OK", 3, 3, 0.9, 0.25, "", test_seconds=(0.1, 0.3, 0.2))
    assert reference_seconds(unit, measured) == 0.25  # the run's CPU time: all assertions share one run
    assert reference_seconds(io, measured) == 0.3  # the slowest io test
    assert math.isinf(LimitPolicy(1.0, 4.0, 3.0).max_cpu)
