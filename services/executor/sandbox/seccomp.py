"""The seccomp filter every untrusted run loads before its first instruction.

Default allow, with denials for what a program never needs and an attacker always wants: sockets other than
AF_UNIX (no network even if a namespace were misconfigured), ptrace, mounts, namespace changes, kernel
keyrings, BPF, userfaultfd, io_uring, module loading, IPC objects that outlive a run, and similar. fork stays
allowed: the cgroup's pids limit, not seccomp, bounds a fork bomb. clone3 answers ENOSYS because its flags live
in memory seccomp cannot read; glibc then falls back to clone, whose namespace flags are checked here.
"""

from __future__ import annotations

import errno
import socket
import tempfile

import pyseccomp as sc

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root", "chroot",
    "unshare", "setns", "bpf", "keyctl", "add_key", "request_key", "userfaultfd", "perf_event_open",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "syslog", "name_to_handle_at", "open_by_handle_at", "fsopen", "fsmount",
    "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr", "lookup_dcookie", "vhangup",
    "setdomainname", "sethostname", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "iopl", "ioperm", "personality",
    # System V IPC and POSIX message queues live in the slot's IPC namespace, not in a run's files or processes:
    # what one run leaves there (data, or shared memory charged to the slot's cgroup) would reach the next runs.
    "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
    "semtimedop", "semctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr",
)
NOT_IMPLEMENTED = ("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register")
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: any one of them is refused.
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


def build_filter() -> sc.SyscallFilter:
    """The filter as a libseccomp object (for tests and inspection)."""
    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED:
        flt.add_rule(sc.ERRNO(errno.EPERM), name)
    for name in NOT_IMPLEMENTED:
        flt.add_rule(sc.ERRNO(errno.ENOSYS), name)
    flt.add_rule(sc.ERRNO(errno.EPERM), "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    for flag in NAMESPACE_FLAGS:
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    return flt


def export_bpf() -> bytes:
    """The filter compiled to classic BPF, ready for prctl(PR_SET_SECCOMP) inside the sandbox."""
    with tempfile.TemporaryFile() as out:
        build_filter().export_bpf(out)
        out.seek(0)
        return out.read()
