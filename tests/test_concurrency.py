"""Work run together fails together: a failed step leaves nothing running behind it."""

from __future__ import annotations

import asyncio

import pytest

from services.common.concurrency import all_of


async def test_results_come_back_in_order() -> None:
    async def value(v: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return v

    assert await all_of([value(1, 0.02), value(2, 0.0), value(3, 0.01)]) == [1, 2, 3]


async def test_one_failure_cancels_the_other_chains_before_it_is_raised() -> None:
    cancelled = asyncio.Event()

    async def slow() -> int:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    async def failing() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("dropped")

    with pytest.raises(RuntimeError, match="dropped"):
        await all_of([slow(), failing()])
    assert cancelled.is_set()  # already, not later in the background
