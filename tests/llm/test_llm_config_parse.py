"""LLM configuration from the environment, and extraction of JSON and code from replies."""

from __future__ import annotations

import pytest

from services.common.env import ConfigError, Env
from services.common.llm_config import OFFLINE_API_KEY, OFFLINE_MODEL, OFFLINE_URL, ROLES, LlmConfig
from services.common.llm_errors import classify
from services.common.llm_parse import extract_code_block, extract_json


def config(**values: str) -> LlmConfig:
    env = Env(values)
    cfg = LlmConfig.from_env(env)
    env.check()
    return cfg


def test_no_key_and_no_model_means_the_offline_server() -> None:
    cfg = config()
    assert cfg.offline and cfg.provider_key is None
    assert all(cfg.role(r).models == (OFFLINE_MODEL,) for r in ROLES)
    assert cfg.endpoint(OFFLINE_MODEL) == (OFFLINE_URL, OFFLINE_API_KEY)
    assert cfg.role("answer").timeout_seconds == 600 and cfg.role("question").timeout_seconds == 180


def test_a_provider_key_switches_to_upstream_defaults() -> None:
    cfg = config(OPENROUTER_API_KEY="sk-or-test", OFFLINE_LLM_URL="http://10.0.0.9:8088/v1/")
    assert not cfg.offline and cfg.provider_key == "OPENROUTER_API_KEY"
    assert cfg.role("question").model == "openrouter/anthropic/claude-3.5-sonnet"
    assert cfg.endpoint(cfg.role("question").model) == (None, None)
    # Test and fault models keep reaching the offline server, wherever it is.
    assert cfg.endpoint("openai/synthmesh-offline-fault-429") == ("http://10.0.0.9:8088/v1", OFFLINE_API_KEY)


def test_roles_models_timeouts_and_limits() -> None:
    cfg = config(OPENAI_API_KEY="sk", LLM_MODEL="openai/gpt-4o-mini", LLM_ANSWER_MODELS="a/x, b/y",
                 LLM_FIXER_MODEL="c/z", LLM_TIMEOUT_SECONDS="30", LLM_ANSWER_TIMEOUT_SECONDS="90",
                 LLM_API_BASE="http://vllm:8000/v1", LLM_MAX_RETRIES="5", LLM_CONCURRENCY="3")
    assert cfg.role("answer").models == ("a/x", "b/y")
    assert cfg.role("fixer").model == "c/z" and cfg.role("iterator").model == "openai/gpt-4o-mini"
    assert cfg.role("answer").timeout_seconds == 90 and cfg.role("augment").timeout_seconds == 30
    assert cfg.endpoint("a/x") == ("http://vllm:8000/v1", None)
    assert (cfg.max_retries, cfg.concurrency) == (5, 3)
    with pytest.raises(KeyError, match="known roles"):
        cfg.role("critic")


def test_forcing_offline_and_forbidding_it() -> None:
    assert config(OPENROUTER_API_KEY="sk", LLM_ANSWER_MODELS="x/y", LLM_OFFLINE="true").offline
    with pytest.raises(ConfigError, match="LLM_OFFLINE"):
        config(LLM_OFFLINE="false")
    with pytest.raises(ConfigError, match="LLM_CONCURRENCY"):
        config(LLM_CONCURRENCY="0")


def test_extract_json_from_bare_fenced_and_prose_replies() -> None:
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json('Sure!\n```json\n{"a": [1, 2]}\n```\nDone.') == {"a": [1, 2]}
    assert extract_json('The result is {"ok": true} as requested.') == {"ok": True}
    assert extract_json("```\n[1, 2]\n```") == [1, 2]
    with pytest.raises(ValueError, match="no valid JSON"):
        extract_json('{"files": [{"filename": "index.html", "content": "<html>')
    with pytest.raises(ValueError, match="empty"):
        extract_json("  ")


def test_extract_code_block_by_language() -> None:
    text = "Plan:\n```text\nsteps\n```\n```js\nconsole.log(1);\n```\n```py\nprint(2)\n```"
    assert extract_code_block(text, "python") == "print(2)"
    assert extract_code_block(text, "javascript") == "console.log(1);"
    assert extract_code_block(text) == "steps"
    assert extract_code_block("```\nx = 1\n```", "python") == "x = 1"
    assert extract_code_block("```python\ndef f():\n    return 1", "python") == "def f():\n    return 1"
    assert extract_code_block("no code here", "python") is None


def test_classify_plain_exceptions() -> None:
    assert classify(TimeoutError()) == ("llm_timeout", None)
    assert classify(ConnectionRefusedError()) == ("llm_connection", None)
    assert classify(RuntimeError("boom")) == ("llm_error", None)
