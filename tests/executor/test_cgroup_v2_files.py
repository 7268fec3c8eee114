"""The cgroup v2 slot groups' file protocol, on a directory laid out like a v2 hierarchy.

This machine's v2 hierarchy has no memory or pids controllers (Debian 12 hybrid mode gives them to v1), so the
kernel's enforcement under v2 cannot be exercised here; what can be checked is which files the executor writes
and reads, and that a hierarchy that does not hand the controllers down is refused with a useful message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.executor.sandbox import cgroups


def _tree(root: Path, enabled: str) -> None:
    (root / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids\n")
    (root / "cgroup.subtree_control").write_text(enabled + "\n")


def test_v2_group_writes_limits_and_reads_oom_kills(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path, "cpu memory pids")
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    assert cgroups.detect() == "v2"
    group = cgroups.create("v2", "slot-0")
    assert isinstance(group, cgroups.V2Group)
    parent = tmp_path / cgroups.GROUP
    assert (parent / "cgroup.subtree_control").read_text() == "+pids +memory"
    assert group.procs_files() == [parent / "slot-0" / "cgroup.procs"]
    group.set_limits(256 << 20, 64)
    assert (parent / "slot-0" / "memory.max").read_text() == str(256 << 20)
    assert (parent / "slot-0" / "pids.max").read_text() == "64"
    (parent / "slot-0" / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n")
    assert group.oom_kills() == 2


def test_v2_without_delegated_controllers_is_refused_with_the_remedy(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path, "hugetlb")
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    with pytest.raises(cgroups.CgroupError, match=r"not pids and memory; move the processes"):
        cgroups.create("v2", "slot-0")
    assert not (tmp_path / cgroups.GROUP).exists()
