"""Prometheus metrics of LLM calls (names per style.md §2.6).

`model` is a configured role model, or OTHER_MODEL for a model a caller named in one request (the iterator and
the evaluator take any model string from their callers), and `role` one of five fixed roles, so label sets stay
bounded.
`synthmesh_llm_requests_total` counts HTTP attempts, retries included, by outcome (`ok`, `truncated`, or the
failure reason without its `llm_` prefix), so a burst of 429s shows even when the retries succeed.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.common.llm_usage import Completion
from services.common.metrics import LLM_BUCKETS

REQUEST_SECONDS = Histogram(
    "synthmesh_llm_request_seconds",
    "Duration of one LLM HTTP attempt, by model and role.",
    ("model", "role"),
    buckets=LLM_BUCKETS,
)
TOKENS = Counter(
    "synthmesh_llm_tokens", "Tokens sent (prompt) and received (completion), by model.", ("model", "direction")
)
COST = Counter("synthmesh_llm_cost_usd", "Provider cost in US dollars as priced by litellm, by model.", ("model",))
REQUESTS = Counter(
    "synthmesh_llm_requests", "LLM HTTP attempts by model, role and outcome.", ("model", "role", "outcome")
)
FATAL = Gauge(
    "synthmesh_llm_fatal",
    "1 after an authentication or credit failure for this model, until a later call succeeds.",
    ("model",),
)


OTHER_MODEL = "other"


def record_reply(completion: Completion, outcome: str, model: str) -> None:
    """Updates every metric for one attempt that got a reply (an empty one too: its tokens were spent).

    `model` is the label: the completion's model, or OTHER_MODEL when it is not a configured one.
    """
    role = completion.role
    REQUESTS.labels(model=model, role=role, outcome=outcome).inc()
    REQUEST_SECONDS.labels(model=model, role=role).observe(completion.seconds)
    TOKENS.labels(model=model, direction="prompt").inc(completion.prompt_tokens)
    TOKENS.labels(model=model, direction="completion").inc(completion.completion_tokens)
    if completion.cost_usd > 0:
        COST.labels(model=model).inc(completion.cost_usd)
