"""The corpus's structure: entries, question round trips, markers, variants, files, personas."""

from __future__ import annotations

import itertools

import pytest

from services.offline_llm import corpus
from services.offline_llm.corpus import template
from services.offline_llm.corpus.fallback import generic_entry, title_from
from services.offline_llm.corpus.model import BUG_KINDS, Entry, Variant
from services.offline_llm.corpus.questions import (
    ANSWER_LEVELS,
    QUESTION_LEVELS,
    augment_variant,
    base_variant,
    match_question,
    question_text,
)

IDS = [e.id for e in corpus.ENTRIES]


def test_eight_entries_per_topic_with_unique_ids_and_intros() -> None:
    assert {t: len(corpus.by_topic(t)) for t in corpus.TOPICS} == {t: 8 for t in corpus.TOPICS}
    assert len(set(IDS)) == len(IDS)
    intros = [s.intro for e in corpus.ENTRIES for s in (e.main, e.alt)]
    assert len(set(intros)) == len(intros)
    for entry in corpus.ENTRIES:
        assert len(entry.features) >= 4
        assert len(entry.actions) == (2 if entry.topic == "GAMES" else 3)


def variants(entry: Entry) -> list[Variant]:
    """Every single augmentation of both question sizes, and a few combinations."""
    out = []
    for n_actions in sorted({2, len(entry.actions)}):
        base = base_variant(entry, n_actions)
        out.append(base)
        out += [augment_variant(entry, base, level, pick) for level in QUESTION_LEVELS + ANSWER_LEVELS
                for pick in range(len(entry.features))]
    return out


@pytest.mark.parametrize("entry", corpus.ENTRIES, ids=IDS)
def test_every_question_variant_is_recognised_from_its_text(entry: Entry) -> None:
    for variant in variants(entry):
        text = question_text(entry, variant)
        assert match_question(f"Please rewrite:\n\n{text}\nNote:\n- use JavaScript") == (entry, variant)
        assert "{" not in text and "}" not in text, "an unfilled placeholder"


@pytest.mark.parametrize("entry", corpus.ENTRIES, ids=IDS)
def test_pages_carry_their_marker_and_merge_like_the_single_file(entry: Entry) -> None:
    for variant, bug in itertools.product(variants(entry)[:4], (None, *BUG_KINDS)):
        marked = Variant(variant.alt, variant.omit, variant.extra, bug)
        page = template.page(entry, marked)
        assert corpus.find_marker(page) == (entry, marked)
        for split in (False, True):
            assert template.merge(template.files(entry, marked, split_css=split)) == page


def test_augmentations_differ_in_exactly_the_named_features() -> None:
    entry = corpus.ENTRIES[0]
    base = base_variant(entry, 3)
    keys = {b.key for b in entry.features}
    one = augment_variant(entry, base, "REMOVE_ONE", 1)
    two = augment_variant(entry, base, "REMOVE_TWO", 1)
    assert len(one.omit & keys) == 1 and len(two.omit & keys) == 2 and one.omit < two.omit
    assert augment_variant(entry, base, "ADD_ONE", 0) == Variant(omit=base.omit, extra=True)
    assert augment_variant(entry, base, "CHANGE_ANIMATION_OBJECT", 0) == Variant(alt=True, omit=base.omit)
    single = base.without(*list(keys)[1:])
    assert augment_variant(entry, single, "REMOVE_TWO", 0) == single, "the last feature stays"
    with pytest.raises(ValueError, match="unknown augmentation level"):
        augment_variant(entry, base, "REMOVE_ALL", 0)


def test_variant_tags_round_trip() -> None:
    for variant in [Variant(), Variant(True, frozenset({"a", "b_c"}), True, "type_error"), Variant(extra=True)]:
        assert Variant.parse(variant.tag) == variant
    assert Variant().tag == "base"
    with pytest.raises(ValueError):
        Variant.parse("alt,!segfault")


def test_generic_page_is_titled_from_the_question_and_recognised() -> None:
    title = title_from("Build a calm aquarium screensaver. It should have fish.\n\nFeatures:\n- fish")
    assert title == "Build a calm aquarium screensaver"
    page = template.page(generic_entry(title), Variant(extra=True))
    entry, variant = corpus.find_marker(page) or (None, None)
    assert entry is not None and entry.main.title == title and variant == Variant(extra=True)
    assert title_from("<title>Tom &amp; Jerry</title>") == "Tom & Jerry"


def test_personas_are_many_and_distinct() -> None:
    personas = corpus.personas()
    assert len(personas) >= 60 and len(set(personas)) == len(personas)
    assert all(len(p) > 20 and not p.startswith("#") for p in personas)
