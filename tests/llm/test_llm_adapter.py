"""The adapter against the offline server over HTTP: payloads, retries, fatal errors, metrics, usage."""

from __future__ import annotations

import asyncio
import math

import pytest
from prometheus_client import REGISTRY

from services.common.llm import LlmClient, LlmError, LlmFatalError, LlmUsage, load_litellm, usage_scope
from services.common.llm_config import OFFLINE_MODEL
from tests.llm.offline import OfflineServer, make_client

HELLO = [{"role": "user", "content": "Say hello to the mesh."}]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_round_trip_sends_the_payload_and_reports_usage(llm: LlmClient, offline_server: OfflineServer) -> None:
    completion = await llm.complete("question", HELLO, temperature=0.7, top_p=0.95, max_tokens=300, seed=7)
    assert completion.text and completion.model == OFFLINE_MODEL and completion.offline
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0
    assert completion.finish_reason == "stop" and not completion.truncated and completion.attempts == 1
    [received] = offline_server.requests()
    assert received["model"] == "synthmesh-offline"
    assert received["messages"] == HELLO
    options = received["options"]
    assert (options["temperature"], options["top_p"], options["max_tokens"], options["seed"]) == (0.7, 0.95, 300, 7)
    # Our retry and timeout settings stay on the client side; litellm must not leak them into the body.
    assert not {"drop_params", "num_retries", "max_retries", "timeout"} & set(options)
    assert received["reply"] == completion.text


async def test_the_offline_model_is_priced_at_zero_in_litellm(llm: LlmClient) -> None:
    # Known to litellm, its replies are priced from one cost-map entry instead of a search of the whole map.
    completion = await llm.complete("question", HELLO)
    litellm = load_litellm()
    entry = litellm.model_cost[OFFLINE_MODEL]
    assert (entry["input_cost_per_token"], entry["output_cost_per_token"], entry["litellm_provider"]) == \
        (0.0, 0.0, "openai")
    assert completion.cost_usd == 0.0


@pytest.mark.parametrize("kind", ["429", "500", "502", "503"])
async def test_retryable_status_is_retried_then_succeeds(
    llm: LlmClient, offline_server: OfflineServer, kind: str
) -> None:
    offline_server.fault(kind, count=1)
    completion = await llm.complete("answer", HELLO)
    assert completion.attempts == 2
    assert [r["status"] for r in offline_server.requests()] == [int(kind), 200]


async def test_persistent_rate_limit_gives_up_after_bounded_retries(
    llm: LlmClient, offline_server: OfflineServer
) -> None:
    usage = LlmUsage()
    with pytest.raises(LlmError) as caught:
        await llm.complete("question", HELLO, model="openai/synthmesh-offline-fault-429", usage=usage)
    assert caught.value.reason == "llm_rate_limited" and caught.value.status_code == 429
    assert not isinstance(caught.value, LlmFatalError)
    assert len(offline_server.requests()) == 3  # one call plus LLM_MAX_RETRIES=2
    assert (usage.calls, usage.failures) == (0, 3)


async def test_fault_by_model_name_counts_requests(llm: LlmClient, offline_server: OfflineServer) -> None:
    completion = await llm.complete("question", HELLO, model="openai/synthmesh-offline-fault-503x2")
    assert completion.attempts == 3
    assert [r["status"] for r in offline_server.requests()] == [503, 503, 200]


async def test_slow_reply_times_out_and_is_retried(llm: LlmClient, offline_server: OfflineServer) -> None:
    # Every attempt is held far beyond its timeout, so a short one keeps this half quick without racing the reply.
    offline_server.fault("delay", count=None, seconds=10)
    with pytest.raises(LlmError) as caught:
        await llm.complete("question", HELLO, timeout=0.3)
    assert caught.value.reason == "llm_timeout"
    assert len(offline_server.requests()) == 3
    offline_server.admin("reset", {})
    # Here the retry is not delayed and must go through litellm within the timeout: room for a loaded machine.
    offline_server.fault("delay", count=1, seconds=10)
    completion = await llm.complete("question", HELLO, timeout=3)
    assert completion.attempts == 2
    # The abandoned request is still waiting out its delay: the log must not show it answered.
    assert [r.get("status") for r in offline_server.requests()] == [None, 200]


@pytest.mark.parametrize(("kind", "reason"), [("401", "llm_auth"), ("403", "llm_auth"), ("402", "llm_credit")])
async def test_auth_and_credit_errors_are_fatal_at_once(
    llm: LlmClient, offline_server: OfflineServer, kind: str, reason: str
) -> None:
    offline_server.fault(kind, count=1)
    with pytest.raises(LlmFatalError) as caught:
        await llm.complete("answer", HELLO)
    assert caught.value.reason == reason
    assert len(offline_server.requests()) == 1
    assert llm.fatal_error is caught.value
    assert sample("synthmesh_llm_fatal", model=OFFLINE_MODEL) == 1.0
    await llm.complete("answer", HELLO)
    assert llm.fatal_error is None
    assert sample("synthmesh_llm_fatal", model=OFFLINE_MODEL) == 0.0


async def test_quota_worded_rate_limit_is_a_credit_failure(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.fault("429", message="You exceeded your current quota (insufficient_quota).")
    with pytest.raises(LlmFatalError) as caught:
        await llm.complete("answer", HELLO)
    assert caught.value.reason == "llm_credit"
    assert len(offline_server.requests()) == 1


async def test_bad_request_is_not_retried(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.fault("400")
    with pytest.raises(LlmError) as caught:
        await llm.complete("answer", HELLO)
    assert caught.value.reason == "llm_bad_request"
    assert len(offline_server.requests()) == 1


async def test_truncated_and_empty_replies(llm: LlmClient, offline_server: OfflineServer) -> None:
    before = sample("synthmesh_llm_requests_total", model=OFFLINE_MODEL, role="fixer", outcome="truncated")
    offline_server.fault("truncate")
    truncated = await llm.complete("fixer", HELLO)
    assert truncated.truncated and truncated.finish_reason == "length"
    assert sample("synthmesh_llm_requests_total", model=OFFLINE_MODEL, role="fixer", outcome="truncated") == before + 1
    offline_server.fault("empty")
    with pytest.raises(LlmError) as caught:
        await llm.complete("fixer", HELLO)
    assert caught.value.reason == "llm_empty_output"


async def test_max_tokens_cuts_the_reply(llm: LlmClient) -> None:
    long_prompt = [{"role": "system", "content": "synthmesh-step: question; topic=SCIENCE"},
                   {"role": "user", "content": "A physics teacher"}]
    completion = await llm.complete("question", long_prompt, max_tokens=10)
    assert completion.truncated and completion.completion_tokens <= 10


async def test_metrics_move_per_attempt(llm: LlmClient, offline_server: OfflineServer) -> None:
    labels = {"model": OFFLINE_MODEL, "role": "augment"}
    ok = sample("synthmesh_llm_requests_total", **labels, outcome="ok")
    limited = sample("synthmesh_llm_requests_total", **labels, outcome="rate_limited")
    observed = sample("synthmesh_llm_request_seconds_count", **labels)
    prompt = sample("synthmesh_llm_tokens_total", model=OFFLINE_MODEL, direction="prompt")
    produced = sample("synthmesh_llm_tokens_total", model=OFFLINE_MODEL, direction="completion")
    offline_server.fault("429")
    completion = await llm.complete("augment", HELLO)
    assert sample("synthmesh_llm_requests_total", **labels, outcome="ok") == ok + 1
    assert sample("synthmesh_llm_requests_total", **labels, outcome="rate_limited") == limited + 1
    assert sample("synthmesh_llm_request_seconds_count", **labels) == observed + 2
    assert sample("synthmesh_llm_tokens_total", model=OFFLINE_MODEL, direction="prompt") == (
        prompt + completion.prompt_tokens)
    assert sample("synthmesh_llm_tokens_total", model=OFFLINE_MODEL, direction="completion") == (
        produced + completion.completion_tokens)


async def test_usage_scopes_callbacks_and_explicit_accumulators(offline_server: OfflineServer) -> None:
    seen = []
    client = make_client(offline_server)
    client.on_usage = seen.append
    explicit = LlmUsage()
    with usage_scope() as outer:
        first = await client.complete("iterator", HELLO)
        with usage_scope() as inner:
            second = await client.complete("iterator", HELLO, seed=2, usage=explicit)
    await client.complete("iterator", HELLO)
    assert (outer.calls, inner.calls, explicit.calls, len(seen)) == (2, 1, 1, 3)
    assert outer.prompt_tokens == first.prompt_tokens + second.prompt_tokens
    assert outer.total_tokens == sum(c.prompt_tokens + c.completion_tokens for c in (first, second))
    assert inner.completion_tokens == second.completion_tokens


async def test_same_request_and_seed_give_the_same_reply(llm: LlmClient) -> None:
    messages = [{"role": "system", "content": "synthmesh-step: question"}, {"role": "user", "content": "A baker"}]
    first = await llm.complete("question", messages, seed=11)
    again = await llm.complete("question", messages, seed=11)
    assert first.text == again.text
    others = {(await llm.complete("question", messages, seed=s)).text for s in range(12)}
    assert len(others) > 1


async def test_scripted_replies_come_back_in_order(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.admin("script", {"name": "fix", "replies": [
        "first draft", {"fault": "503"}, "second draft", {"content": "cut", "finish_reason": "length"}]})
    model = "openai/synthmesh-script-fix"
    texts = [(await llm.complete("iterator", HELLO, model=model)) for _ in range(3)]
    assert [c.text for c in texts] == ["first draft", "second draft", "cut"]
    assert texts[1].attempts == 2 and texts[2].truncated
    with pytest.raises(LlmError) as caught:
        await llm.complete("iterator", HELLO, model=model)
    assert caught.value.reason == "llm_bad_request"
    assert offline_server.admin("scripts")["scripts"]["fix"] == {"replies": 4, "served": 4}


async def test_script_selected_by_header_param(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.admin("script", {"name": "plan", "replies": ["#E1 = Execute[code]"]})
    messages = [{"role": "system", "content": "synthmesh-step: repair; script=plan"}, *HELLO]
    assert (await llm.complete("iterator", messages)).text == "#E1 = Execute[code]"


@pytest.mark.filterwarnings("ignore::UserWarning")
async def test_streaming_through_litellm(offline_server: OfflineServer) -> None:
    from services.common.llm import load_litellm

    litellm = load_litellm()
    stream = await litellm.acompletion(model=OFFLINE_MODEL, messages=HELLO, api_base=offline_server.api,
                                       api_key="sk-test", stream=True, max_retries=0)
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream])
    plain = await litellm.acompletion(model=OFFLINE_MODEL, messages=HELLO, api_base=offline_server.api,
                                      api_key="sk-test", max_retries=0)
    assert text == plain.choices[0].message.content


async def test_connection_refused_is_a_retryable_connection_error(offline_server: OfflineServer) -> None:
    client = make_client(offline_server, OFFLINE_LLM_URL="http://127.0.0.1:9/v1", LLM_MAX_RETRIES="1")
    with pytest.raises(LlmError) as caught:
        await client.complete("question", HELLO, timeout=2)
    assert caught.value.reason == "llm_connection"


async def test_latency_by_model_name_and_by_admin_setting(llm: LlmClient, offline_server: OfflineServer) -> None:
    slow = await llm.complete("question", HELLO, model="openai/synthmesh-offline-latency-250")
    assert slow.seconds >= 0.25
    offline_server.admin("config", {"latency_ms": 3000})
    assert (await llm.complete("question", HELLO)).seconds >= 3.0
    offline_server.admin("reset", {})
    assert (await llm.complete("question", HELLO)).seconds < 2.5  # the 3 s latency is gone


async def test_token_counts_are_words_times_1_3(llm: LlmClient) -> None:
    completion = await llm.complete("question", HELLO)
    assert completion.completion_tokens == math.ceil(len(completion.text.split()) * 1.3)
    assert completion.prompt_tokens == math.ceil(len(HELLO[0]["content"].split()) * 1.3) + 4


def test_backoff_is_bounded_jittered_and_honours_retry_after(offline_server: OfflineServer) -> None:
    client = make_client(offline_server, LLM_RETRY_BASE_SECONDS="1", LLM_RETRY_MAX_SECONDS="8")
    delays = [client._backoff(attempt, None) for attempt in range(6) for _ in range(20)]
    assert min(delays) >= 0.5 and max(delays) <= 8
    assert len({round(d, 6) for d in delays}) > 10
    assert all(4 <= client._backoff(0, 4.0) <= 8 for _ in range(10))
    assert client._backoff(0, 60.0) == 8


async def test_a_cancelled_call_is_counted_and_timed(llm: LlmClient, offline_server: OfflineServer) -> None:
    labels = {"model": OFFLINE_MODEL, "role": "question"}
    cancelled = sample("synthmesh_llm_requests_total", **labels, outcome="cancelled")
    timed = sample("synthmesh_llm_request_seconds_count", **labels)
    offline_server.admin("config", {"latency_ms": 10_000})
    try:
        arrived = len(offline_server.requests())
        call = asyncio.ensure_future(llm.complete("question", HELLO))
        async with asyncio.timeout(30):
            while len(offline_server.requests()) == arrived:  # the request reached the provider
                await asyncio.sleep(0.02)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    finally:
        offline_server.admin("reset", {})
    assert sample("synthmesh_llm_requests_total", **labels, outcome="cancelled") == cancelled + 1
    assert sample("synthmesh_llm_request_seconds_count", **labels) == timed + 1
