"""A batch whose stream breaks (an executor pod stopped, a connection cut) is re-sent with its unfinished jobs only.

The executor is the session's real one; between it and the grader sits a TCP proxy that cuts the connection once,
while the batch's results are still streaming, as a pod going away mid-batch does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

from services.common.clients import channel
from services.evaluator.grading import Grader
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc
from tests.executor.conftest import Running

JOBS = 8
SLOW_JOB = "import time\ntime.sleep(0.4)\nprint({i})\n"


class ConnectionCutter:
    """A TCP proxy that aborts the connections it carries when told to (once), then passes everything."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0
        self.cuts = 0
        self.armed = True
        self.open: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    def cut(self) -> None:
        """Aborts every open connection (once)."""
        if self.armed and self.open:
            self.armed = False
            self.cuts += 1
            for writer in self.open:
                writer.transport.abort()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.port)
        self.connections += 1
        self.open += [client_w, server_w]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
            dst.close()

        with contextlib.suppress(ConnectionError):
            await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.open:
            writer.transport.abort()


async def test_a_cut_batch_is_resent_and_every_job_answered_once(executor: Running) -> None:
    cutter = ConnectionCutter(executor.port)
    chan = channel(f"127.0.0.1:{await cutter.start()}")
    grader = Grader(executor_pb2_grpc.ExecutorServiceStub(chan), 100, 12 << 20, 1, 60.0)
    jobs = [pb.ExecuteRequest(language=pb.LANGUAGE_PYTHON, files=[pb.File(path="main.py",
                                                                          content=SLOW_JOB.format(i=i))])
            for i in range(JOBS)]
    try:
        await chan.channel_ready()
        answered = []
        # Eight 0.4 s jobs on the executor's two slots stream for about 1.6 s: cut at the first result.
        async for index, result in grader.run(jobs):
            answered.append((index, result))
            cutter.cut()
    finally:
        await chan.close()
        await cutter.stop()
    assert cutter.cuts == 1, "the connection was never cut: the test proved nothing"
    assert cutter.connections == 2, "the unanswered jobs went out again on a new connection"
    assert Counter(index for index, _ in answered) == Counter(range(JOBS)), "each job answered exactly once"
    assert all(result.outcome == "OK" for _, result in answered), [r.outcome for _, r in answered]
