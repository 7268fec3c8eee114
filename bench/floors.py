"""What the executor's and generator's work costs at the least, next to what synthmesh spends, in one run.

The speed goals of the executor and the generator are ratios and budgets on a 2-core machine. This measures
the floors they stand on, each beside synthmesh doing the same unit of work, all as machine-wide CPU time per
item (/proc/stat, so every process counts: services, sandboxes, browsers, this client):

- Python: a trivial unit-test job. Floor: /usr/bin/python3 warm with the executor's preloaded modules forks,
  the child compiles and runs the program and its test, exits (no sandbox, no RPC). synthmesh: the same jobs
  through ExecuteBatch. Then HumanEval's canonical solutions through ExecuteBatch: what a job costs beyond
  the trivial one is the HumanEval code itself (compile and run), which any harness pays.
- HTML: a trivial page. Floor: Debian's Chromium navigated over the raw DevTools protocol (no Playwright, no
  routing, no sandbox), load event only. synthmesh: the same page through ExecuteBatch with no interaction and
  a 10 ms settle time.
- LLM client: one chat completion to the offline model server (no latency). Floor: one plain HTTP POST of the
  same request. synthmesh: LlmClient.complete, which goes through litellm.

Needs root (the sandbox) and a quiet machine (other work counts too; the load average is printed).

    .venv/bin/python -m bench.floors
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import signal
import statistics
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import websockets

from bench.executor import python_job
from bench.settings import executor_config
from bench.stack import offline_model
from services.common.clients import channel
from services.common.env import Env
from services.common.llm import LlmClient
from services.common.llm_config import LlmConfig
from services.evaluator.datasets import humaneval
from services.executor.config import DEFAULT_CHROMIUM
from services.executor.sandbox.slots import PRELOAD
from services.executor.server import Executor
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

TRIVIAL_PROGRAM = "def answer():\n    return 42\n"
TRIVIAL_TEST = "def check(candidate):\n    assert candidate() == 42\n"
TRIVIAL_PAGE = "<!DOCTYPE html><html><body><p id='x'>hello</p><script>x.textContent += '!'</script></body></html>"
# The fork loop of the Python floor, run by /usr/bin/python3 -I -S like the sandbox's worker.
FORK_LOOP = """
import gc, json, os, sys
for name in json.loads(sys.argv[1]):
    try:
        __import__(name)
    except ImportError:
        pass
gc.freeze()
source, test, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
for _ in range(count):
    pid = os.fork()
    if pid == 0:
        scope = {"__name__": "solution"}
        exec(compile(source, "solution.py", "exec"), scope)
        exec(compile(test, "<test>", "exec"), scope)
        exec(compile("check(answer)", "<case>", "exec"), scope)
        os._exit(0)
    os.waitpid(pid, 0)
"""


def busy_seconds() -> float:
    """CPU time this machine's processes and kernel have used so far: user, nice, system, irq and softirq (not
    idle or iowait, nor steal: time the hypervisor gave to another machine)."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


async def cpu_per_item(count: int, work: Callable[[], Awaitable[None]]) -> float:
    """Machine-wide CPU milliseconds per item while `work` processes `count` items."""
    before = busy_seconds()
    await work()
    return (busy_seconds() - before) / count * 1000


async def alternating(rounds: int, *measures: Callable[[], Awaitable[float]]) -> list[float]:
    """The median of each measure over `rounds` rounds, taken in turn: a slow spell of a shared machine then
    weighs on every measure alike instead of on whichever ran during it."""
    values: list[list[float]] = [[] for _ in measures]
    for _ in range(rounds):
        for column, measure in zip(values, measures, strict=True):
            column.append(await measure())
    return [statistics.median(column) for column in values]


def report(name: str, floor: float, ours: float, unit: str) -> None:
    print(f"  {name:32s} floor {floor:7.2f} ms CPU/{unit}   synthmesh {ours:7.2f} ms CPU/{unit}   "
          f"{ours / floor:5.1f}x the floor")


async def python_floors(stub: executor_pb2_grpc.ExecutorServiceAsyncStub, count: int, rounds: int) -> None:
    def fork_loop() -> None:
        subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", FORK_LOOP, json.dumps(PRELOAD), TRIVIAL_PROGRAM,
                        TRIVIAL_TEST, str(count)], check=True)

    async def batch(jobs: list[pb.ExecuteRequest]) -> None:
        async for item in stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
            assert item.result.outcome == pb.OUTCOME_OK, item.result.message

    trivial = [pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path="solution.py",
               content=TRIVIAL_PROGRAM)], unit_tests=pb.UnitTestSuite(check_code=TRIVIAL_TEST, entry_point="answer"))
               for _ in range(count)]
    problems, _ = humaneval.load()
    canonical = [python_job(p) for p in problems] * 2
    await batch(trivial[:50])  # warm: slots and their first forks
    floor, ours, heval = await alternating(
        rounds, lambda: cpu_per_item(count, lambda: asyncio.to_thread(fork_loop)),
        lambda: cpu_per_item(count, lambda: batch(trivial)),
        lambda: cpu_per_item(len(canonical), lambda: batch(canonical)))
    cores = os.cpu_count() or 1
    print(f"\nPython unit-test jobs ({count} trivial, {len(canonical)} HumanEval canonical), {cores} cores, "
          f"median of {rounds} rounds")
    report("trivial job", floor, ours, "job")
    print(f"  {'HumanEval canonical job':32s} synthmesh {heval:7.2f} ms CPU/job: its own code ≈ {heval - ours:.2f} ms "
          f"beyond the trivial job; all cores busy → at most {cores / heval * 1000:.0f} jobs/s")


def chromium_process(port_file: Path, home: str) -> subprocess.Popen[bytes]:
    port_file.unlink(missing_ok=True)
    return subprocess.Popen(
        [DEFAULT_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--mute-audio",
         "--disable-extensions", "--disable-background-networking", "--disable-component-update",
         "--disable-site-isolation-trials", f"--user-data-dir={home}", "--remote-debugging-port=0", "about:blank"],
        # Debian's chromium-headless-shell is a shell wrapper that does not exec: the browser is its child, so it
        # gets a process group of its own to be stopped with.
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@contextlib.asynccontextmanager
async def raw_page() -> AsyncIterator[Callable[[str], Awaitable[None]]]:
    """A headless Chromium page driven over the raw DevTools protocol; yields `navigate(url)` (until load)."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as home:
        port_file = Path(home) / "DevToolsActivePort"
        proc = chromium_process(port_file, home)
        try:
            for _ in range(200):
                if port_file.exists() and port_file.read_text().strip():
                    break
                await asyncio.sleep(0.05)
            port = port_file.read_text().split()[0]
            async with httpx.AsyncClient() as http:
                targets = (await http.get(f"http://127.0.0.1:{port}/json")).json()
            url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            async with websockets.connect(url, max_size=None) as ws:
                loaded = asyncio.Event()
                replies: dict[int, asyncio.Future[None]] = {}
                idents = itertools.count(1)

                async def read() -> None:
                    async for raw in ws:
                        message = json.loads(raw)
                        if "id" in message:
                            replies.pop(message["id"]).set_result(None)
                        elif message.get("method") == "Page.loadEventFired":
                            loaded.set()

                async def send(method: str, params: dict[str, str]) -> None:
                    ident = next(idents)
                    replies[ident] = asyncio.get_running_loop().create_future()
                    await ws.send(json.dumps({"id": ident, "method": method, "params": params}))
                    await replies[ident]

                async def navigate(target: str) -> None:
                    loaded.clear()
                    await send("Page.navigate", {"url": target})
                    await loaded.wait()

                reader = asyncio.create_task(read())
                await send("Page.enable", {})
                yield navigate
                reader.cancel()
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # a throwaway profile: nothing to shut down gracefully
            proc.wait(10)


async def html_floors(stub: executor_pb2_grpc.ExecutorServiceAsyncStub, count: int, rounds: int) -> None:
    options = pb.BrowserOptions(auto_interact=False, settle_seconds=0.01)
    jobs = [pb.ExecuteRequest(language=pb.LANGUAGE_HTML, files=[pb.File(path="index.html", content=TRIVIAL_PAGE)],
                              browser=options) for _ in range(count)]

    async def batch() -> None:
        async for item in stub.ExecuteBatch(pb.ExecuteBatchRequest(jobs=jobs)):
            assert item.result.outcome == pb.OUTCOME_OK, item.result.message

    async with raw_page() as navigate:
        async def navigations() -> None:
            for i in range(count):
                await navigate(f"data:text/html,{TRIVIAL_PAGE}<!--{i}-->")

        await navigations()
        await batch()  # warm: every page of every browser once
        floor, ours = await alternating(rounds, lambda: cpu_per_item(count, navigations),
                                        lambda: cpu_per_item(count, batch))
    print(f"\nHTML: a trivial page, {count} loads, median of {rounds} rounds")
    report("page load", floor, ours, "page")


async def llm_floors(count: int, rounds: int) -> None:
    messages = [{"role": "system", "content": "You write coding questions."},
                {"role": "user", "content": "Topic: ANIMATION. Persona: a lighthouse keeper."}]
    async with offline_model(0) as url:
        client = LlmClient(LlmConfig.from_env(Env({"LLM_OFFLINE": "true", "OFFLINE_LLM_URL": url})))
        await client.start()
        async with httpx.AsyncClient() as http:
            body = {"model": "offline", "messages": messages, "temperature": 0.6}

            async def posts() -> None:
                for _ in range(count):
                    (await http.post(f"{url}/chat/completions", json=body)).raise_for_status()

            async def completions() -> None:
                for _ in range(count):
                    await client.complete("question", messages, temperature=0.6)

            await posts()
            await completions()  # warm: litellm's lazy imports and its HTTP client
            floor, ours = await alternating(rounds, lambda: cpu_per_item(count, posts),
                                            lambda: cpu_per_item(count, completions))
    print(f"\nLLM client: {count} chat completions from the offline model server (no simulated latency), "
          f"median of {rounds} rounds")
    report("chat completion", floor, ours, "call")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=600, help="trivial Python jobs")
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    cores = os.cpu_count() or 1
    print(f"host: {platform.node()} {platform.machine()}, {cores} cores, load {os.getloadavg()[0]:.2f}; "
          "machine-wide CPU per item")
    executor = Executor(executor_config())
    await executor.start()
    runtime = executor.runtime()
    chan = channel(f"127.0.0.1:{await runtime.start('127.0.0.1:0')}")
    stub = executor_pb2_grpc.ExecutorServiceStub(chan)
    try:
        await python_floors(stub, args.jobs, args.rounds)
        await html_floors(stub, args.pages, args.rounds)
    finally:
        await chan.close()
        await runtime.stop(0, 0)
    await llm_floors(args.calls, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
