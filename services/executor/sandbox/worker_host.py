"""The run host's kernel interface, inside the sandbox: namespaces, mounts, privileges, seccomp, clean-up.

Standard library only (see worker.py, which imports it). In mode ``namespaces`` the worker becomes the run host
here: pid 1 of a private pid namespace with its own /proc, size-capped tmpfs on /tmp and /dev/shm, no
capabilities, no_new_privs and the seccomp filter loaded, all inherited by the programs it forks. After each run
it kills and reaps every other process of the namespace and wipes /tmp and /dev/shm.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_SECCOMP, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 22, 24, 38
PR_SET_CHILD_SUBREAPER = 36
# Rounds of killing the worker's children in mode none: each round's kills hand their own children to the worker.
MAX_KILL_ROUNDS = 100
SECCOMP_MODE_FILTER = 2
# The worker keeps its pipes to the supervisor on these, off fds 0-2, so that runs never inherit or clobber them.
PROTO_IN, PROTO_OUT = 10, 11

libc = ctypes.CDLL(None, use_errno=True)


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
    """Removes a file or tree, also parts the program made unreadable or read-only (its uid owns every part).

    Raises when something cannot be removed: the worker then stops serving (a dirty /tmp must never reach the
    next run) and the slot is recycled.
    """
    if not os.path.isdir(path) or os.path.islink(path):
        os.unlink(path)
        return
    try:
        shutil.rmtree(path)
    except OSError:  # a folder the program locked: open every folder up, then remove what is left
        unlock(path)
        shutil.rmtree(path)


def unlock(path):
    """Makes every folder of a tree accessible to its owner; links are never followed or changed."""
    os.chmod(path, 0o700)
    # Top-down: each folder is made accessible before the walk lists it.
    for top, dirs, _ in os.walk(path):
        for name in dirs:
            folder = os.path.join(top, name)
            if not os.path.islink(folder):
                os.chmod(folder, 0o700)


def kill_others():
    """Namespaces mode: SIGKILL every process of the run host's pid namespace except the host.

    kill(-1) from the namespace's init reaches exactly the other processes of the namespace (processes outside
    it have no pid in it), in one system call and without listing /proc: each object this process creates after
    a fork costs a page fault.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGKILL)


def become_subreaper():
    """Mode none: whatever a run leaves running is re-parented to this worker, not to init, so it can be found.

    Without it a program that double-forks (setsid, then fork) leaves its process group and outlives the run,
    free to tamper with later runs of the same uid (their files, their processes). The worker is also made
    non-dumpable: runs share its uid, and one could otherwise ptrace another slot's worker and rewrite it in
    memory (each program makes itself dumpable again, for its own /proc files).
    """
    check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "PR_SET_CHILD_SUBREAPER")
    check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "PR_SET_DUMPABLE")


def kill_group(pid):
    """Mode none: kills the run's process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def children():
    """The pids whose parent is this process (zombies included), from /proc."""
    me, found = str(os.getpid()), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:  # gone meanwhile
                continue
            if stat.rsplit(b")", 1)[1].split()[1].decode() == me:
                found.append(int(entry))
    return found


def kill_descendants(program=None):
    """Mode none: kills the run's processes, the ones that left its group included, and reaps them.

    `program`, the run's own process, is killed with its group but left for the caller to reap (its status is
    the run's); every other process under this subreaper is killed and reaped, round after round.
    """
    if program is not None:
        kill_group(program)
    for _ in range(MAX_KILL_ROUNDS):
        others = [pid for pid in children() if pid != program]
        if not others:
            return
        for pid in others:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in others:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    raise RuntimeError(f"processes of a run still appear after {MAX_KILL_ROUNDS} rounds of kills")
