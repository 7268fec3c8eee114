"""A provider key that is not set at all is an auth failure: fatal at once, never retried as a server error."""

from __future__ import annotations

import pytest

from services.common.llm import LlmFatalError, LlmUsage, load_litellm
from services.common.llm_errors import AUTH, classify
from tests.llm.offline import OfflineServer, make_client

HELLO = [{"role": "user", "content": "Say hello to the mesh."}]


async def test_a_missing_openai_key_is_fatal_without_retries(offline_server: OfflineServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # A real provider model aimed at the offline server: litellm refuses before sending, for want of a key.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = make_client(offline_server, LLM_MODEL="openai/gpt-4o", LLM_API_BASE=offline_server.api)
    usage = LlmUsage()
    with pytest.raises(LlmFatalError) as caught:
        await client.complete("question", HELLO, usage=usage)
    assert caught.value.reason == AUTH
    assert usage.failures == 1 and client.fatal_error is caught.value
    assert offline_server.requests() == []


def test_missing_key_wordings_of_other_providers_are_auth() -> None:
    litellm = load_litellm()
    gemini = litellm.APIConnectionError(message="Missing Gemini API key. Set the GEMINI_API_KEY environment variable.",
                                        llm_provider="gemini", model="gemini/gemini-2.5-flash")
    assert classify(gemini)[0] == AUTH
    unrelated = litellm.APIConnectionError(message="Cannot connect to host api.groq.com:443",
                                           llm_provider="groq", model="groq/llama")
    assert classify(unrelated)[0] != AUTH
