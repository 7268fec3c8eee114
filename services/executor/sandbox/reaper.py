"""Child-subreaper duties of the executor process (sandbox.md, trap 4).

When a slot's bubblewrap is killed, its in-sandbox pid 1 is orphaned. Without a subreaper it goes to the
host's init, which reaps in batches, and meanwhile the zombies count against the slot uid's process limit.
The executor marks itself a child subreaper so orphans come to it, and a thread reaps them: it peeks with
waitid(WNOWAIT) and reaps only exited children that run as one of the sandbox uids and that nobody tracks.
Everything else (slot processes it started, subprocesses of other code, Playwright's driver) is left to its
own waiter, so no library ever loses a child's exit status to this thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading
import time

log = logging.getLogger(__name__)
PR_SET_CHILD_SUBREAPER = 36


class Reaper:
    """Reaps sandbox orphans re-parented to this process; everything else is left alone."""

    def __init__(self, uids: range) -> None:
        self._uids = uids
        self._tracked: set[int] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._paused = False
        self.reaped = 0

    def start(self) -> None:
        """Becomes a subreaper and starts the reaping thread (idempotent)."""
        if self._thread:
            return
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            log.warning("PR_SET_CHILD_SUBREAPER failed: %s", os.strerror(ctypes.get_errno()))
            return
        self._thread = threading.Thread(target=self._loop, name="reaper", daemon=True)
        self._thread.start()

    def track(self, pid: int) -> None:
        """Marks a child this process started and will wait for itself."""
        with self._lock:
            self._tracked.add(pid)

    def untrack(self, pid: int) -> None:
        """Forgets a child after its owner reaped it."""
        with self._lock:
            self._tracked.discard(pid)

    def pause(self) -> None:
        """Stops reaping (at shutdown, when libraries wait for their own children)."""
        self._paused = True

    def _loop(self) -> None:
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                time.sleep(0.2)  # no children at all right now
                continue
            if info is None:
                continue
            with self._lock:
                ours = info.si_uid in self._uids and info.si_pid not in self._tracked
            if not ours or self._paused:
                time.sleep(0.01)  # its owner will reap it; do not spin on the same zombie
                continue
            with contextlib.suppress(ChildProcessError):
                os.waitpid(info.si_pid, os.WNOHANG)
                self.reaped += 1
