"""Typed LLM configuration: which model serves each role, where it lives, and how calls are bounded.

Roles are the jobs the mesh gives an LLM: `question` (write a task from a persona), `augment` (rewrite a
question or answer), `answer` (write the code; several models allowed, one picked per QAP), `fixer` (repair code
from lint or browser feedback) and `iterator` (default for the synthesis strategies).

Resolution for each role: `LLM_<ROLE>_MODEL` (`LLM_ANSWER_MODELS` for answers), else `LLM_MODEL`, else a
default. With no provider key and no model configured, the default is the project's offline model server
(`services.offline_llm`), so a fresh checkout runs end to end; once a key is set the defaults become upstream's
models. Provider keys are read by litellm itself under their standard names; this module only checks whether one
is present.

Variables: LLM_MODEL (default for every role), LLM_QUESTION_MODEL, LLM_AUGMENT_MODEL, LLM_ANSWER_MODELS
(comma-separated), LLM_FIXER_MODEL, LLM_ITERATOR_MODEL; LLM_API_BASE (OpenAI-compatible base URL for configured
models); LLM_TIMEOUT_SECONDS (all roles; defaults 600 for answer, 300 fixer, 180 others) and
LLM_<ROLE>_TIMEOUT_SECONDS; LLM_MAX_RETRIES (3); LLM_RETRY_BASE_SECONDS (1); LLM_RETRY_MAX_SECONDS (30);
LLM_CONCURRENCY (8); LLM_OFFLINE (auto | true | false); OFFLINE_LLM_URL (http://127.0.0.1:8088/v1).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.env import Env
from services.common.settings import DEFAULT_PORTS

ROLES = ("question", "augment", "answer", "fixer", "iterator")

OFFLINE_MODEL = "openai/synthmesh-offline"
OFFLINE_API_KEY = "sk-synthmesh-offline"
OFFLINE_URL = f"http://127.0.0.1:{DEFAULT_PORTS['llm'][0]}/v1"
# Any model whose name (after the provider prefix) starts with this is served by the offline server; tests use
# it to ask for faults and scripts by model name.
OFFLINE_PREFIX = "synthmesh-"

# Default model per provider key, checked in this order. OpenRouter first: it is what Dojo validators already
# have in their .env, and upstream's question and answer model is Claude 3.5 Sonnet through it.
PROVIDER_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("OPENROUTER_API_KEY", "openrouter/anthropic/claude-3.5-sonnet"),
    ("ANTHROPIC_API_KEY", "anthropic/claude-3-5-sonnet-latest"),
    ("OPENAI_API_KEY", "openai/gpt-4o"),
    ("GEMINI_API_KEY", "gemini/gemini-2.5-flash"),
    ("DEEPSEEK_API_KEY", "deepseek/deepseek-chat"),
    ("TOGETHERAI_API_KEY", "together_ai/Qwen/Qwen2.5-Coder-32B-Instruct"),
    ("TOGETHER_API_KEY", "together_ai/Qwen/Qwen2.5-Coder-32B-Instruct"),
    ("GROQ_API_KEY", "groq/llama-3.3-70b-versatile"),
    ("MISTRAL_API_KEY", "mistral/mistral-large-latest"),
)

# Upstream wrapped only the answer call in a 600 s timeout; every other call here gets a shorter one.
DEFAULT_TIMEOUTS = {"question": 180.0, "augment": 180.0, "answer": 600.0, "fixer": 300.0, "iterator": 180.0}


def is_offline_model(model: str) -> bool:
    """True when `model` names the offline model server (any `synthmesh-*` model)."""
    return model.rpartition("/")[2].startswith(OFFLINE_PREFIX)


@dataclass(frozen=True)
class RoleConfig:
    """The models and per-call timeout of one role."""

    models: tuple[str, ...]
    timeout_seconds: float

    @property
    def model(self) -> str:
        """The role's first (or only) model."""
        return self.models[0]


@dataclass(frozen=True)
class LlmConfig:
    """Everything the adapter needs, built once at start-up."""

    roles: dict[str, RoleConfig]
    api_base: str | None = None
    offline_url: str = OFFLINE_URL
    max_retries: int = 3
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 30.0
    concurrency: int = 8
    provider_key: str | None = None

    @property
    def offline(self) -> bool:
        """True when every role is served by the offline model server (logs and status label it)."""
        return all(is_offline_model(m) for r in self.roles.values() for m in r.models)

    def role(self, name: str) -> RoleConfig:
        """The configuration of role `name`; raises KeyError naming the known roles otherwise."""
        if name not in self.roles:
            raise KeyError(f"unknown LLM role {name!r}; known roles: {', '.join(ROLES)}")
        return self.roles[name]

    def endpoint(self, model: str) -> tuple[str | None, str | None]:
        """The (api_base, api_key) to send with `model`; None lets litellm use its own defaults and env keys."""
        if is_offline_model(model):
            return self.offline_url, OFFLINE_API_KEY
        return self.api_base, None

    @classmethod
    def from_env(cls, env: Env) -> LlmConfig:
        """Reads the LLM_* variables (see the module docstring); call `env.check()` afterwards."""
        provider_key = next((k for k, _ in PROVIDER_DEFAULTS if (env.raw(k) or "").strip()), None)
        forced = _offline_mode(env)
        fallback = env.text("LLM_MODEL")
        if forced is True:
            default = OFFLINE_MODEL
        elif fallback:
            default = fallback
        elif provider_key:
            default = dict(PROVIDER_DEFAULTS)[provider_key]
        elif forced is False:
            env.problems.append("LLM_OFFLINE=false but no provider key (e.g. OPENROUTER_API_KEY) or LLM_MODEL is set")
            default = OFFLINE_MODEL
        else:
            default = OFFLINE_MODEL
        global_timeout = env.raw("LLM_TIMEOUT_SECONDS")
        roles: dict[str, RoleConfig] = {}
        for role in ROLES:
            var = "LLM_ANSWER_MODELS" if role == "answer" else f"LLM_{role.upper()}_MODEL"
            configured = () if forced is True else tuple(m.strip() for m in env.text(var).split(",") if m.strip())
            base_timeout = DEFAULT_TIMEOUTS[role]
            if global_timeout is not None:
                base_timeout = env.number("LLM_TIMEOUT_SECONDS", base_timeout, 0.1, 3600)
            timeout = env.number(f"LLM_{role.upper()}_TIMEOUT_SECONDS", base_timeout, 0.1, 3600)
            roles[role] = RoleConfig(models=configured or (default,), timeout_seconds=timeout)
        return cls(
            roles=roles,
            api_base=env.text("LLM_API_BASE") or None,
            offline_url=env.text("OFFLINE_LLM_URL", OFFLINE_URL).rstrip("/"),
            max_retries=env.integer("LLM_MAX_RETRIES", 3, 0, 20),
            retry_base_seconds=env.number("LLM_RETRY_BASE_SECONDS", 1.0, 0.0, 60.0),
            retry_max_seconds=env.number("LLM_RETRY_MAX_SECONDS", 30.0, 0.0, 600.0),
            concurrency=env.integer("LLM_CONCURRENCY", 8, 1, 1024),
            provider_key=provider_key,
        )


def _offline_mode(env: Env) -> bool | None:
    """LLM_OFFLINE: true forces the offline server, false forbids it, unset (or auto) decides by keys."""
    raw = env.raw("LLM_OFFLINE")
    if raw is None or raw.strip().lower() in ("", "auto"):
        return None
    return env.flag("LLM_OFFLINE", False)
