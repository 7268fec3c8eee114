"""The estimators and completion metrics, without any service."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest

from services.evaluator.scoring import (
    METRICS,
    ProblemScore,
    any_of_k,
    default_ks,
    unbiased_pass_at_k,
    unbiased_pass_at_k_exact,
)
from services.evaluator.textmetrics import TEXT_METRICS, bleu, levenshtein, score_completion, tokens


@pytest.mark.parametrize("n", [1, 2, 5, 10, 37])
def test_estimator_matches_the_binomial_definition(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            exact = 1 - Fraction(comb(n - c, k), comb(n, k))
            assert unbiased_pass_at_k_exact(n, c, k) == exact
            assert unbiased_pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-12)


def test_estimator_edge_cases() -> None:
    assert unbiased_pass_at_k(5, 0, 1) == 0.0 and unbiased_pass_at_k(5, 0, 5) == 0.0  # c = 0
    assert unbiased_pass_at_k(5, 3, 3) == 1.0  # n - c < k: every draw of 3 holds a correct sample
    assert unbiased_pass_at_k(5, 1, 5) == 1.0 and unbiased_pass_at_k(5, 0, 5) == 0.0  # k = n: any-of-all
    assert unbiased_pass_at_k(5, 2, 1) == pytest.approx(0.4)  # k = 1 is c / n
    # Large n: the product form never builds C(1000, 500).
    assert unbiased_pass_at_k(1000, 1, 500) == pytest.approx(0.5)
    for bad in ((5, 6, 1), (5, 1, 0), (5, 1, 6), (3, -1, 1)):
        with pytest.raises(ValueError):
            unbiased_pass_at_k(*bad)


def test_any_of_k_reads_submission_order_and_registry_definitions() -> None:
    assert not any_of_k([False, False, True], 2) and any_of_k([False, False, True], 3)
    problems = [ProblemScore("a", (False, True)), ProblemScore("b", (True, False)), ProblemScore("c", (False, False))]
    assert METRICS["any_of_k"].compute(problems, 1) == pytest.approx(1 / 3)
    assert METRICS["unbiased_pass_at_k"].compute(problems, 1) == pytest.approx(1 / 3)
    budget = [ProblemScore("a", (False,), (True, False)), ProblemScore("b", (False,), (False, False))]
    assert METRICS["solved_within_budget"].compute(budget, 0) == 0.25
    for metric in METRICS.values():
        assert metric.definition and metric.higher_is_better and "pass@k" not in metric.name
    assert default_ks(5) == [1] and default_ks(10) == [1, 10] and default_ks(200) == [1, 10, 100]


def test_text_metrics() -> None:
    assert levenshtein("kitten", "sitting") == 3 and levenshtein("", "abc") == 3 and levenshtein("same", "same") == 0
    # Values cross-checked once against nltk's sentence_bleu([reference], candidate) on raw strings.
    assert bleu(list("the cat sat on the mat"), list("the cat is on the mat")) == pytest.approx(0.785920909501)
    assert bleu(list("json.load(f)\n"), list("json.loads(f.read())\n")) == pytest.approx(0.467547209814)
    assert bleu(list("abcdefgh"), list("abcd")) == pytest.approx(0.367879441171)  # brevity penalty e^(1-2)
    assert bleu(list("abc"), list("xyz")) == 0.0 and bleu(list("abc"), []) == 0.0
    assert tokens("x = f(a, 10)") == ["x", "=", "f", "(", "a", ",", "10", ")"]
    scores = score_completion("return a + b\n", "return a + b\n")
    assert scores == {"levenshtein": 0.0, "bleu": 1.0, "sequence_matcher": 1.0, "exact_match": 1.0, "tokens": 4.0}
    assert set(scores) == set(TEXT_METRICS) and all(m.definition for m in TEXT_METRICS.values())
