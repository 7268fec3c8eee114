"""A slot whose new worker cannot join its cgroup fails to start with SlotError and leaves no process behind.

Seen in a benchmark: recycling a slot after EXECUTOR_RECYCLE_AFTER jobs, writing the new shell's pid to
cgroup.procs failed with ESRCH, and the ProcessLookupError escaped into the batch as an UNKNOWN gRPC error
instead of being retried by the pool.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.executor.sandbox.pool import PoolSettings, prepare_runtime_dir
from services.executor.sandbox.slots import LaunchSpec, Slot, SlotError


class GoneGroup:
    """A cgroup whose cgroup.procs refuses the new pid, as v1 does for a process that has exited."""

    def __init__(self, tmp: Path) -> None:
        self.procs = tmp / "no-such-group" / "cgroup.procs"
        self.killed = 0

    def ensure(self) -> None:
        pass

    def procs_files(self) -> list[Path]:
        return [self.procs]

    def set_limits(self, memory_bytes: int, max_pids: int) -> None:
        pass

    def oom_kills(self) -> int:
        return 0

    def kill_all(self) -> None:
        self.killed += 1

    def remove(self) -> None:
        pass


SLOT_UID = 61700  # no other test's executor uses it


@pytest.fixture
def runtime() -> Iterator[Path]:
    """The pool's runtime folder (worker, harness, seccomp program), removed afterwards."""
    settings = PoolSettings(mode="bwrap", slots=1, uid_base=SLOT_UID, recycle_after=10, python="/usr/bin/python3",
                            node="/usr/bin/node", bwrap="/usr/bin/bwrap", tmpfs_bytes=1 << 20)
    folder = prepare_runtime_dir(settings)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def bwrap_slot(runtime: Path, group: GoneGroup) -> Slot:
    """A slot that can really start, as the pool's would."""
    spec = LaunchSpec(mode="bwrap", bwrap="/usr/bin/bwrap", python="/usr/bin/python3", node="/usr/bin/node",
                      runtime_dir=runtime, tmpfs_bytes=1 << 20)
    return Slot(0, spec, SLOT_UID, group, None)


@pytest.mark.skipif(os.geteuid() != 0, reason="slots start as root")
async def test_cgroup_join_failure_is_a_slot_error(tmp_path: Path, runtime: Path) -> None:
    group = GoneGroup(tmp_path)
    slot = bwrap_slot(runtime, group)
    with pytest.raises(SlotError, match="could not join its cgroup"):
        await slot.start()
    assert slot.proc is not None
    assert slot.proc.returncode is not None, "the shell waiting to become bwrap was left running"
    assert group.killed == 1
    assert not slot.usable


class CountingGroup(GoneGroup):
    """A 'cgroup' whose cgroup.procs is a plain file (so joining it works) and whose counters can break."""

    def __init__(self, tmp: Path, oom_error: bool = False, kill_error: bool = False) -> None:
        super().__init__(tmp)
        self.procs = tmp / "cgroup.procs"
        self.procs.touch()
        self.oom_error, self.kill_error = oom_error, kill_error

    def oom_kills(self) -> int:
        if self.oom_error:
            raise OSError(5, "Input/output error")
        return 0

    def kill_all(self) -> None:
        self.killed += 1
        if self.kill_error:
            raise OSError(5, "Input/output error")


@pytest.mark.skipif(os.geteuid() != 0, reason="slots start as root")
async def test_any_failure_after_the_worker_started_is_a_slot_error_and_stops_it(tmp_path: Path,
                                                                                 runtime: Path) -> None:
    # An OSError from a cgroup counter once the worker is up (a host short of resources) used to escape as is,
    # which the pool's restart loop did not retry: the slot stayed dead and its callers waited forever.
    slot = bwrap_slot(runtime, CountingGroup(tmp_path, oom_error=True))
    with pytest.raises(SlotError, match=r"could not start .*OSError"):
        await slot.start()
    assert slot.proc is not None and slot.proc.returncode is not None, "the started worker was left running"
    assert not slot.usable


@pytest.mark.skipif(os.geteuid() != 0, reason="slots start as root")
async def test_stop_kills_the_worker_even_when_the_cgroup_kill_fails(tmp_path: Path, runtime: Path) -> None:
    group = CountingGroup(tmp_path)
    slot = bwrap_slot(runtime, group)
    await slot.start()
    assert slot.proc is not None and slot.proc.returncode is None
    group.kill_error = True
    with pytest.raises(OSError, match="Input/output error"):
        await slot.stop()
    assert slot.proc.returncode is not None, "a failed cgroup kill left the old worker running"
