"""Stage timings of concurrent answer chains: the time a stage was active, not the sum over chains."""

from __future__ import annotations

import asyncio

import pytest

from services.generator.stages import StageClock


class ManualClock:
    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


async def test_overlapping_chains_count_the_stage_once_and_gaps_not_at_all() -> None:
    clock, timings = ManualClock(), dict[str, float]()
    stages = StageClock(timings, now=clock)
    first_done, second_done = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(stages.measure("verify", first_done.wait()))
    await asyncio.sleep(0)
    clock.value = 1.0
    second = asyncio.create_task(stages.measure("verify", second_done.wait()))
    await asyncio.sleep(0)
    clock.value = 2.0
    first_done.set()
    await first
    clock.value = 3.0
    second_done.set()
    await second  # active from 0 to 3 (two chains overlapping from 1 to 2): 3 s, not 2 + 2
    assert timings == {"verify": 3.0}
    clock.value = 10.0
    await stages.measure("verify", asyncio.sleep(0))
    await stages.measure("repair", asyncio.sleep(0))
    assert timings == {"verify": 3.0, "repair": 0.0}  # the idle gap from 3 to 10 is not counted


async def test_a_failing_stage_still_counts_its_time() -> None:
    clock, timings = ManualClock(), dict[str, float]()
    stages = StageClock(timings, now=clock)

    async def fails() -> None:
        clock.value = 0.5
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await stages.measure("answers", fails())
    assert timings == {"answers": 0.5}
