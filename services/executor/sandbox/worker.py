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

Mode ``none`` (no sandbox, explicitly opted into) forks programs directly in a fresh folder per run and kills
their process group. Timing, output caps and kills happen here; the supervisor decides verdicts from the raw
facts this worker reports.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback  # imported here, warm: a cold import would cost every run ~8 ms

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_SECCOMP, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 22, 24, 38
SECCOMP_MODE_FILTER = 2
EVENTS_CAP = 4 * 1024 * 1024
PROTO_IN, PROTO_OUT = 10, 11

libc = ctypes.CDLL(None, use_errno=True)
paths = {"job": "/tmp/w", "stdin": "/tmp/.stdin", "spec": "/tmp/.spec.json"}
inherited = {"environment": None}  # what inherit_environment last set


class SockFprog(ctypes.Structure):
    """struct sock_fprog for PR_SET_SECCOMP."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class CapHeader(ctypes.Structure):
    """struct __user_cap_header_struct."""

    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    """struct __user_cap_data_struct."""

    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def check(result, what):
    """Raises OSError with errno when a libc call failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data):
    """Mounts `source` on `target` (the mount system call)."""
    check(libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                     data.encode() if data else None), f"mount {target}")


# --- the run host (mode "namespaces") -------------------------------------------------------------------


def become_host(config, bpf):
    """Creates the private namespaces and returns in the host (pid 1); the worker stays behind and waits."""
    uid, gid = os.getuid(), os.getgid()
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID), "unshare")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")
    host = os.fork()
    if host:
        # The worker: outlives the host only to report its end; bwrap then exits and the slot recycles.
        os.close(PROTO_IN)
        os.close(PROTO_OUT)
        _, status = os.waitpid(host, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF or 1)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    size = config["tmpfs_bytes"]
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV, None)
    # Nothing below needs privilege: drop every capability for good, then lock the syscall surface. Runs
    # inherit all of it.
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    check(libc.capset(ctypes.byref(CapHeader(0x20080522, 0)), (CapData * 2)()), "capset")
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    load_seccomp(bpf)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def load_seccomp(bpf):
    """Installs the classic-BPF seccomp program the supervisor compiled."""
    if not bpf:
        return
    buf = ctypes.create_string_buffer(bpf)
    prog = SockFprog(len(bpf) // 8, ctypes.addressof(buf))
    check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")


def clean_host():
    """Kills and reaps every process but the host, then empties /tmp and /dev/shm.

    Every process of the namespace is the host's descendant, and orphans are re-parented to it (pid 1), so the
    namespace is empty once the host has no child left.
    """
    for _ in range(1000):
        kill_others()
        if reap():
            break
        time.sleep(0.0005)
    for top in ("/tmp", "/dev/shm"):
        for name in os.listdir(top):
            wipe(os.path.join(top, name))


def reap():
    """Collects every exited child (orphans of runs are re-parented to the host); True once none is left."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            return False


def wipe(path):
    """Removes a file or tree even when the program made parts of it read-only."""
    def allow_and_retry(func, target, _exc_info):
        try:
            os.chmod(os.path.dirname(target), 0o700)
            func(target)
        except OSError:
            pass
    if os.path.isdir(path) and not os.path.islink(path):
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=allow_and_retry)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


# --- one run ------------------------------------------------------------------------------------------


def write_files(files, stdin):
    """Writes the job's files (paths were validated by the supervisor) and its stdin."""
    os.makedirs(paths["job"], exist_ok=True)
    for path, content in files:
        full = os.path.join(paths["job"], path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(content)
    with open(paths["stdin"], "w", encoding="utf-8") as f:
        f.write(stdin)


def set_limits(limits):
    """Per-run rlimits. RLIMIT_NPROC counts per user namespace, so it bounds this run's processes."""
    cpu = max(1, int(limits["cpu"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))


def job_environment(limits):
    """The only environment a program sees."""
    return {"PATH": "/usr/bin:/bin", "HOME": paths["job"], "LANG": "C.UTF-8", "PYTHONUTF8": "1",
            "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp",
            "NODE_OPTIONS": f"--max-old-space-size={max(16, limits['memory'] // (1 << 20))}"}


def inherit_environment(env):
    """Makes `env` this process's environment, for the program forked next to inherit.

    Setting it here rather than in the program saves each run the pages its own copy of os.environ's machinery
    would dirty (about 40 copy-on-write faults); here it changes only when a run's limits or folder differ from
    the previous run's. The host's /proc/<pid>/environ keeps showing what it was started with.
    """
    if inherited["environment"] != env:
        os.environ.clear()
        os.environ.update(env)
        inherited["environment"] = env


def emit(event):
    """Program side: reports an event on fd 3 (one JSON object per line)."""
    os.write(3, (json.dumps(event) + "\n").encode())


def become_program(req, config, out_w, err_w, res_w):
    """The forked child: standard streams, environment, limits, then Python or node. Never returns."""
    try:
        os.setsid()
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        # If the job's memory limit is hit, the kernel must pick the program, never the run host.
        oom = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        os.write(oom, b"1000")
        os.close(oom)
        stdin_fd = os.open(paths["stdin"], os.O_RDONLY)
        os.unlink(paths["stdin"])
        for fd, target in ((stdin_fd, 0), (out_w, 1), (err_w, 2), (res_w, 3)):
            os.dup2(fd, target)
        os.closerange(4, 1 << 16)
        os.chdir(paths["job"])
        set_limits(req["limits"])
        if req["language"] == "python":
            run_python(req)
        else:
            run_node(req, config)
    except BaseException as exc:
        os.write(res_w, (json.dumps({"sandbox_error": f"{type(exc).__name__}: {exc}"}) + "\n").encode())
    os._exit(125)


def run_python(req):
    """Compiles and runs the program in this warm interpreter, then its test cases."""
    entry = os.path.join(paths["job"], req["entrypoint"])
    sys.path[:0] = [os.path.dirname(entry)]
    sys.argv = [entry]
    sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    with open(entry, encoding="utf-8") as f:
        source = f.read()
    try:
        code = compile(source, entry, "exec")
    except (SyntaxError, ValueError) as exc:
        emit({"syntax_error": f"{type(exc).__name__}: {exc}", "line": getattr(exc, "lineno", 0) or 0})
        os._exit(1)
    cases = req.get("cases")
    scope = {"__name__": "__main__" if cases is None else "solution", "__file__": entry,
             "__builtins__": builtins}
    status = 0
    try:
        exec(code, scope)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:
        # Skip this runner's own frame so that the traceback starts in the program.
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        emit({"exception": f"{type(exc).__name__}: {exc}"[:2000], "memory": isinstance(exc, MemoryError)})
        status = 1
    if cases is not None and status == 0:
        run_cases(req.get("setup", ""), cases, scope)
    flush_and_exit(status)


def run_cases(setup, cases, scope):
    """Runs each test case in the program's namespace; one event per case."""
    try:
        if setup:
            exec(compile(setup, "<test setup>", "exec"), scope)
    except BaseException as exc:
        emit({"setup_error": f"{type(exc).__name__}: {exc}"[:2000]})
        return
    for index, case in enumerate(cases):
        start = time.perf_counter()
        event = {"case": index, "status": "pass", "message": ""}
        try:
            exec(compile(case, f"<test {index}>", "exec"), scope)
        except AssertionError as exc:
            event.update(status="fail", message=f"AssertionError: {exc}"[:2000] if str(exc) else "")
        except MemoryError:
            event.update(status="memory", message="MemoryError")
        except BaseException as exc:
            event.update(status="error", message=f"{type(exc).__name__}: {exc}"[:2000])
        event["seconds"] = time.perf_counter() - start
        emit(event)


def flush_and_exit(status):
    """Flushes the program's buffered output and exits without running interpreter shutdown."""
    for stream in (sys.stdout, sys.stderr):
        # A closed or broken stream loses only its tail.
        with contextlib.suppress(BaseException):
            stream.flush()
    os._exit(status & 0xFF)


def run_node(req, config):
    """Execs node on the harness, which emits the same events as the Python runner."""
    spec = {"entrypoint": os.path.join(paths["job"], req["entrypoint"]), "cases": req.get("cases"),
            "setup": req.get("setup", "")}
    with open(paths["spec"], "w", encoding="utf-8") as f:
        json.dump(spec, f)
    # The environment is the run's already: the host set it before the fork (inherit_environment).
    os.execv(config["node"], [config["node"], config["harness_js"], paths["spec"]])


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


def kill_others():
    """Namespaces mode: SIGKILL every process of the run host's pid namespace except the host.

    kill(-1) from the namespace's init reaches exactly the other processes of the namespace (processes outside
    it have no pid in it), in one system call and without listing /proc: each object this process creates after
    a fork costs a page fault.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)


def kill_group(pid):
    """Mode none: kills the run's process group (a program may escape it; that is what 'none' means)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


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
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        become_program(req, config, pipes[0][1], pipes[1][1], pipes[2][1])
    for _, w in pipes:
        os.close(w)
    out, err, events = (Capture(r) for r, _ in pipes)
    kill = kill_others if isolated else (lambda: kill_group(pid))
    killed = supervise(pid, [out, err], events, start + req["limits"]["wall"], req["limits"]["output"], kill)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    for cap in (out, err, events):
        os.close(cap.fd)
    if isolated:
        clean_host()
    else:
        kill_group(pid)
        shutil.rmtree(base, ignore_errors=True)
    stdout, stderr = b"".join(out.chunks), b"".join(err.chunks)
    return {
        "killed": killed, "status": status, "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime, "maxrss": usage.ru_maxrss * 1024,
        "stdout": stdout.decode("utf-8", "replace"), "stderr": stderr.decode("utf-8", "replace"),
        "stdout_truncated": out.size > len(stdout), "stderr_truncated": err.size > len(stderr),
        "events": parse_events(b"".join(events.chunks)),
    }


def parse_events(blob):
    """Decodes the event lines a run wrote on fd 3; garbage lines are kept as a note, not trusted."""
    events = []
    for line in blob.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            item = {"garbage": line[:200].decode("utf-8", "replace")}
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
    preload(config.get("preload", ()))
    # Forked runs would otherwise copy every page the collector touches; frozen objects are never scanned.
    gc.freeze()
    reader = os.fdopen(PROTO_IN, "rb")
    send({"ready": True})
    for line in reader:
        try:
            reply = run_once(json.loads(line), config)
        except Exception as exc:
            reply = {"worker_error": f"{type(exc).__name__}: {exc}"}
        send(reply)


if __name__ == "__main__":
    main()
