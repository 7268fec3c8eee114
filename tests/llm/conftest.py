"""Fixtures for the LLM adapter and the offline model server.

One offline server per session, run by uvicorn in a background thread on a free loopback port, reset before
every test. The adapter reaches it through litellm over HTTP, exactly as it would reach a provider.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from services.common.llm import LlmClient, load_litellm
from services.offline_llm.app import create_app
from services.offline_llm.config import OfflineConfig
from tests.llm.offline import OfflineServer, make_client


@pytest.fixture(scope="session")
def offline_server() -> Iterator[OfflineServer]:
    # uvicorn binds the port itself: a socket handed in via `sockets=` made each call ~40 ms slower here.
    config = uvicorn.Config(create_app(OfflineConfig(broken_rate=0.3)), host="127.0.0.1", port=0,
                            log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("offline model server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    # Import litellm once for the session (about 2 s) rather than inside the first test's timing.
    load_litellm()
    with httpx.Client(timeout=10) as http:
        yield OfflineServer(f"http://127.0.0.1:{port}", http)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _reset_offline(request: pytest.FixtureRequest) -> None:
    if "offline_server" in request.fixturenames:
        request.getfixturevalue("offline_server").admin("reset", {})


@pytest.fixture
def llm(offline_server: OfflineServer) -> LlmClient:
    return make_client(offline_server)
