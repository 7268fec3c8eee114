"""The coalescer batches concurrent submissions, keeps order, and hands back orphaned results."""

from __future__ import annotations

import asyncio

import pytest

from services.common.pool.batching import Coalescer


async def test_concurrent_items_share_flushes_and_get_their_own_results() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    coalescer: Coalescer[int, int] = Coalescer(flush, max_batch=8)
    results = await asyncio.gather(*(coalescer.submit(i) for i in range(20)))
    assert results == [i * 10 for i in range(20)]
    assert batches == [list(range(0, 8)), list(range(8, 16)), list(range(16, 20))]


async def test_a_lone_caller_is_flushed_at_once() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    coalescer: Coalescer[int, int] = Coalescer(flush, max_batch=8)
    for i in range(3):
        assert await coalescer.submit(i) == i
    assert batches == [[0], [1], [2]]


async def test_a_failed_flush_fails_only_its_batch() -> None:
    async def flush(items: list[int]) -> list[int]:
        if 0 in items:
            raise ConnectionError("down")
        return items

    coalescer: Coalescer[int, int] = Coalescer(flush, max_batch=1)
    first, second = await asyncio.gather(coalescer.submit(0), coalescer.submit(1), return_exceptions=True)
    assert isinstance(first, ConnectionError) and second == 1


async def test_a_result_whose_caller_left_goes_to_the_orphan_handler() -> None:
    release = asyncio.Event()
    orphans: list[tuple[str, str]] = []

    async def flush(items: list[str]) -> list[str]:
        await release.wait()
        return [f"claimed-{i}" for i in items]

    async def orphan(item: str, result: str) -> None:
        orphans.append((item, result))

    coalescer: Coalescer[str, str] = Coalescer(flush, max_batch=8, orphan=orphan)
    leaving = asyncio.create_task(coalescer.submit("a"))
    staying = asyncio.create_task(coalescer.submit("b"))
    await asyncio.sleep(0.01)
    leaving.cancel()
    release.set()
    assert await staying == "claimed-b"
    with pytest.raises(asyncio.CancelledError):
        await leaving
    await coalescer.close()
    assert orphans == [("a", "claimed-a")]


@pytest.mark.parametrize("in_flight", [1, 2])
async def test_at_most_in_flight_batches_run_at_once(in_flight: int) -> None:
    running = peak = 0

    async def flush(items: list[int]) -> list[int]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return items

    coalescer: Coalescer[int, int] = Coalescer(flush, max_batch=2, in_flight=in_flight)
    assert await asyncio.gather(*(coalescer.submit(i) for i in range(12))) == list(range(12))
    assert peak == in_flight


async def test_an_item_queued_as_the_last_flush_ends_is_still_flushed() -> None:
    async def flush(items: list[int]) -> list[int]:
        await asyncio.sleep(0)
        return items

    coalescer: Coalescer[int, int] = Coalescer(flush, max_batch=8, in_flight=1)
    later: list[asyncio.Future[int]] = []
    first = coalescer.enqueue(1)
    # A result's callbacks run before the flushing task is reported done: an item queued from one must not
    # wait behind a task that has finished but is still counted as in flight.
    first.add_done_callback(lambda _: later.append(coalescer.enqueue(2)))
    assert await first == 1
    assert await asyncio.wait_for(later[0], 2) == 2
    await coalescer.close()
