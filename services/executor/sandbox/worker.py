"""Warm fork server that runs *inside* one hardened sandbox per worker slot. Standard library only.

The slot supervisor starts it under Debian's /usr/bin/python3 inside bubblewrap, as the slot's unprivileged
uid, with an empty environment. It reads one JSON request per line on fd 0 and answers one JSON line on fd 1.

In mode ``namespaces`` (the default) the worker first builds a run host:

    worker ─unshare(user, mount, pid), fork─▶ host: pid 1 of a private pid namespace, with its own /proc, a
                                              size-capped tmpfs on /tmp and /dev/shm, no capabilities,
                                              no_new_privs and the seccomp filter loaded (inherited by runs)
                                              └─fork per run─▶ program: rlimits, then Python in this warm
                                                               interpreter, or node by exec

The host serves every request. After each run it kills every other process of its pid namespace (a program
cannot hide from pid 1, nor signal it), reaps them and wipes /tmp and /dev/shm, so no process and no file of
a run survives into the next. The program cannot reach the worker outside the namespace at all. Objects are
frozen out of the garbage collector before forking, so runs do not copy the interpreter's pages.

Mode ``none`` (no sandbox: a Docker slot, a pod under gVisor, or development) forks programs directly in a fresh
folder per run; the worker is their subreaper and kills every process a run left behind. Timing, output caps
and kills happen here; the supervisor decides verdicts from the raw facts this worker reports.

The code is split by role: worker_host.py (namespaces, privileges, clean-up), worker_program.py (the forked
program) and this file (the request loop and the supervision of one run). All three are copied next to each
other into the slot's runtime folder; standard library only.
"""

from __future__ import annotations

import gc
import io
import json
import os
import resource
import select
import shutil
import signal
import sys
import time

# The interpreter runs with -I (no script folder on sys.path): the sibling modules are imported from this file's
# folder, which is then taken off the path again so that programs' imports never see it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from worker_host import PROTO_IN, PROTO_OUT, become_host, become_subreaper, clean_host, kill_descendants, kill_others
from worker_program import become_program, inherit_environment, job_environment, paths, write_files

del sys.path[0]

EVENTS_CAP = 4 * 1024 * 1024
# One event per test case (the supervisor allows 5000) and a few about the run (exception, syntax or setup error).
MAX_EVENT_LINES = 6000


class Capture:
    """One stream of a run being read."""

    def __init__(self, fd):
        self.fd = fd
        self.chunks = []
        self.size = 0
        self.open = True


def supervise(pid, streams, events, deadline, output_cap, kill):
    """Collects output until the run ends; kills it at the deadline or when output exceeds the cap.

    When the program exits, whatever it left running is killed at once, so the pipes close promptly.
    """
    pidfd = os.pidfd_open(pid)
    killed, exited, total = "", False, 0
    captures = [*streams, events]
    try:
        while any(c.open for c in captures) or not exited:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                if exited or killed:
                    break  # a descendant outside our reach holds a pipe (mode none only)
                killed = "timeout"
                kill()
                deadline = time.monotonic() + 2.0
                continue
            fds = [c.fd for c in captures if c.open] + ([] if exited else [pidfd])
            ready, _, _ = select.select(fds, [], [], timeout)
            if pidfd in ready:
                exited = True
                kill()
                deadline = min(deadline, time.monotonic() + 1.0)
            for cap in captures:
                if not (cap.open and cap.fd in ready):
                    continue
                data = os.read(cap.fd, 65536)
                if not data:
                    cap.open = False
                    continue
                if cap is events:
                    cap.chunks.append(data[: max(0, EVENTS_CAP - cap.size)])
                    over = cap.size + len(data) > EVENTS_CAP
                else:
                    cap.chunks.append(data[: max(0, output_cap - total)])
                    total += len(data)
                    over = total > output_cap
                cap.size += len(data)
                if over and not killed and not exited:
                    killed = "output"
                    kill()
    finally:
        os.close(pidfd)
    return killed


def run_once(req, config):
    """Runs one request and returns the raw facts about it."""
    isolated = config["mode"] == "namespaces"
    if not isolated:
        base = os.path.join(config["scratch"], f"run-{os.getpid()}-{time.monotonic_ns()}")
        paths.update(job=os.path.join(base, "w"), stdin=os.path.join(base, ".stdin"),
                     spec=os.path.join(base, ".spec.json"))
    write_files(req["files"], req.get("stdin", ""))
    inherit_environment(job_environment(req["limits"]))
    pipes = [os.pipe() for _ in range(3)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        become_program(req, config, pipes[0][1], pipes[1][1], pipes[2][1])
    for _, w in pipes:
        os.close(w)
    out, err, events = (Capture(r) for r, _ in pipes)
    kill = kill_others if isolated else (lambda: kill_descendants(pid))
    killed = supervise(pid, [out, err], events, start + req["limits"]["wall"], req["limits"]["output"], kill)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    for cap in (out, err, events):
        os.close(cap.fd)
    if isolated:
        clean_host()
    else:
        kill_descendants()
        shutil.rmtree(base, ignore_errors=True)
    # The CPU of every process of the run: the host reaps what the program left (its pid namespace's orphans), so
    # children the program never waited for count too. Peak memory is the program's own (largest process).
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    stdout, stderr = b"".join(out.chunks), b"".join(err.chunks)
    return {
        "killed": killed, "status": status, "wall": wall, "cpu": cpu, "maxrss": usage.ru_maxrss * 1024,
        "stdout": stdout.decode("utf-8", "replace"), "stderr": stderr.decode("utf-8", "replace"),
        "stdout_truncated": out.size > len(stdout), "stderr_truncated": err.size > len(stderr),
        "events": parse_events(b"".join(events.chunks)),
    }


def parse_events(blob):
    """Decodes the event lines a run wrote on fd 3: at most MAX_EVENT_LINES are looked at, junk is dropped.

    The program can write to fd 3 itself, so a line is trusted no further than its shape, and a flood of empty or
    malformed lines must cost neither memory nor time here (it is read after the run's limits stopped applying).
    """
    events = []
    for count, line in enumerate(io.BytesIO(blob)):
        if count == MAX_EVENT_LINES:
            break
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            events.append(item)
    return events


def preload(modules):
    """Imports the modules programs commonly use, once, so that forked runs find them warm.

    A cold `import typing` costs a run ~5 ms. Runs get their own copy-on-write copy of each module; nothing
    flows back into the worker.
    """
    for name in modules:
        try:
            __import__(name)
        except Exception:  # noqa: S112 - a module missing from this Python is simply not preloaded
            continue


def send(obj):
    """Writes one reply line to the supervisor, however large."""
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(PROTO_OUT, data):]


def main():
    """Sets up, then serves requests until fd 0 closes."""
    config = json.loads(sys.argv[1])
    bpf = b""
    if config.get("seccomp"):
        with open(config["seccomp"], "rb") as f:
            bpf = f.read()
    # Keep the protocol off fds 0-2 so that runs never inherit or clobber it.
    os.dup2(0, PROTO_IN)
    os.dup2(1, PROTO_OUT)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if config["mode"] == "namespaces":
        become_host(config, bpf)
    else:
        become_subreaper()
    preload(config.get("preload", ()))
    # Forked runs would otherwise copy every page the collector touches; frozen objects are never scanned.
    gc.freeze()
    reader = os.fdopen(PROTO_IN, "rb")
    send({"ready": True})
    for line in reader:
        try:
            reply = run_once(json.loads(line), config)
        except Exception as exc:
            # Fail closed: a run that could not be cleaned up must not leave its files or processes to the request
            # already queued behind it. The supervisor recycles the slot.
            send({"worker_error": f"{type(exc).__name__}: {exc}"})
            os._exit(1)
        send(reply)


if __name__ == "__main__":
    main()
