"""A call cancelled while litellm still prepares it: nothing is sent, and no stray warning surfaces later.

litellm's acompletion builds each request in a worker thread of the event loop's default executor, which hands a
coroutine back to the loop. The scenario is made deterministic by giving a private loop a default executor that
holds each result back until released: the call is certainly between its thread and its request when cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from services.common.llm import ignore_unstarted_calls
from tests.llm.offline import OfflineServer, make_client

HELLO = [{"role": "user", "content": "Say hello to the mesh."}]


class HeldResults(ThreadPoolExecutor):
    """Runs each function at once but returns its result only once `release` is set."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.ran = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def held() -> Any:
            result = fn(*args, **kwargs)
            self.ran.set()
            self.release.wait()
            return result
        return super().submit(held)


async def until_prepared(preparer: HeldResults, call: asyncio.Task[Any], seconds: float = 30.0) -> None:
    """Waits until the call's request was built in the preparer's thread; fails if the call ended or never got there."""
    deadline = time.monotonic() + seconds
    while not preparer.ran.is_set():
        if call.done():
            outcome = "cancelled" if call.cancelled() else call.exception() or "returned"
            raise AssertionError(f"the call ended ({outcome!r}) before its request was prepared in the executor")
        assert time.monotonic() < deadline, f"the call's request was not prepared within {seconds} s"
        await asyncio.sleep(0.005)


async def cancel_while_preparing(server: OfflineServer, silenced: bool) -> list[str]:
    """Cancels one call during litellm's thread hop; returns the warnings raised until the thread is done."""
    loop = asyncio.get_running_loop()
    preparer = HeldResults()
    loop.set_default_executor(preparer)
    llm = make_client(server)
    await llm.complete("question", HELLO)  # warm: litellm imported, its HTTP client made on this loop
    preparer.release.clear()
    preparer.ran.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if silenced:
            ignore_unstarted_calls()
        call = asyncio.create_task(llm.complete("question", HELLO))
        try:
            await until_prepared(preparer, call)  # the request is prepared; its coroutine is not yet handed back
        except BaseException:
            preparer.release.set()  # or the loop's default executor never shuts down
            raise
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await call
        preparer.release.set()
        await asyncio.wrap_future(preparer.submit(int))  # the cancelled call's thread has finished
        gc.collect()
    return [str(w.message) for w in caught if "never awaited" in str(w.message)]


@pytest.mark.parametrize("silenced", [True, False])
async def test_a_call_cancelled_before_it_leaves_sends_nothing(offline_server: OfflineServer, silenced: bool) -> None:
    stray = await asyncio.to_thread(asyncio.run, cancel_while_preparing(offline_server, silenced))
    # Only the warm-up request reached the server.
    assert len(offline_server.requests()) == 1
    # Without the filter the scenario does leave an unstarted coroutine behind: the test can tell the difference.
    assert (stray == []) if silenced else (len(stray) == 1 and "acompletion" in stray[0])
