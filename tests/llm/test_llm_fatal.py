"""Fatal (auth and credit) failures are tracked per model; readiness sees only the configured role models."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.common.llm import LlmClient, LlmFatalError
from tests.llm.offline import OfflineServer, make_client

HELLO = [{"role": "user", "content": "Say hello to the mesh."}]
BAD_KEY = "openai/synthmesh-offline-fault-401"


async def test_a_per_request_model_refusing_our_key_does_not_make_the_client_fatal(llm: LlmClient) -> None:
    with pytest.raises(LlmFatalError):
        await llm.complete("iterator", HELLO, model=BAD_KEY)
    assert llm.fatal_for(BAD_KEY) is None and llm.fatal_error is None  # not kept: one entry per caller's model
    assert not REGISTRY.get_sample_value("synthmesh_llm_fatal", {"model": BAD_KEY})  # no alert that never clears
    await llm.complete("iterator", HELLO)
    assert llm.fatal_error is None


async def test_each_configured_model_is_cleared_by_its_own_success(offline_server: OfflineServer) -> None:
    first, second = "openai/synthmesh-offline-fault-401x1", "openai/synthmesh-offline-fault-402x1"
    client = make_client(offline_server, LLM_ANSWER_MODELS=f"{first},{second}")
    with pytest.raises(LlmFatalError) as refused:
        await client.complete("answer", HELLO, model=first)
    with pytest.raises(LlmFatalError) as no_credit:
        await client.complete("answer", HELLO, model=second)
    assert client.fatal_error is no_credit.value
    await client.complete("answer", HELLO, model=second)
    assert client.fatal_error is refused.value, "another model's success must not hide this one's failure"
    await client.complete("answer", HELLO, model=first)
    assert client.fatal_error is None
