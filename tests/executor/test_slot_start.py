"""A slot whose new worker cannot join its cgroup fails to start with SlotError and leaves no process behind.

Seen in a benchmark: recycling a slot after EXECUTOR_RECYCLE_AFTER jobs, writing the new shell's pid to
cgroup.procs failed with ESRCH, and the ProcessLookupError escaped into the batch as an UNKNOWN gRPC error
instead of being retried by the pool.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.mark.skipif(os.geteuid() != 0, reason="slots start as root")
async def test_cgroup_join_failure_is_a_slot_error(tmp_path: Path) -> None:
    spec = LaunchSpec(mode="bwrap", bwrap="/usr/bin/bwrap", python="/usr/bin/python3", node="/usr/bin/node",
                      runtime_dir=tmp_path, tmpfs_bytes=1 << 20)
    group = GoneGroup(tmp_path)
    slot = Slot(0, spec, None, group, None)
    with pytest.raises(SlotError, match="could not join its cgroup"):
        await slot.start()
    assert slot.proc is not None
    assert slot.proc.returncode is not None, "the shell waiting to become bwrap was left running"
    assert group.killed == 1
    assert not slot.usable
