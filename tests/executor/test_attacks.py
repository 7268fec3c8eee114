"""The attack battery: each hostile program is contained, gets the right verdict, and the executor stays healthy.

Every attack runs through the real sandbox. After each one the executor must still answer health SERVING and
run an ordinary job correctly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from synthmesh.executor.v1 import executor_pb2 as pb

from .conftest import SECRET, Running, html, js, py

MIB = 1024 * 1024


@pytest_asyncio.fixture
async def healthy_after(executor: Running) -> AsyncIterator[None]:
    """Checks, after the attack, that the service is SERVING and still computes correctly."""
    yield
    health = health_pb2_grpc.HealthStub(executor.channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service="synthmesh.executor.v1.ExecutorService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    for _ in range(2):  # both slots
        result = await executor.stub.Execute(py("print(6 * 7)"))
        assert result.outcome == pb.OUTCOME_OK and result.stdout == "42\n"


pytestmark = pytest.mark.usefixtures("healthy_after")


async def test_fork_bomb_is_bounded(executor: Running) -> None:
    code = """
import os, time
n = 0
for _ in range(1000):
    try:
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        n += 1
    except OSError:
        break
print(n)
"""
    result = await executor.stub.Execute(py(code, limits=pb.Limits(max_processes=32)))
    assert result.outcome == pb.OUTCOME_OK
    assert int(result.stdout) < 40


async def test_eight_gib_allocation_hits_the_memory_limit(executor: Running) -> None:
    result = await executor.stub.Execute(py("x = b'x' * (8 << 30)\nprint(len(x))",
                                            limits=pb.Limits(memory_bytes=128 * MIB)))
    assert result.outcome == pb.OUTCOME_MEMORY_LIMIT


async def test_memory_within_the_sandboxs_own_overhead_still_counts(executor: Running) -> None:
    # The slot's cgroup also holds the sandbox's processes (96 MiB on top of the job's limit); a job that stays
    # under the cgroup's bound but over its own limit is still over its limit.
    result = await executor.stub.Execute(py("x = bytearray(80 << 20)\nprint(len(x))",
                                            limits=pb.Limits(memory_bytes=32 * MIB)))
    assert result.outcome == pb.OUTCOME_MEMORY_LIMIT, result.message
    assert result.peak_memory_bytes > 32 * MIB


async def test_cpu_spread_over_child_processes_still_counts(executor: Running) -> None:
    # RLIMIT_CPU bounds each process; three children spinning 0.6 s each stay under a 1 s limit one by one.
    code = """
import os, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        start = time.process_time()
        while time.process_time() - start < 0.6:
            pass
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
print('done')
"""
    result = await executor.stub.Execute(py(code, limits=pb.Limits(cpu_seconds=1, wall_seconds=10)))
    assert result.outcome == pb.OUTCOME_TIME_LIMIT and result.cpu_seconds > 1, result.message
    # Children the program never waits for are reaped by the run host; their CPU still counts.
    unwaited = code.replace("for pid in children:\n    os.waitpid(pid, 0)", "time.sleep(2)")
    assert unwaited != code
    result = await executor.stub.Execute(py(unwaited, limits=pb.Limits(cpu_seconds=1, wall_seconds=10)))
    assert result.outcome == pb.OUTCOME_TIME_LIMIT and result.cpu_seconds > 1, result.message


async def test_infinite_loop_is_stopped(executor: Running) -> None:
    result = await executor.stub.Execute(py("while True:\n    pass", limits=pb.Limits(cpu_seconds=1)))
    assert result.outcome == pb.OUTCOME_TIME_LIMIT


async def test_disk_fill_is_capped(executor: Running) -> None:
    code = """
written = 0
try:
    with open('/tmp/fill', 'wb') as f:
        while True:
            f.write(b'x' * (1 << 20))
            written += 1
except OSError as exc:
    print(written, type(exc).__name__, exc.errno)
"""
    # /tmp is a tmpfs charged to the job's memory: the 64 MiB cap must stop the writes well inside the 256 MiB
    # limit, so an uncapped /tmp would show up as MEMORY_LIMIT here instead of passing.
    result = await executor.stub.Execute(py(code, limits=pb.Limits(memory_bytes=256 * MIB)))
    assert result.outcome == pb.OUTCOME_OK, (pb.Outcome.Name(result.outcome), result.stderr[-500:])
    megabytes, error, errno = result.stdout.split()
    assert int(megabytes) <= 64 and error == "OSError" and int(errno) in (27, 28)  # EFBIG, ENOSPC


async def test_no_network_not_even_loopback_redis(executor: Running) -> None:
    code = """
import socket
for family, address in ((socket.AF_INET, ('127.0.0.1', 6379)), (socket.AF_INET6, ('::1', 6379))):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(address)
        s.sendall(b'PING\\r\\n')
        print('REACHED', s.recv(10))
    except OSError as exc:
        print('blocked', type(exc).__name__)
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 53))
    print('UDP SENT')
except OSError as exc:
    print('blocked', type(exc).__name__)
"""
    result = await executor.stub.Execute(py(code))
    assert result.outcome == pb.OUTCOME_OK
    assert result.stdout.splitlines() == ["blocked PermissionError"] * 3


async def test_environment_and_other_processes_environments_are_unreachable(executor: Running) -> None:
    code = """
import os
print(sorted(os.environ))
seen = os.environ.copy().__repr__()
for pid in os.listdir('/proc'):
    if pid.isdigit():
        try:
            seen += open(f'/proc/{pid}/environ', 'rb').read().decode(errors='replace')
        except OSError:
            pass
print('SECRET FOUND' if 'SYNTHMESH_TEST_SECRET' in seen or 'SECRET_VALUE' in seen else 'clean')
""".replace("SECRET_VALUE", SECRET)
    result = await executor.stub.Execute(py(code))
    assert result.outcome == pb.OUTCOME_OK
    env_line, verdict = result.stdout.splitlines()
    assert verdict == "clean"
    assert env_line == str(["HOME", "LANG", "NODE_OPTIONS", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUTF8",
                            "TMPDIR"])


async def test_each_run_gets_its_own_environment(executor: Running) -> None:
    # The run host sets a run's environment before forking it and keeps it while the next run's is the same:
    # a run must still see the values of its own limits, and nothing a previous run changed.
    code = """
import os
print(os.environ.get('LEFT_BY_A_RUN', '-'), os.environ['NODE_OPTIONS'], os.environ['HOME'])
os.environ['LEFT_BY_A_RUN'] = 'yes'
os.putenv('ALSO_LEFT', 'yes')
"""
    seen = []
    for memory_mb in (128, 200, 200, 128):
        result = await executor.stub.Execute(py(code, limits=pb.Limits(memory_bytes=memory_mb << 20)))
        assert result.outcome == pb.OUTCOME_OK, result.message
        seen.append(result.stdout.split())
    assert seen == [["-", f"--max-old-space-size={mb}", "/tmp/w"] for mb in (128, 200, 200, 128)]


async def test_node_runs_get_the_run_environment(executor: Running) -> None:
    # node is exec'd with the environment the run host set for the run, no more and no less.
    code = "console.log(Object.keys(process.env).sort().join(','), process.env.NODE_OPTIONS)"
    for memory_mb in (300, 128):
        result = await executor.stub.Execute(js(code, limits=pb.Limits(memory_bytes=memory_mb << 20)))
        assert result.outcome == pb.OUTCOME_OK, result.message
        assert result.stdout.split() == ["HOME,LANG,NODE_OPTIONS,PATH,PYTHONDONTWRITEBYTECODE,PYTHONUTF8,TMPDIR",
                                         f"--max-old-space-size={memory_mb}"]


async def test_root_only_and_host_files_are_absent(executor: Running) -> None:
    code = """
import os
for path in ('/etc/shadow', '/root', '/work', '/home', '/var/lib/redis'):
    print(path, os.path.exists(path))
print(sorted(os.listdir('/')))
"""
    result = await executor.stub.Execute(py(code))
    assert result.outcome == pb.OUTCOME_OK
    lines = result.stdout.splitlines()
    assert all(line.endswith(" False") for line in lines[:5])
    assert lines[5] == str(["bin", "dev", "lib", "lib64", "proc", "sb", "tmp", "usr"])


async def test_writes_outside_the_work_directory_fail(executor: Running) -> None:
    code = """
import os
for path in ('/usr/evil', '/evil', '/dev/evil', '/sb/evil', '/proc/evil'):
    try:
        open(path, 'w').write('x')
        print('WROTE', path)
    except OSError as exc:
        print('refused', exc.errno)
"""
    result = await executor.stub.Execute(py(code))
    assert result.outcome == pb.OUTCOME_OK
    assert "WROTE" not in result.stdout and result.stdout.count("refused") == 5


async def test_killing_the_parent_and_everyone_fails(executor: Running) -> None:
    code = """
import os, signal
for target in (os.getppid(), 1, -1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
print('still here')
"""
    result = await executor.stub.Execute(py(code))
    assert result.stdout == "still here\n"


async def test_privileged_syscalls_are_refused(executor: Running) -> None:
    code = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for name, call in (('unshare', lambda: libc.unshare(0x10000000)),
                   ('ptrace', lambda: libc.ptrace(16, 1, 0, 0)),
                   ('mount', lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))):
    rc = call()
    print(name, rc, ctypes.get_errno())
"""
    result = await executor.stub.Execute(py(code))
    assert result.outcome == pb.OUTCOME_OK
    for line in result.stdout.splitlines():
        _name, rc, errno = line.split()
        assert rc == "-1" and errno == "1", line  # EPERM


async def test_ipc_objects_that_would_outlive_the_run_are_refused(executor: Running) -> None:
    # System V shared memory, message queues and semaphores, and POSIX message queues, outlive their process:
    # one run could leave data (or memory charged to the slot) to the next. Python's multiprocessing still works.
    code = """
import ctypes, multiprocessing
libc = ctypes.CDLL(None, use_errno=True)
for name, call in (('shmget', lambda: libc.shmget(0, 1 << 20, 0o1600)),
                   ('msgget', lambda: libc.msgget(0, 0o1600)),
                   ('semget', lambda: libc.semget(0, 1, 0o1600)),
                   ('mq_open', lambda: libc.mq_open(b'/q', 0o102, 0o600, None))):
    rc = call()
    print(name, rc, ctypes.get_errno())
lock = multiprocessing.Lock()
with lock:
    print('lock ok')
"""
    result = await executor.stub.Execute(py(code))
    assert result.outcome == pb.OUTCOME_OK, result.stderr
    *refused, last = result.stdout.splitlines()
    assert len(refused) == 4 and last == "lock ok"
    for line in refused:
        _name, rc, errno = line.split()
        assert rc == "-1" and errno == "1", line  # EPERM


async def test_junk_on_the_events_channel_costs_nothing(executor: Running) -> None:
    # fd 3 carries the runner's per-case events; a program can write there too. Four MiB of empty lines once
    # became four million objects in the run host, stalled the slot for 40 s and ended as SANDBOX_ERROR.
    code = "import os\nos.write(3, b'\\n' * (4 << 20))\nprint('done')"
    result = await executor.stub.Execute(py(code, limits=pb.Limits(wall_seconds=5)))
    assert result.outcome == pb.OUTCOME_OK and result.stdout == "done\n", result.message


async def test_gigabyte_stdout_flood_is_stopped(executor: Running) -> None:
    code = "import os\nchunk = b'y' * (1 << 20)\nfor _ in range(1024):\n    os.write(1, chunk)"
    result = await executor.stub.Execute(py(code, limits=pb.Limits(output_bytes=MIB)))
    assert result.outcome == pb.OUTCOME_OUTPUT_LIMIT
    assert result.stdout_truncated and len(result.stdout) == MIB


class Listener:
    """A loopback TCP server that counts every connection a page manages to open."""

    def __init__(self) -> None:
        self.hits = 0
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.hits += 1
        writer.close()

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        assert self.server
        self.server.close()
        with contextlib.suppress(Exception):
            await self.server.wait_closed()


async def test_page_cannot_reach_a_loopback_listener(executor: Running) -> None:
    listener = Listener()
    async with listener as port:
        target = f"127.0.0.1:{port}"
        page = f"""<!DOCTYPE html><html><head><link rel="prefetch" href="http://{target}/prefetch"></head><body>
<img src="http://{target}/img">
<script>
fetch('http://{target}/fetch').catch(() => {{}});
navigator.sendBeacon('http://{target}/beacon', 'x');
try {{ new WebSocket('ws://{target}/ws'); }} catch (e) {{}}
const x = new XMLHttpRequest(); x.open('GET', 'http://{target}/xhr'); x.onerror = () => {{}}; x.send();
try {{
  const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:{target}'}}]}});
  pc.createDataChannel('d'); pc.createOffer().then(o => pc.setLocalDescription(o)).catch(() => {{}});
}} catch (e) {{}}
</script></body></html>"""
        result = await executor.stub.Execute(html(page, browser=pb.BrowserOptions(settle_seconds=1.0)))
        await asyncio.sleep(0.5)
        blocked_hits = listener.hits
        # Control: the listener does count a connection that really arrives.
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        async with asyncio.timeout(10):
            while listener.hits == 0:
                await asyncio.sleep(0.01)
    assert blocked_hits == 0
    assert listener.hits == 1
    assert result.outcome in (pb.OUTCOME_OK, pb.OUTCOME_RUNTIME_ERROR)
    assert any(e.kind == "blocked_request" for e in result.browser_errors)
