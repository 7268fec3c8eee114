"""Request checks made before a run starts, so a bad request costs no LLM call and ends as INVALID_ARGUMENT.

Every fault is recorded as a field violation (google.rpc.BadRequest) through `services.common.errors`.
"""

from __future__ import annotations

import math

from services.common import job_rules as shared
from services.common.errors import Violations
from services.iterator import analyzers
from services.iterator.runner import STRATEGIES
from services.iterator.strategies.llmcoder import MAX_CHOICES
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

# Allowed range of each numeric option; 0 always means "the strategy's default". The ceilings lie far above the
# papers' settings: they stop a typo from building millions of concurrent calls (SEIDR starts branching_factor
# drafts at once) or loops the budget would only end by wall time. Negative values would leave SEIDR without
# drafts or parents and AlphaCodium without an initial attempt.
OPTION_RANGES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "seidr": (("branching_factor", 0, 1000), ("beam_width", 0, 1000), ("explanations_per_program", 0, 100)),
    "alphacodium": (("max_solutions", 0, 20), ("ai_tests", 0, 100), ("max_initial_attempts", 0, 100),
                    ("max_fixes_per_test", 0, 100)),
    "llmcoder": (("choices", 0, MAX_CHOICES), ("meta_temperature", 0, 100), ("max_iterations", 0, 1000)),
    "rewoo": (("step_timeout_seconds", 0, 3600), ("max_rounds", 0, 100)),
}


def validate_problem(problem: pb.Problem, ceilings: ex.Limits | None, violations: Violations,
                     where: str = "problem") -> None:
    """Field checks shared by Solve and Repair, with the executor's rules for what the problem puts in each job.

    `ceilings` are the executor's largest limits (GetInfo), or None when they could not be learnt.
    """
    shared.check_language(problem.language, f"{where}.language", violations)
    if not problem.description.strip() and not problem.prompt.strip():
        violations.add(f"{where}.description", "a problem needs a description or a prompt")
    # Public tests (and the split check) go into every search job, hidden tests into the grading job.
    shared.check_tests(problem.public_tests, problem.language, f"{where}.public_tests", violations)
    shared.check_tests(problem.hidden_tests, problem.language, f"{where}.hidden_tests", violations)
    shared.check_unit_tests(problem.unit_tests, problem.language, f"{where}.unit_tests", violations)
    shared.check_limits(problem.limits, ceilings, problem.language, f"{where}.limits", violations)


def validate_budget(budget: pb.Budget, violations: Violations) -> None:
    """Budgets may be zero (server default) but never negative; NaN would disable the wall-time check."""
    for name in ("max_llm_calls", "max_tokens", "max_wall_seconds", "max_programs"):
        value = getattr(budget, name)
        if value < 0:
            violations.add(f"budget.{name}", "must not be negative")
        elif not math.isfinite(value):
            violations.add(f"budget.{name}", "must be a finite number")


def validate_strategy(strategy: pb.Strategy.ValueType, language: ex.Language.ValueType, options: str | None,
                      violations: Violations) -> None:
    """The strategy is known, fits the problem's language, and `options` (a oneof's field name) belongs to it."""
    if strategy not in STRATEGIES:
        names = ", ".join(f"STRATEGY_{name.upper()}" for name, _, _ in STRATEGIES.values())
        violations.add("strategy", f"must be one of {names}")
        return
    if strategy == pb.STRATEGY_LLMCODER and language != ex.LANGUAGE_PYTHON:
        violations.add("problem.language", "LLMcoder's analysers (mypy, jedi) are Python only")
    if options and options != STRATEGIES[strategy][2]:
        violations.add(options, f"options for {options} given with strategy {pb.Strategy.Name(strategy)}")


def validate_options(request: pb.SolveRequest, violations: Violations) -> None:
    """Range checks of the options message the request carries, named `<option>.<field>`."""
    option = request.WhichOneof("options")
    if option is None:
        return
    message = getattr(request, option)
    for name, low, high in OPTION_RANGES[option]:
        value = getattr(message, name)
        if not low <= value <= high:  # also refuses NaN, which compares false with everything
            violations.add(f"{option}.{name}", f"must lie in [{low:g}, {high:g}] (0 takes the default)")
    if option == "seidr" and request.seidr.ranking not in pb.Ranking.values():
        violations.add("seidr.ranking", "must be RANKING_UNSPECIFIED, RANKING_TOURNAMENT or RANKING_LEXICASE")
    if option == "llmcoder":
        _check_analyzers(list(request.llmcoder.analyzers), violations)


def _check_analyzers(names: list[str], violations: Violations) -> None:
    # An unknown name used to be skipped silently, and a repeated one counts its score twice.
    for i, name in enumerate(names):
        if name not in analyzers.NAMES:
            violations.add(f"llmcoder.analyzers[{i}]", f"must be one of {', '.join(analyzers.NAMES)}")
        elif name in names[:i]:
            violations.add(f"llmcoder.analyzers[{i}]", f"{name!r} is listed twice")
