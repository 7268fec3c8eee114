"""Completion metrics against a reference, as LLMcoder reports them (ancestors.md §3.3), each labelled.

LLMcoder calls `Levenshtein.distance`, nltk's `sentence_bleu([reference], completion)` on raw strings (so BLEU
runs over characters, 1- to 4-grams, uniform weights, no smoothing) and `difflib.SequenceMatcher(...).ratio()`.
The same definitions are written here so no dependency is needed. Token counts use a regex tokenizer (words,
numbers, single punctuation characters); model tokens come from the iterator's usage in generation mode.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\w+|[^\w\s]")


def levenshtein(a: str, b: str) -> int:
    """Character edits (insert, delete, substitute) turning `a` into `b`."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def _ngrams(text: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(text[i:i + n]) for i in range(len(text) - n + 1))


def bleu(reference: Sequence[str], candidate: Sequence[str], max_n: int = 4) -> float:
    """Sentence BLEU (Papineni et al. 2002) of `candidate` against one reference, without smoothing.

    Clipped n-gram precisions for n = 1..max_n, geometric mean with uniform weights, times the brevity penalty
    exp(1 − r/c) when the candidate is shorter than the reference. As nltk without smoothing, any n-gram order
    with no match makes the score 0.
    """
    if not candidate or not reference:
        return 0.0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
        matches = sum(min(count, ref[gram]) for gram, count in cand.items())
        if matches == 0:
            return 0.0
        log_sum += math.log(matches / max(1, sum(cand.values()))) / max_n
    c, r = len(candidate), len(reference)
    brevity = 1.0 if c > r else math.exp(1 - r / c)
    return brevity * math.exp(log_sum)


def tokens(text: str) -> list[str]:
    """Regex tokens: runs of word characters, or single punctuation characters."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class TextMetric:
    """A registered completion metric."""

    key: str
    name: str
    definition: str
    higher_is_better: bool
    compute: Callable[[str, str], float]


TEXT_METRICS: dict[str, TextMetric] = {}


def _register(key: str, name: str, definition: str, higher_is_better: bool,
              compute: Callable[[str, str], float]) -> None:
    TEXT_METRICS[key] = TextMetric(key, name, definition, higher_is_better, compute)


_register("levenshtein", "Levenshtein distance (characters)",
          "mean number of single-character insertions, deletions and substitutions turning the reference "
          "completion into the sample (LLMcoder's Levenshtein.distance)", False,
          lambda ref, out: float(levenshtein(ref, out)))
_register("bleu", "BLEU-4 over characters (no smoothing)",
          "mean sentence BLEU of the sample against the reference, computed over characters as LLMcoder's "
          "nltk sentence_bleu([reference], completion) does: 1..4-gram clipped precisions, uniform weights, "
          "brevity penalty, 0 when an order has no match", True,
          lambda ref, out: bleu(list(ref), list(out)))
_register("sequence_matcher", "difflib SequenceMatcher ratio",
          "mean difflib.SequenceMatcher(None, reference, sample).ratio(): 2 x matched characters / total "
          "characters", True,
          lambda ref, out: SequenceMatcher(None, ref, out).ratio())
_register("exact_match", "exact match",
          "fraction of samples equal to the reference after stripping surrounding whitespace", True,
          lambda ref, out: float(ref.strip() == out.strip()))
_register("tokens", "tokens per sample (regex tokens)",
          "mean number of regex tokens (word runs and single punctuation characters) in the sample; not model "
          "tokens", False,
          lambda ref, out: float(len(tokens(out))))


def score_completion(reference: str, completion: str) -> dict[str, float]:
    """Every text metric of one completion."""
    return {key: metric.compute(reference, completion) for key, metric in TEXT_METRICS.items()}
