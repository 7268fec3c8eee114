"""Candidate programs, their scores, and the feedback text an execution result turns into.

A candidate's score vector has one entry per feedback test (1.0 passed, 0.0 failed); HTML pages have a single
case that passes when the page raised no error. Scores come from the executor's per-test results, so each
"critic" is bound to its own test case by construction — SEIDR's late-binding bug, where every critic tested
the last example, cannot happen here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

MAX_FEEDBACK = 4000


@dataclass
class Candidate:
    """A program considered during a run."""

    id: str
    files: list[ex.File]
    parent_id: str = ""
    generation: int = 0
    origin: str = ""
    result: ex.ExecuteResponse | None = None
    case_scores: list[float] = field(default_factory=list)
    score: float = 0.0

    @property
    def code(self) -> str:
        """The entry file's text (the first file)."""
        return self.files[0].content if self.files else ""

    @property
    def solved(self) -> bool:
        """Executed and passed every feedback case."""
        return self.result is not None and bool(self.case_scores) and min(self.case_scores) == 1.0

    def to_proto(self) -> pb.Candidate:
        """The candidate as it appears in events and results."""
        message = pb.Candidate(id=self.id, parent_id=self.parent_id, generation=self.generation, files=self.files,
                               score=self.score, case_scores=self.case_scores)
        if self.result is not None:
            message.result.CopyFrom(self.result)
        return message


def case_scores(result: ex.ExecuteResponse) -> list[float]:
    """One score per feedback case."""
    if result.tests:
        return [1.0 if t.outcome == ex.OUTCOME_OK else 0.0 for t in result.tests]
    if result.browser_errors:
        return [1.0 / (1 + len(result.browser_errors)) if result.outcome != ex.OUTCOME_SYNTAX_ERROR else 0.0]
    return [1.0 if result.outcome == ex.OUTCOME_OK else 0.0]


def scored(candidate: Candidate, result: ex.ExecuteResponse) -> Candidate:
    """Attaches an execution result and its scores to a candidate."""
    candidate.result = result
    candidate.case_scores = case_scores(result)
    candidate.score = sum(candidate.case_scores) / len(candidate.case_scores)
    return candidate


def failing_tests(result: ex.ExecuteResponse) -> list[ex.TestResult]:
    """The tests that did not pass, in order."""
    return [t for t in result.tests if t.outcome != ex.OUTCOME_OK]


def describe_test(test: ex.TestResult) -> str:
    """One failing test as text the model can act on."""
    verdict = ex.Outcome.Name(test.outcome).removeprefix("OUTCOME_")
    text = f"- {test.name}: {verdict}"
    if test.expected_stdout or test.stdout:
        text += f"; expected output {test.expected_stdout[:300]!r}, got {test.stdout[:300]!r}"
    if test.message:
        text += f"; {test.message[:500]}"
    return text


def feedback(result: ex.ExecuteResponse, only: ex.TestResult | None = None) -> str:
    """What went wrong in an execution, for the next prompt (optionally about one test only)."""
    lines = [f"Verdict: {ex.Outcome.Name(result.outcome).removeprefix('OUTCOME_')}. {result.message}"]
    if only is not None:
        lines.append(describe_test(only))
    else:
        lines += [describe_test(t) for t in failing_tests(result)[:10]]
    for error in result.browser_errors[:10]:
        phase = ex.BrowserPhase.Name(error.phase).removeprefix("BROWSER_PHASE_").lower()
        where = f" at line {error.line}" if error.line else ""
        lines.append(f"- browser {error.kind} during {phase}{where}: {error.name + ': ' if error.name else ''}"
                     f"{error.message}")
    if result.stderr.strip() and result.outcome != ex.OUTCOME_OK:
        lines.append("stderr (end):\n" + result.stderr.strip()[-1500:])
    return "\n".join(lines)[:MAX_FEEDBACK]


def worst_case(candidate: Candidate) -> ex.TestResult | None:
    """SEIDR's instruct step: the parent's worst-scoring critic (the first failing test on ties)."""
    if candidate.result is None or not candidate.result.tests:
        return None
    failing = failing_tests(candidate.result)
    return failing[0] if failing else None
