"""The executor's temporary folders, named after the process that made them, so a later start can clean up.

A graceful stop removes them; a killed executor (SIGKILL, OOM, a crash) cannot, and every such death used to
leave its runtime folder (worker files, run folders) and its browser home under /tmp for good. The pid in the
name tells a later executor which folders belong to processes that are gone, as the cgroups' names do.
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


def make(kind: str) -> Path:
    """A new private folder `synthmesh-<kind>-<pid>-<random>` in the temporary directory."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of folder {kind!r}")
    return Path(tempfile.mkdtemp(prefix=f"synthmesh-{kind}-{os.getpid()}-"))


def remove_stale(root: Path | None = None) -> int:
    """Removes the folders of executors that no longer run; returns how many.

    A folder whose pid runs (this process, another executor, or an unrelated process that reused the pid) stays:
    keeping a dead executor's leftovers is harmless, removing a live one's is not.
    """
    base = root or Path(tempfile.gettempdir())
    pattern = re.compile(rf"synthmesh-(?:{'|'.join(KINDS)})-(\d+)-")
    removed = 0
    for folder in base.glob("synthmesh-*-*-*"):
        match = pattern.match(folder.name)
        if not match or not folder.is_dir() or folder.is_symlink() or Path(f"/proc/{match[1]}").exists():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    if removed:
        log.info("removed temporary folders of executors that are gone", extra={"folders": removed})
    return removed
