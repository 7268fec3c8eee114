"""A killed executor's temporary folders are removed by the next executor's start, and nobody else's are."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from services.executor import scratch


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_only_folders_of_processes_that_are_gone_are_removed(tmp_path: Path) -> None:
    gone, me = dead_pid(), os.getpid()
    # A dead process, and an earlier process with this process's pid (a container restarted in place).
    leftovers = [tmp_path / f"synthmesh-executor-{gone}.123-abc", tmp_path / f"synthmesh-browser-{gone}.456-def",
                 tmp_path / f"synthmesh-executor-{me}.1-old"]
    for folder in leftovers:
        (folder / "scratch-0" / "run").mkdir(parents=True)
        (folder / "worker.py").write_text("print('left behind')")
    mine = tmp_path / f"synthmesh-executor-{me}.{scratch.started(me)}-ghi"
    other = tmp_path / f"synthmesh-notes-{gone}.1-jkl"
    for folder in (mine, other):
        folder.mkdir()
    (tmp_path / f"synthmesh-executor-{gone}.1-lnk").symlink_to(mine)
    assert scratch.remove_stale(tmp_path) == 3
    assert not any(folder.exists() for folder in leftovers)
    assert mine.is_dir() and other.is_dir(), "a live executor's folder, or a folder not ours, must stay"
    assert (tmp_path / f"synthmesh-executor-{gone}.1-lnk").is_symlink()


def test_folders_are_named_after_their_process() -> None:
    folder = scratch.make("executor")
    try:
        assert folder.name.startswith(f"synthmesh-executor-{os.getpid()}.{scratch.started(os.getpid())}-")
        assert folder.is_dir()
    finally:
        folder.rmdir()
