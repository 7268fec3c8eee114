"""An empty reply still spent tokens and time: they are accounted before the call fails as empty_output."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.common.llm import LlmClient, LlmError, LlmUsage

HELLO = [{"role": "user", "content": "Say hello to the mesh."}]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("kind", ["empty", "no_choices"])
async def test_an_empty_reply_is_accounted_then_fails_as_empty_output(llm: LlmClient, kind: str) -> None:
    model = f"openai/synthmesh-offline-fault-{kind}"
    # A model named in one request is not a label value of its own (callers could make unbounded series).
    labels = {"model": "other", "role": "fixer"}
    prompt = sample("synthmesh_llm_tokens_total", model="other", direction="prompt")
    timed = sample("synthmesh_llm_request_seconds_count", **labels)
    usage = LlmUsage()
    with pytest.raises(LlmError) as caught:
        await llm.complete("fixer", HELLO, model=model, usage=usage)
    assert caught.value.reason == "llm_empty_output"
    assert usage.failures == 1 and usage.calls == 0
    assert usage.prompt_tokens > 0 and usage.seconds > 0
    assert sample("synthmesh_llm_tokens_total", model="other", direction="prompt") == prompt + usage.prompt_tokens
    assert REGISTRY.get_sample_value("synthmesh_llm_tokens_total", {"model": model, "direction": "prompt"}) is None
    assert sample("synthmesh_llm_request_seconds_count", **labels) == timed + 1
    assert sample("synthmesh_llm_requests_total", **labels, outcome="empty_output") >= 1
