"""Memory of HTML jobs: a cgroup that caps each browser, and what a page holds at the end of its job.

Each browser (all of its processes) runs in a memory and pids cgroup of its own (v1 or v2, as the worker slots),
which the launcher joins before it becomes Chromium: whatever its pages do, a browser cannot take more than its
cap from the host. When the cap is reached the kernel kills a process of the browser, normally the renderer
that grew (Chromium gives renderers a high oom_score_adj), and its job gets MEMORY_LIMIT.

`Runtime.getHeapUsage` reports the renderer's main-thread heaps: V8's (`usedSize`), Blink's garbage-collected
C++ heap (`embedderHeapUsedSize`: DOM nodes and the like) and the backing stores of ArrayBuffers and external
strings (`backingStorageSize`). Typed arrays live only in the last: Performance.getMetrics' JSHeapUsedSize missed
a page holding 3 GiB of them. The page cannot forge these numbers (they do not pass through its scripts).
"""

from __future__ import annotations

import asyncio
import itertools

from playwright.async_api import CDPSession

from services.executor.sandbox import cgroups

MIB = 1024 * 1024
# pids.max of a browser (it counts threads): one with 16 idle pages runs about 215; this bounds a page that
# starts threads (workers) without end, not the browser's normal work.
BROWSER_TASKS = 4096
_POOLS = itertools.count()
HEAPS = ("usedSize", "embedderHeapUsedSize", "backingStorageSize")
# A page that held more than this at its end is replaced rather than reused, so its renderer (and the memory it
# took from the system) goes with it; a plain page holds 1-3 MiB.
DISCARD_BYTES = 64 * MIB


def browser_groups(browsers: int, memory_bytes: int) -> list[cgroups.SlotGroup]:
    """A cgroup for each browser of a new pool, capped at `memory_bytes`; raises CgroupError if the host has none.

    Named after the pool too: two pools of one process (as in tests) must never empty each other's groups.
    """
    version, pool = cgroups.detect(), next(_POOLS)
    groups: list[cgroups.SlotGroup] = []
    try:
        for index in range(browsers):
            groups.append(cgroups.create(version, f"browser-{pool}-{index}"))
            groups[-1].set_limits(memory_bytes, BROWSER_TASKS)
    except Exception:  # none is left behind when one cannot be made
        for group in groups:
            group.remove()
        raise
    return groups


async def heap_bytes(cdp: CDPSession, timeout: float) -> int:
    """What the page's renderer holds now, in bytes (garbage not yet collected included)."""
    usage = await asyncio.wait_for(cdp.send("Runtime.getHeapUsage"), timeout)
    return sum(int(usage.get(name, 0)) for name in HEAPS)


async def held_bytes(cdp: CDPSession, first: int, limit: int, timeout: float) -> int:
    """What the page holds, given its `first` reading: over `limit`, garbage is collected and the heap read again.

    Garbage (the job's own, or an earlier job's on the same renderer) is not held by the page, and V8 collects
    it late; a page is charged only with what is still reachable, so collecting costs only over-limit pages.
    """
    if first <= limit:
        return first
    await asyncio.wait_for(cdp.send("HeapProfiler.collectGarbage"), timeout)
    return await heap_bytes(cdp, timeout)
