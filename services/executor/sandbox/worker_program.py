"""One run's program, inside the sandbox: the forked child that becomes the job's Python or node process.

Standard library only (see worker.py). The run host writes the job's files, sets the run's environment and
forks; the child here takes its standard streams and the event pipe, its limits, and then runs Python in the
warm interpreter it was forked from (compile, exec, then one event per test case) or execs node on the harness.
Events go to fd 3, one JSON object per line; the run host turns them into facts for the supervisor.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import resource
import sys
import time
import traceback  # imported here, warm: a cold import would cost every run ~8 ms

from worker_host import PR_SET_DUMPABLE, libc

# Where a run's files go: a private tmpfs in mode namespaces; mode none points them at a fresh folder per run.
paths = {"job": "/tmp/w", "stdin": "/tmp/.stdin", "spec": "/tmp/.spec.json"}
inherited = {"environment": None}  # what inherit_environment last set
RUNNER_MODULES = ("worker_host", "worker_program")
# Node's own data segment before the program allocates anything: 48 MiB measured on node 20 with V8's
# reservations; it does not start below about 80 MiB, so the smallest JavaScript limit (64 MiB) still fits.
NODE_DATA_BASE = 64 << 20


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


def limit_data(language, memory):
    """Mode none only: caps the run's memory at its limit above what its runtime starts with.

    In mode namespaces the slot's memory cgroup holds each run to its limit. Without it (a Docker slot, a pod
    under gVisor, or no isolation at all) nothing else keeps one run from taking the memory every run of the
    host shares; a Python run then meets MemoryError at its limit, node a failed allocation. Linux counts mmap'd
    memory in the data segment, gVisor only brk: Python runs get the same cap on their address space too (node's
    V8 reserves gigabytes of address space it never uses, so node keeps its heap flag and the data limit). The
    forked Python child starts with the warm interpreter's segments, which are its own and not the program's.
    Each thread reserves its stack (8 MiB), which counts against the limit as well.
    """
    if language == "python":
        sizes = {}
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(("VmData:", "VmSize:")):
                    sizes[line[:6]] = int(line.split()[1]) << 10
        resource.setrlimit(resource.RLIMIT_DATA, (sizes["VmData"] + memory, sizes["VmData"] + memory))
        resource.setrlimit(resource.RLIMIT_AS, (sizes["VmSize"] + memory, sizes["VmSize"] + memory))
    else:
        resource.setrlimit(resource.RLIMIT_DATA, (NODE_DATA_BASE + memory, NODE_DATA_BASE + memory))


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
        if config["mode"] != "namespaces":
            limit_data(req["language"], req["limits"]["memory"])
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
    # The runner's own modules stay loaded (their functions are running), but a program importing a file of
    # the same name must get its own file.
    for name in RUNNER_MODULES:
        sys.modules.pop(name, None)
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
