"""Selection: lexicase keeps specialists, runs one event per slot, and fills the beam with distinct parents."""

from __future__ import annotations

import random

from services.iterator.candidates import Candidate
from services.iterator.selection import lexicase, tournament


def candidate(name: str, cases: list[float]) -> Candidate:
    c = Candidate(id=name, files=[], case_scores=cases)
    c.score = sum(cases) / len(cases)
    return c


# Three generalists and one specialist: the only program that passes case 3, with the lowest mean.
POPULATION = [candidate("g1", [1, 1, 1, 0]), candidate("g2", [1, 1, 0, 0]), candidate("g3", [1, 0, 1, 0]),
              candidate("specialist", [0, 0, 0, 1])]


def test_tournament_drops_the_specialist() -> None:
    assert [c.id for c in tournament(POPULATION, 2)] == ["g1", "g2"]
    assert "specialist" not in [c.id for c in tournament(POPULATION, 3)]


def test_lexicase_keeps_the_specialist_whenever_its_case_comes_first() -> None:
    kept = sum("specialist" in [c.id for c in lexicase(POPULATION, 2, random.Random(seed))] for seed in range(200))
    # One event in four starts with case 3; two events per beam give it two chances: about 7 in 16 of runs.
    assert 60 <= kept <= 120


def test_lexicase_runs_an_event_per_slot_and_returns_distinct_parents() -> None:
    for seed in range(50):
        beam = lexicase(POPULATION, 3, random.Random(seed))
        assert len(beam) == 3 and len({c.id for c in beam}) == 3


def test_lexicase_with_a_beam_larger_than_the_pool_returns_everyone() -> None:
    assert sorted(c.id for c in lexicase(POPULATION, 10, random.Random(1))) == sorted(c.id for c in POPULATION)


def test_case_scores_are_bound_to_their_own_case() -> None:
    # SEIDR's late-binding bug made every critic score the last example, so one program always won; with one
    # score per test, each program wins the events that start with its own case.
    a, b = candidate("a", [1, 0]), candidate("b", [0, 1])
    winners = {lexicase([a, b], 1, random.Random(seed))[0].id for seed in range(20)}
    assert winners == {"a", "b"}
