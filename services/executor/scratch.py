"""The executor's temporary folders, named after the process that made them, so a later start can clean up.

A graceful stop removes them; a killed executor (SIGKILL, OOM, a crash) cannot, and every such death used to
leave its runtime folder (worker files, run folders) and its browser home under /tmp for good. The name carries
the pid and the process's start time: a later executor removes the folders of processes that are gone, including
an earlier executor with the same pid (in a container restarted in place the executor always has the same pid,
and a memory-backed /tmp outlives the restart).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

KINDS = ("executor", "browser")


def started(pid: int | str) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def make(kind: str) -> Path:
    """A new private folder `synthmesh-<kind>-<pid>.<start time>-<random>` in the temporary directory."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of folder {kind!r}")
    return Path(tempfile.mkdtemp(prefix=f"synthmesh-{kind}-{os.getpid()}.{started(os.getpid())}-"))


def remove_stale(root: Path | None = None) -> int:
    """Removes the folders of executors that no longer run; returns how many.

    A folder stays while a process with its pid and start time runs (this one, or another executor): removing a
    live executor's folders would break it, keeping a dead one's costs only space.
    """
    base = root or Path(tempfile.gettempdir())
    pattern = re.compile(rf"synthmesh-(?:{'|'.join(KINDS)})-(\d+)\.(\d+)-")
    removed = 0
    for folder in base.glob("synthmesh-*-*-*"):
        match = pattern.match(folder.name)
        if not match or not folder.is_dir() or folder.is_symlink() or started(match[1]) == match[2]:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    if removed:
        log.info("removed temporary folders of executors that are gone", extra={"folders": removed})
    return removed
