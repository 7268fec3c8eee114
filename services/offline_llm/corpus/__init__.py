"""The offline model's bundled corpus: questions and working, composable answer pages (no downloads).

Eight entries per topic (ANIMATION, SCIENCE, GAMES). Each entry is a question in upstream's format and a page
assembled from a core plus removable feature and user-action blocks (see `model`), so every augmentation of
the question or the answer yields a page that differs in exactly the named features and still runs.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from services.offline_llm.corpus import (
    animation,
    animation2,
    animation3,
    games,
    games2,
    games3,
    games4,
    science,
    science2,
    science3,
    science4,
)
from services.offline_llm.corpus.fallback import GENERIC_ID, generic_entry, title_from
from services.offline_llm.corpus.model import Entry, Variant

TOPICS = ("ANIMATION", "SCIENCE", "GAMES")

ENTRIES: tuple[Entry, ...] = (
    animation.KOI, animation.FIREFLIES, animation.LEAVES, animation.BALLOONS,
    animation2.FLOCK, animation2.BUBBLES, animation3.STARS, animation3.FIREWORKS,
    science.PENDULUMS, science.GAS, science2.ORBITS, science2.PROJECTILES,
    science3.RIPPLES, science3.CHARGES, science4.ECOSYSTEM, science4.DIFFUSION,
    games.FRUIT, games.ASTEROIDS, games2.POPPER, games2.RUNNER,
    games3.MATCHER, games3.MOLES, games4.SNAKE, games4.ARCHERY,
)

_BY_ID = {e.id: e for e in ENTRIES}
_MARKER = re.compile(r"synthmesh-offline:([a-z0-9-]+):([A-Za-z0-9_,!+-]+)")


def by_topic(topic: str) -> list[Entry]:
    """The entries of one topic (case-insensitive); unknown topics get every entry."""
    chosen = [e for e in ENTRIES if e.topic == topic.upper()]
    return chosen or list(ENTRIES)


def by_id(entry_id: str) -> Entry | None:
    """The entry with this id, if any."""
    return _BY_ID.get(entry_id)


def find_marker(code: str) -> tuple[Entry, Variant] | None:
    """The entry and variant named by a page's `synthmesh-offline:<id>:<variant>` marker, if it has one."""
    for match in _MARKER.finditer(code):
        entry = generic_entry(title_from(code)) if match.group(1) == GENERIC_ID else _BY_ID.get(match.group(1))
        if entry is None:
            continue
        try:
            return entry, Variant.parse(match.group(2))
        except ValueError:
            continue
    return None


@cache
def personas() -> tuple[str, ...]:
    """The bundled personas (one per line in corpus/personas.txt) that seed question generation."""
    text = resources.files(__package__).joinpath("personas.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
