"""Questions in upstream's format, recognised back from their text, and their augmentations.

A corpus question is the subject's intro line, a "Features:" list and a numbered "User Actions:" list. Every
line comes from a block, so the variant of any question the offline model wrote (or rewrote) is recovered from
which lines the text contains; a question from a real model matches no entry and gets the generic page.
"""

from __future__ import annotations

import re

from services.offline_llm.corpus import ENTRIES
from services.offline_llm.corpus.model import Entry, Variant

QUESTION_LEVELS = ("REMOVE_REQUIREMENTS", "ADD_REQUIREMENTS", "CHANGE_ANIMATION_OBJECT")
ANSWER_LEVELS = ("REMOVE_ONE", "REMOVE_TWO", "ADD_ONE")

_SPACE = re.compile(r"\s+")

# Related subjects for the generic CHANGE_ANIMATION_OBJECT rewrite of a question no entry matches.
_SWAPS = {"fish": "jellyfish", "birds": "bats", "bird": "bat", "stars": "fireflies", "cars": "boats",
          "car": "boat", "planets": "moons", "planet": "moon", "balloons": "kites", "balloon": "kite",
          "particles": "bubbles", "trees": "flowers", "tree": "flower", "snow": "rain", "leaves": "petals",
          "robot": "drone", "robots": "drones", "spaceship": "submarine", "ball": "puck"}
_GENERIC_BULLET = "- A small counter in the corner shows how many times the user has interacted with the scene."


def question_text(entry: Entry, variant: Variant) -> str:
    """The question for `variant`: intro, Features bullets, numbered User Actions."""
    subject = entry.subject(variant)
    features = [b.render(subject) for b in entry.features if b.key not in variant.omit]
    if variant.extra:
        features.append(entry.extra.render(subject))
    actions = [b.render(subject) for b in entry.actions if b.key not in variant.omit]
    lines = [subject.intro, "", "Features:", *(f"- {f}" for f in features), "", "User Actions:"]
    lines += [f"{i}. {a}" for i, a in enumerate(actions, 1)]
    return "\n".join(lines) + "\n"


def base_variant(entry: Entry, n_actions: int) -> Variant:
    """The original question's variant: every feature and the first `n_actions` user actions."""
    return Variant(omit=frozenset(b.key for b in entry.actions[n_actions:]))


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def match_question(text: str) -> tuple[Entry, Variant] | None:
    """The entry and variant whose question `text` contains (whitespace and case are ignored)."""
    norm = _norm(text)
    for entry in ENTRIES:
        for alt in (False, True):
            subject = entry.alt if alt else entry.main
            if _norm(subject.intro) not in norm:
                continue
            omit = {b.key for b in (*entry.features, *entry.actions) if _norm(b.render(subject)) not in norm}
            extra = _norm(entry.extra.render(subject)) in norm
            return entry, Variant(alt, frozenset(omit), extra)
    return None


def augment_variant(entry: Entry, variant: Variant, level: str, pick: int) -> Variant:
    """The variant a question (QUESTION_LEVELS) or answer (ANSWER_LEVELS) augmentation produces.

    Args:
        entry: The corpus entry.
        variant: The variant being rewritten (its bug, if any, is dropped).
        level: One of QUESTION_LEVELS or ANSWER_LEVELS.
        pick: A deterministic number choosing which features go.

    Raises:
        ValueError: for an unknown level.
    """
    base = variant.working()
    present = [b.key for b in entry.present_features(base)]
    if level in ("REMOVE_REQUIREMENTS", "REMOVE_ONE", "REMOVE_TWO"):
        count = 2 if level == "REMOVE_TWO" else 1
        # Keep at least one feature: a page with none is not what any level describes.
        count = min(count, max(0, len(present) - 1))
        start = pick % len(present) if present else 0
        return base.without(*(present[start:] + present[:start])[:count])
    if level in ("ADD_REQUIREMENTS", "ADD_ONE"):
        return Variant(base.alt, base.omit, True) if not base.extra else base
    if level == "CHANGE_ANIMATION_OBJECT":
        return Variant(not base.alt, base.omit, base.extra)
    raise ValueError(f"unknown augmentation level {level!r}; expected one of "
                     f"{', '.join(QUESTION_LEVELS + ANSWER_LEVELS)}")


def augment_unknown_question(question: str, level: str) -> str:
    """A textual rewrite of a question no entry matches (a real model's), in upstream's format."""
    lines = question.strip("\n").split("\n")
    bullets = [i for i, line in enumerate(lines) if line.lstrip().startswith("- ")]
    if level == "REMOVE_REQUIREMENTS":
        if len(bullets) >= 2:
            del lines[bullets[-1]]
    elif level == "ADD_REQUIREMENTS":
        lines.insert(bullets[-1] + 1 if bullets else len(lines), _GENERIC_BULLET)
    elif level == "CHANGE_ANIMATION_OBJECT":
        first = lines[0] if lines else ""
        swapped = re.sub(r"\b(\w+)\b", lambda m: _SWAPS.get(m.group(1).lower(), m.group(1)), first)
        lines[0] = swapped if swapped != first else f"{first} Set it in a different but closely related scene."
    else:
        raise ValueError(f"unknown question level {level!r}; expected one of {', '.join(QUESTION_LEVELS)}")
    return "\n".join(lines) + "\n"
