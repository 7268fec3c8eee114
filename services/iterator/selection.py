"""Parent selection for beam search: tournament (by mean score) and lexicase.

Lexicase (Spector 2012) runs one selection event per parent slot, each with a fresh random order of the test
cases, keeping only the candidates that are best on each case in turn, until the beam is full. SEIDR's
published code ran a single event (itertools.combinations over all cases yields one ordering) and filled the
beam with that event's tied winners; here every slot gets its own event, and a chosen parent leaves the pool so
the beam holds distinct programs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from services.iterator.candidates import Candidate


def tournament(candidates: Sequence[Candidate], k: int) -> list[Candidate]:
    """The k best by mean score (stable: earlier candidates win ties)."""
    return sorted(candidates, key=lambda c: -c.score)[:k]


def lexicase_event(pool: Sequence[Candidate], rng: random.Random) -> Candidate:
    """One selection event: filter the pool case by case in a fresh random order; break final ties at random."""
    cases = list(range(max((len(c.case_scores) for c in pool), default=0)))
    rng.shuffle(cases)
    survivors = list(pool)
    for case in cases:
        best = max(_case(c, case) for c in survivors)
        survivors = [c for c in survivors if _case(c, case) == best]
        if len(survivors) == 1:
            break
    return rng.choice(survivors)


def lexicase(candidates: Sequence[Candidate], k: int, rng: random.Random) -> list[Candidate]:
    """Distinct parents, as many as `k`, one lexicase event each."""
    pool = list(candidates)
    chosen: list[Candidate] = []
    while pool and len(chosen) < k:
        pick = lexicase_event(pool, rng)
        chosen.append(pick)
        pool.remove(pick)
    return chosen


def _case(candidate: Candidate, case: int) -> float:
    return candidate.case_scores[case] if case < len(candidate.case_scores) else 0.0
