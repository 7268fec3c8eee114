"""ReWOO plans: parsing `#E<n> = Tool[input]` lines into a validated DAG of steps.

A plan alternates `Plan: <reasoning>` lines and evidence lines such as `#E2 = LLM[summarise #E1]`. Inputs may
span lines and contain brackets; code is best given in a fenced block, which is read verbatim. Validation
happens before anything runs (the original worker ran plans blindly and answered "No evidence found" for any
mistake): unknown tools, references to missing or later evidence, and duplicate ids are all reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOOLS = ("ExecuteCode", "TestCode", "FixCode", "LLM", "WebSearch")
STEP = re.compile(r"#E(?P<id>\d+)\s*=\s*(?P<tool>\w+)\s*\[")
REFERENCE = re.compile(r"#E(\d+)")


@dataclass
class Step:
    """One evidence step of a plan."""

    id: int
    tool: str
    input: str
    reasoning: str = ""
    deps: set[int] = field(default_factory=set)


class PlanError(ValueError):
    """The plan cannot run; the message lists every problem."""


def _read_input(text: str, start: int) -> tuple[str, int]:
    """The bracketed input starting at `start` (just after '['), and the index after its closing ']'."""
    rest = text[start:]
    stripped = rest.lstrip()
    if stripped.startswith("```"):
        open_at = start + (len(rest) - len(stripped))
        close_at = text.find("```", open_at + 3)
        if close_at < 0:
            raise PlanError("a fenced block in the plan is never closed")
        end = text.find("]", close_at + 3)
        return text[open_at:close_at + 3], (end + 1 if end >= 0 else len(text))
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "[":
            depth += 1
        elif text[index] == "]":
            depth -= 1
            if depth == 0:
                return text[start:index], index + 1
    raise PlanError(f"unbalanced brackets in the step starting {text[start - 20:start + 40]!r}")


def parse(text: str) -> list[Step]:
    """The steps of a plan, in order, with their dependencies; raises PlanError on any problem."""
    steps: list[Step] = []
    problems: list[str] = []
    position = 0
    while match := STEP.search(text, position):
        reasoning = _last_plan_line(text[position:match.start()])
        body, position = _read_input(text, match.end())
        step = Step(int(match["id"]), match["tool"], body.strip(), reasoning)
        step.deps = {int(ref) for ref in REFERENCE.findall(step.input)}
        steps.append(step)
    ids = [s.id for s in steps]
    if not steps:
        problems.append("the plan has no `#E<n> = Tool[input]` step")
    if len(set(ids)) != len(ids):
        problems.append("duplicate evidence ids")
    for step in steps:
        if step.tool not in TOOLS:
            problems.append(f"#E{step.id} uses unknown tool {step.tool!r} (known: {', '.join(TOOLS)})")
        for dep in sorted(step.deps):
            if dep not in ids or ids.index(dep) >= ids.index(step.id):
                problems.append(f"#E{step.id} refers to #E{dep}, which no earlier step produces")
    if problems:
        raise PlanError("; ".join(problems))
    return steps


def _last_plan_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip().lower().startswith("plan:")]
    return lines[-1][5:].strip() if lines else ""


def substitute(text: str, evidence: dict[int, str]) -> str:
    """Replaces each #En with its evidence (inputs that mention a step see its result)."""
    return REFERENCE.sub(lambda m: evidence.get(int(m.group(1)), m.group(0)), text)
