"""The offline server's fault names: a malformed one is the caller's mistake (400), never a server error."""

from __future__ import annotations

import pytest

from tests.llm.offline import OfflineServer

HELLO = [{"role": "user", "content": "Say hello to the mesh."}]


@pytest.mark.parametrize("spec", ["delay-1.2.3", "delay-."])
def test_an_unreadable_delay_in_the_model_name_is_a_bad_request(offline_server: OfflineServer, spec: str) -> None:
    reply = offline_server.http.post(f"{offline_server.api}/chat/completions",
                                     json={"model": f"synthmesh-offline-fault-{spec}", "messages": HELLO})
    assert reply.status_code == 400
    assert spec in reply.json()["error"]["message"]
    assert offline_server.requests()[-1]["status"] == 400
