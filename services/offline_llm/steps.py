"""The step protocol: what the offline model answers for each `synthmesh-step` header.

| step               | params                              | user message          | reply                          |
|--------------------|-------------------------------------|-----------------------|--------------------------------|
| question           | topic                               | the persona           | question text                  |
| augment_question   | level (QUESTION_LEVELS)             | the question          | only the modified question     |
| answer             | broken, bug                         | the question          | JSON files                     |
| augment_answer     | level (ANSWER_LEVELS), broken, bug  | the base answer code  | JSON files                     |
| repair             | —                                   | code + error feedback | JSON files, working            |
| (none)             | —                                   | any prompt            | code block or short answer     |

JSON files: `{"files": [{"filename": "index.html", "content": ..., "language": "html"}, {"filename":
"index.js", ...}]}`, sometimes with an `index.css`, sometimes inside a ```json fence with a sentence before it.
Every answer page carries the marker `synthmesh-offline:<entry>:<variant>`, which is how augment_answer and
repair recognise the code they are given.
"""

from __future__ import annotations

import json

from services.offline_llm import canned, corpus
from services.offline_llm.corpus import template
from services.offline_llm.corpus.fallback import generic_entry, title_from
from services.offline_llm.corpus.model import BUG_KINDS, Entry, Variant
from services.offline_llm.corpus.questions import (
    ANSWER_LEVELS,
    QUESTION_LEVELS,
    augment_unknown_question,
    augment_variant,
    base_variant,
    match_question,
    question_text,
)
from services.offline_llm.protocol import Request

STEPS = ("question", "augment_question", "answer", "augment_answer", "repair")

# Upstream's topic weights (dojo-contract §5.2), used when the request names no topic.
TOPIC_WEIGHTS = (("ANIMATION", 45), ("SCIENCE", 30), ("GAMES", 25))


class StepError(ValueError):
    """The request names an unknown step or bad parameters; the server answers 400 with this message."""


def reply(req: Request, broken_rate: float) -> str:
    """The reply text for `req`, by its step (or the untagged fallback)."""
    if req.step is None:
        return canned.reply(req, broken_rate)
    handler = _HANDLERS.get(req.step)
    if handler is None:
        # The iterator names its own steps (draft, explain, plan, ...); they get the untagged answer, so any
        # strategy runs end to end against the offline model.
        return canned.reply(req, broken_rate)
    return handler(req, broken_rate)


def _question(req: Request, broken_rate: float) -> str:
    topic = req.params.get("topic", "").upper()
    if not topic:
        roll, total = req.digest("topic") % 100, 0
        for name, weight in TOPIC_WEIGHTS:
            total += weight
            if roll < total:
                topic = name
                break
    if topic not in corpus.TOPICS:
        raise StepError(f"unknown topic {topic!r}; expected one of {', '.join(corpus.TOPICS)}")
    candidates = corpus.by_topic(topic)
    entry = candidates[req.digest("entry") % len(candidates)]
    # Upstream asks for 2 or 3 user actions at random, always 2 for games.
    n_actions = 2 if topic == "GAMES" else 2 + req.digest("actions") % 2
    return question_text(entry, base_variant(entry, min(n_actions, len(entry.actions))))


def _level(req: Request, allowed: tuple[str, ...]) -> str:
    level = req.params.get("level", "").upper()
    if level not in allowed:
        raise StepError(f"step {req.step} needs level=<{'|'.join(allowed)}>; got {level or 'nothing'!r}")
    return level


def _augment_question(req: Request, broken_rate: float) -> str:
    level = _level(req, QUESTION_LEVELS)
    found = req.find(match_question)
    if found is None:
        return augment_unknown_question(req.content, level)
    entry, variant = found
    return question_text(entry, augment_variant(entry, variant, level, req.digest("level")))


def _answer(req: Request, broken_rate: float) -> str:
    found = req.find(match_question)
    if found is None:
        entry, variant = generic_entry(title_from(req.content)), Variant()
    else:
        entry, variant = found
    return _files_reply(req, entry, _maybe_broken(req, variant, broken_rate))


def _augment_answer(req: Request, broken_rate: float) -> str:
    level = _level(req, ANSWER_LEVELS)
    entry, variant = _recognise(req)
    augmented = augment_variant(entry, variant, level, req.digest("level"))
    return _files_reply(req, entry, _maybe_broken(req, augmented, broken_rate))


def _repair(req: Request, broken_rate: float) -> str:
    entry, variant = _recognise(req)
    return _files_reply(req, entry, variant.working())


def _recognise(req: Request) -> tuple[Entry, Variant]:
    """The entry and variant of the page in the conversation by its marker; else the generic page."""
    return req.find(corpus.find_marker) or (generic_entry(title_from(req.content)), Variant())


def _maybe_broken(req: Request, variant: Variant, broken_rate: float) -> Variant:
    """Breaks a deterministic `broken_rate` share of pages; `broken=0|1` and `bug=<kind>` override per request."""
    forced, kind = req.params.get("broken"), req.params.get("bug")
    if kind is not None and kind not in BUG_KINDS:
        raise StepError(f"unknown bug {kind!r}; expected one of {', '.join(BUG_KINDS)}")
    broken = kind is not None or (forced == "1" if forced in ("0", "1") else req.unit("broken") < broken_rate)
    if not broken:
        return variant.working()
    return Variant(variant.alt, variant.omit, variant.extra, kind or BUG_KINDS[req.digest("bug") % len(BUG_KINDS)])


def _files_reply(req: Request, entry: Entry, variant: Variant) -> str:
    """The answer JSON, with the wrapping real models use chosen deterministically per request."""
    style = req.digest("style")
    files = template.files(entry, variant, split_css=style % 3 == 0)
    payload = json.dumps({"files": files}, indent=2, ensure_ascii=False)
    wrapping = (style // 3) % 3
    if wrapping == 0:
        return payload
    if wrapping == 1:
        return f"```json\n{payload}\n```"
    return f"Here is the complete implementation as requested:\n\n```json\n{payload}\n```\n"


_HANDLERS = {
    "question": _question,
    "augment_question": _augment_question,
    "answer": _answer,
    "augment_answer": _augment_answer,
    "repair": _repair,
}
