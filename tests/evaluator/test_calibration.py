"""Calibration on the session's real executor: only passing reference runs are cached."""

from __future__ import annotations

import json
from pathlib import Path

from services.evaluator.calibration import Calibrator
from services.evaluator.datasets import LoadOptions, codecontests
from services.evaluator.grading import Grader
from synthmesh.executor.v1 import executor_pb2 as pb
from tests.evaluator.conftest import FIXTURES
from tests.executor.conftest import Running

SLOW = "1000_C. Slow Square"


async def test_failed_calibration_is_retried_not_cached(executor: Running, tmp_path: Path) -> None:
    dataset = codecontests.load_dataset(FIXTURES / "codecontests" / "valid.jsonl", LoadOptions())
    problems = [p for p in dataset.problems if p.task_id == SLOW]
    grader = Grader(executor.stub, 500, 12 << 20, 2, 300.0)  # type: ignore[arg-type]
    info = await executor.stub.GetInfo(pb.GetInfoRequest(), timeout=10)
    cache = tmp_path / "cache"

    async def calibrate(wall_seconds: float) -> tuple[str, str]:
        found, _ = await Calibrator(cache, wall_seconds).references(dataset, problems, grader, info, None)
        return found[SLOW].outcome, found[SLOW].source

    # The reference sleeps 0.3 s per test: a 0.1 s wall limit fails it, as a briefly overloaded host would.
    assert await calibrate(0.1) == ("TIME_LIMIT", "measured")
    (cache_file,) = cache.glob("calibration-*.json")
    assert SLOW not in json.loads(cache_file.read_text()), "a failed calibration must not be cached"
    # It was retried (a cached failure would have pinned this problem to the floor limit for good), then cached.
    assert await calibrate(30.0) == ("OK", "measured")
    assert await calibrate(30.0) == ("OK", "cache")
    # A failure cached by an earlier evaluator is measured again too.
    cache_file.write_text(json.dumps({SLOW: {"seconds": 0.1, "outcome": "TIME_LIMIT"}}))
    assert await calibrate(30.0) == ("OK", "measured")
