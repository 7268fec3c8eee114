"""Request coalescing: items submitted while Redis round trips are in flight ride together on the next one.

Under load many hand-outs want the queue at once; one script call can serve them all, each with its own lease,
instead of one round trip each. At low load a batch holds one item and adds no delay: the first submitter starts
a flush at once, and only callers that arrive while the allowed flushes are in flight wait for the next. Two
flushes in flight keep Redis and the event loop both busy (measured: a few % more hand-outs/s than one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """Runs `flush(items) -> results` (same length, same order) over batches of submitted items."""

    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R]]], max_batch: int,
                 orphan: Callable[[T, R], Coroutine[Any, Any, None]] | None = None, in_flight: int = 2) -> None:
        """`orphan(item, result)` receives results whose submitter stopped waiting (cancelled) meanwhile.

        Up to `in_flight` batches run at once, so the next batch is already on its way while the server works
        on the previous one (each flush must therefore be safe to run concurrently with another).
        """
        self._flush = flush
        self._max = max_batch
        self._orphan = orphan
        self._in_flight = in_flight
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._orphans: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Queues `item` and returns its result; raises what the flush raised for its batch."""
        return await self.enqueue(item)

    def enqueue(self, item: T) -> asyncio.Future[R]:
        """Queues `item` and returns the future of its result, for callers that need not wait for it."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if len(self._tasks) < self._in_flight:
            task = asyncio.create_task(self._run(), name="coalescer")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return future

    async def _run(self) -> None:
        try:
            await self._drain()
        finally:
            # Leave the in-flight set the moment the queue is found empty (no await in between): an item queued
            # later in this loop iteration must see a free slot, not a task that is done but not yet discarded.
            self._tasks.discard(asyncio.current_task())

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max], self._queue[self._max:]
            try:
                results = await self._flush([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            for (item, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
                elif self._orphan is not None:
                    task: asyncio.Task[None] = asyncio.create_task(self._orphan(item, result))
                    self._orphans.add(task)
                    task.add_done_callback(self._orphans.discard)

    async def close(self) -> None:
        """Waits for the batch in flight, queued items and orphan handling to finish."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
        if self._orphans:
            await asyncio.wait(set(self._orphans))
