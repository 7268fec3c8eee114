"""The generator's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.common.metrics import LLM_BUCKETS

QAPS = Counter("synthmesh_generator_qaps", "QAPs built, by outcome (generated, dropped).", ("outcome",))
DROPPED = Counter("synthmesh_qap_dropped", "QAPs dropped, by reason.", ("reason",))
STAGE_SECONDS = Histogram("synthmesh_generator_stage_seconds", "Time spent per pipeline stage.", ("stage",),
                          buckets=LLM_BUCKETS)
LLM_CALLS = Histogram("synthmesh_generator_llm_calls_per_qap", "LLM calls made for one QAP (built or dropped).",
                      buckets=(1, 2, 4, 6, 8, 10, 15, 20, 30, 50))
TOKENS = Histogram("synthmesh_generator_tokens_per_qap", "Prompt plus completion tokens for one QAP.",
                   buckets=(1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 200_000, 500_000))
REPAIRS = Counter("synthmesh_generator_repairs", "Answer repairs: attempts, and answers that ended clean.",
                  ("result",))
TOPICS = Counter("synthmesh_generator_topics", "QAPs generated per topic.", ("topic",))
PUSHED = Counter("synthmesh_generator_pushed", "QAPs pushed to the pool.", ("pool",))
# A generated QAP the pool did not take: counted here, not among the drops (it was built, and counted so).
PUSH_FAILURES = Counter("synthmesh_generator_push_failures", "Generated QAPs the pool refused or could not take, "
                        "by reason.", ("reason",))
REFILLING = Gauge("synthmesh_generator_refilling", "1 while the refill loop runs, 0 when paused (e.g. LLM auth).")
