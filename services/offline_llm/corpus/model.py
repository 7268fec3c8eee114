"""The shapes of the corpus: feature blocks, subjects, entries and page variants.

A page is a core (the subject and its motion) plus removable feature blocks and user-action blocks. Because
each block registers itself through hooks of the shared prelude (`updaters`, `underlays`, `overlays`,
`hudLines`, `onKey`, `button`...), any subset of blocks still forms a working page; that is what lets the
augmentations (drop one requirement, add one, change the subject) produce pages that differ in exactly the
features they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

# Kinds of deliberate breakage (see template.BUGS); `repair` maps each back to the working page.
BUG_KINDS = ("reference_error", "type_error", "syntax_error", "unhandled_rejection", "console_error")

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Block:
    """One requirement and the code that implements it.

    `text` is the question's bullet (or numbered user action) and may name the subject through `{noun}`,
    `{nouns}`, `{Noun}`, `{Nouns}` and the subject's `terms`. `js` runs inside its own `{ ... }` scope after
    the core is defined.
    """

    key: str
    text: str
    js: str
    css: str = ""

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(f"block key {self.key!r} must be lower_snake_case")

    def worded(self, text: str, key: str | None = None) -> Block:
        """The same code under an entry's own wording (and key, when one page uses the block twice)."""
        return replace(self, text=text, key=key or self.key)

    def render(self, subject: Subject) -> str:
        """The requirement's text for `subject`."""
        return self.text.format(noun=subject.noun, nouns=subject.nouns, Noun=subject.noun.capitalize(),
                                Nouns=subject.nouns.capitalize(), **subject.terms)


@dataclass(frozen=True)
class Subject:
    """What a page shows: its title, the question's first line, and how it looks (`draw` JS)."""

    title: str
    intro: str
    noun: str
    nouns: str
    # JS defining drawBackground() and drawItem(it), plus any constants they need.
    draw: str
    accent: str = "#4fc3f7"
    # Further words block texts may name, e.g. {"player": "basket", "bad": "rotten apples"}.
    terms: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """A corpus question with its answer parts.

    `core` is JS defining spawn(x, y), init(), moveItem(it, dt) and stepWorld(dt); items carry at least x, y,
    vx, vy, r > 0 and hue. `features` are removable (at least three, so REMOVE_TWO leaves one); `extra` is
    the feature ADD_ONE / ADD_REQUIREMENTS adds; `alt` is the subject CHANGE_ANIMATION_OBJECT switches to.
    """

    id: str
    topic: str
    main: Subject
    alt: Subject
    core: str
    features: tuple[Block, ...]
    extra: Block
    actions: tuple[Block, ...]

    def __post_init__(self) -> None:
        keys = [b.key for b in (*self.features, self.extra, *self.actions)]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.id}: block keys repeat: {keys}")
        if len(self.features) < 3 or not 2 <= len(self.actions) <= 3:
            raise ValueError(f"{self.id}: needs at least 3 features and 2-3 user actions")

    def subject(self, variant: Variant) -> Subject:
        """The subject the variant shows."""
        return self.alt if variant.alt else self.main

    def blocks(self, variant: Variant) -> list[Block]:
        """The feature, extra and action blocks present in the variant, in page order."""
        present = [b for b in self.features if b.key not in variant.omit]
        if variant.extra:
            present.append(self.extra)
        return present + [b for b in self.actions if b.key not in variant.omit]

    def present_features(self, variant: Variant) -> list[Block]:
        """The removable features still present (what REMOVE_ONE / REMOVE_TWO can take away)."""
        return [b for b in self.features if b.key not in variant.omit]


@dataclass(frozen=True)
class Variant:
    """Which version of an entry's page: subject, omitted blocks, the extra feature, an injected bug."""

    alt: bool = False
    omit: frozenset[str] = field(default_factory=frozenset)
    extra: bool = False
    bug: str | None = None

    @property
    def tag(self) -> str:
        """Compact text form used in page markers, e.g. `alt,-trails,+extra,!type_error` or `base`."""
        tokens = (["alt"] if self.alt else []) + [f"-{k}" for k in sorted(self.omit)]
        tokens += (["+extra"] if self.extra else []) + ([f"!{self.bug}"] if self.bug else [])
        return ",".join(tokens) or "base"

    @classmethod
    def parse(cls, tag: str) -> Variant:
        """Inverse of `tag`; unknown tokens raise ValueError."""
        alt, extra, bug, omit = False, False, None, set()
        for part in filter(None, tag.strip().split(",")):
            if part == "alt":
                alt = True
            elif part == "+extra":
                extra = True
            elif part.startswith("-") and _KEY.match(part[1:]):
                omit.add(part[1:])
            elif part.startswith("!") and part[1:] in BUG_KINDS:
                bug = part[1:]
            elif part != "base":
                raise ValueError(f"unknown variant token {part!r} in {tag!r}")
        return cls(alt, frozenset(omit), extra, bug)

    def working(self) -> Variant:
        """The same page without its bug."""
        return replace(self, bug=None)

    def without(self, *keys: str) -> Variant:
        """The same page with more blocks omitted."""
        return replace(self, omit=self.omit | set(keys))
