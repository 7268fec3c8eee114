"""Prometheus metrics of the pool (style.md §2.6 names: `synthmesh_` prefix, `_total` added to counters)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Waits run from a fraction of a millisecond (pool non-empty: one batched script call) to the gateway's limit,
# which stays under Dojo's 120 s timeout.
WAIT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                60, 120)

POOL_DEPTH = Gauge(
    "synthmesh_pool_depth",
    "QAPs in each part of the pool: v1 queue, v2 questions, in flight (handed out, unacknowledged), dead letter.",
    ("pool",),
)
# The depth gauges keep their last value while Redis is down; this says whether they are current.
REDIS_UP = Gauge("synthmesh_pool_redis_up", "1 when the last pool check (every maintenance period) reached Redis.")
PUSHES = Counter("synthmesh_pool_pushes", "QAPs stored in the pool, by pool.", ("pool",))
REJECTED_PUSHES = Counter(
    "synthmesh_pool_rejected_pushes", "Pushes refused because Dojo would reject the QAP, by reason.", ("reason",)
)
HANDOUTS = Counter("synthmesh_pool_handouts", "QAPs handed out and acknowledged, by pool.", ("pool",))
EMPTY_WAITS = Counter(
    "synthmesh_pool_empty_waits",
    "Hand-outs that found the v1 queue empty and blocked, by outcome (served, timeout, interrupted, error).",
    ("outcome",),
)
WAIT_SECONDS = Histogram(
    "synthmesh_pool_wait_seconds",
    "Time from asking for a v1 QAP to holding one, or to giving up on an empty pool.",
    buckets=WAIT_BUCKETS,
)
DEAD_LETTERED = Counter(
    "synthmesh_pool_dead_lettered",
    "QAPs taken out of service into the dead-letter list, by reason (invalid_stored, lease_expired, ...).",
    ("reason",),
)
REQUEUED = Counter(
    "synthmesh_pool_requeued",
    "Claimed QAPs put back at the head of the queue because they were never sent, by reason.",
    ("reason",),
)
REDIS_ERRORS = Counter(
    "synthmesh_pool_redis_errors", "Pool operations that failed because Redis did not answer, by operation.", ("op",)
)
