"""The memory a page holds at the end of its job, read from its renderer over DevTools.

`Runtime.getHeapUsage` reports the renderer's main-thread heaps: V8's (`usedSize`), Blink's garbage-collected
C++ heap (`embedderHeapUsedSize`: DOM nodes and the like) and the backing stores of ArrayBuffers and external
strings (`backingStorageSize`). Typed arrays live only in the last: Performance.getMetrics' JSHeapUsedSize missed
a page holding 3 GiB of them. The page cannot forge these numbers (they do not pass through its scripts).
"""

from __future__ import annotations

import asyncio

from playwright.async_api import CDPSession

MIB = 1024 * 1024
HEAPS = ("usedSize", "embedderHeapUsedSize", "backingStorageSize")
# A page that held more than this at its end is replaced rather than reused, so its renderer (and the memory it
# took from the system) goes with it; a plain page holds 1-3 MiB.
DISCARD_BYTES = 64 * MIB


async def heap_bytes(cdp: CDPSession, timeout: float) -> int:
    """What the page's renderer holds now, in bytes (garbage not yet collected included)."""
    usage = await asyncio.wait_for(cdp.send("Runtime.getHeapUsage"), timeout)
    return sum(int(usage.get(name, 0)) for name in HEAPS)


async def held_bytes(cdp: CDPSession, limit: int, timeout: float) -> int:
    """What the page holds, collecting garbage first if the first reading is over `limit`.

    Garbage (the job's own, or an earlier job's on the same renderer) is not held by the page, and V8 collects
    it late; a page is charged only with what is still reachable, so collecting costs only over-limit pages.
    """
    held = await heap_bytes(cdp, timeout)
    if held > limit:
        await asyncio.wait_for(cdp.send("HeapProfiler.collectGarbage"), timeout)
        held = await heap_bytes(cdp, timeout)
    return held
