"""Every Redis key the pool touches.

Dojo fixes the public part of the layout (dojo-contract §3.2 and §8.3); the validator's v2 client reads
`synthetic:questions` and `synthetic:answers:*` directly, so their names and shapes never change. Bookkeeping that
Dojo does not know about stays under `synthetic:mesh:`, never at the top level of a Redis that Dojo shares.
"""

from __future__ import annotations

PREFIX = "synthetic"

# v1: whole QAP bodies, FIFO (RPUSH on push, popped from the left).
QUEUE = f"{PREFIX}:queue"
# v2: question records {"question", "qa_id", "ans_aug_id"}; the answers live in their own string keys.
QUESTIONS = f"{PREFIX}:questions"
ANSWER_PREFIX = f"{PREFIX}:answers:"
# Archive of every pushed QAP, always with a TTL.
HISTORY_PREFIX = f"{PREFIX}:history:"

MESH = f"{PREFIX}:mesh"
# Hash: lease -> claimed body, and lease|caller -> who claimed it; the bodies handed out but not yet acknowledged.
INFLIGHT = f"{MESH}:inflight"
# Sorted set: lease -> deadline (Redis server time, seconds) by which the hand-out must be acknowledged.
LEASES = f"{MESH}:leases"
# Sorted set: lease -> when the sweeper expired it; lets a late acknowledgement be logged exactly once.
EXPIRED = f"{MESH}:expired"
# Sorted set: lease -> end of the wait, for callers blocked on an empty queue (see CLAIM_PREFIX).
WAITERS = f"{MESH}:waiters"
# List per blocked caller: BLMOVE moves the head of the queue here, so a wake-up is owned by exactly one caller.
CLAIM_PREFIX = f"{MESH}:claim:"
# Stream: one entry per acknowledged hand-out (pool, caller, ids, lease), bounded with MAXLEN ~.
DELIVERIES = f"{MESH}:deliveries"
# List of JSON records {reason, detail, lease, caller, at, raw}: what was taken out of service, never silently.
DEAD = f"{MESH}:dead"
# Hash of counters shared by every replica: pushed_v1, handed_out_v1, requeued, dead_lettered, ...
STATS = f"{MESH}:stats"
# Hash: rejection reason -> pushes refused for it.
REJECTED = f"{MESH}:rejected"
# String per qa_id with the history TTL: refuses a second push of the same QAP.
SEEN_PREFIX = f"{MESH}:seen:"


def answer(answer_id: str) -> str:
    """`synthetic:answers:{id}`: one v2 answer record."""
    return ANSWER_PREFIX + answer_id


def history(history_id: str) -> str:
    """`synthetic:history:{uuid7}`: the archived copy of a pushed QAP."""
    return HISTORY_PREFIX + history_id


def claim(lease: str) -> str:
    """The private list a blocked caller's BLMOVE delivers into."""
    return CLAIM_PREFIX + lease


def seen(qa_id: str) -> str:
    """The marker that a QAP with this qa_id (its rank-0 cid) was pushed recently."""
    return SEEN_PREFIX + qa_id
