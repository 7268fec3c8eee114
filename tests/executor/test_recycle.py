"""Slots recycled while gRPC serves restart cleanly.

Starting a slot with Popen's `user=`/`group=` made Popen fork() instead of vfork(); gRPC's fork handlers then
restarted its event-engine threads in the child, which crashed (SIGSEGV) before exec in about one recycle in
eight under load. The pool retried, so jobs still passed; this counts the failed restarts themselves.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from services.executor.sandbox.slots import SlotError
from synthmesh.executor.v1 import executor_pb2 as pb
from tests.executor.conftest import Running, py

RECYCLE_AFTER = 2
JOBS = 120


async def test_recycling_under_grpc_restarts_every_slot_cleanly(executor: Running) -> None:
    pool = executor.executor.pool
    settings = pool.settings
    recycled, failures = pool.recycled, pool.restart_failures
    pool.settings = dataclasses.replace(settings, recycle_after=RECYCLE_AFTER)
    try:
        jobs = [py(f"print({i} * 2)") for i in range(JOBS)]
        outputs = [item.result async for item in executor.stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs))]
    finally:
        pool.settings = settings
    assert all(r.outcome == pb.OUTCOME_OK for r in outputs), [r.message for r in outputs if r.outcome]
    # The last recycles run in the background after the batch answered; their restarts count too.
    for _ in range(200):
        if not pool._recycles:
            break
        await asyncio.sleep(0.05)
    assert not pool._recycles, "recycles still running after 10 s"
    assert pool.recycled - recycled >= JOBS // RECYCLE_AFTER // 2
    assert pool.restart_failures == failures, "a slot failed to restart"


async def test_a_slot_that_fails_to_restart_is_retried_until_it_starts(executor: Running,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pool = executor.executor.pool
    slot = pool._slots[0]
    real_start = slot.start
    # The pool used to give up on a slot after three failed restarts, and on any restart error but SlotError
    # at once (a host out of pids fails with EAGAIN).
    injected: list[Exception] = [SlotError("injected start failure"), BlockingIOError(11, "fork: EAGAIN"),
                                 SlotError("injected start failure")]

    async def flaky_start() -> None:
        if injected:
            raise injected.pop(0)
        await real_start()

    monkeypatch.setattr(slot, "start", flaky_start)
    settings, failures = pool.settings, pool.restart_failures
    pool.settings = dataclasses.replace(settings, recycle_after=1)
    try:
        jobs = [py(f"print({i})") for i in range(6)]
        outputs = [item.result async for item in executor.stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs))]
    finally:
        pool.settings = settings
    assert all(r.outcome == pb.OUTCOME_OK for r in outputs), [r.message for r in outputs if r.outcome]
    for _ in range(200):  # backoff 0.5 s, 1 s, 1.5 s
        if slot.usable and not slot.recycling:
            break
        await asyncio.sleep(0.05)
    assert slot.usable, "the slot was given up on after failed restarts"
    assert pool.restart_failures - failures == 3
    reply = await executor.stub.Execute(py("print('after')"))
    assert reply.outcome == pb.OUTCOME_OK
