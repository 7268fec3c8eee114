"""Running awaitables together so that a failure leaves nothing running behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def all_of(work: Sequence[Awaitable[T]]) -> list[T]:
    """Runs `work` concurrently; results in order, the first failure raised as itself after the rest is cancelled.

    Sibling LLM calls, browser jobs or repairs of a failed step must not go on spending in the background.
    """
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
