"""ReWOO plans: parsing, dependencies, validation before anything runs, evidence substitution."""

from __future__ import annotations

import pytest

from services.iterator.strategies.rewoo_plan import PlanError, parse, substitute

PLAN = """Plan: run the draft
#E1 = ExecuteCode[```python
xs = [1, [2, 3]]
print(xs[1][0])
```]
Plan: ask why it prints that
#E2 = LLM[Why does the program print #E1?]
Plan: search, independently
#E3 = WebSearch[python list indexing]
Plan: fix using both
#E4 = FixCode[Use #E2 and #E3 to fix the program]
"""


def test_parse_reads_fenced_code_with_brackets_and_dependencies() -> None:
    steps = parse(PLAN)
    assert [(s.id, s.tool, sorted(s.deps)) for s in steps] == [(1, "ExecuteCode", []), (2, "LLM", [1]),
                                                               (3, "WebSearch", []), (4, "FixCode", [2, 3])]
    assert "print(xs[1][0])" in steps[0].input and steps[1].reasoning == "ask why it prints that"


def test_unknown_tools_and_forward_references_are_refused_before_running() -> None:
    with pytest.raises(PlanError) as caught:
        parse("#E1 = Calculator[1+1]\n#E2 = LLM[use #E3]\n#E3 = LLM[x]")
    message = str(caught.value)
    assert "unknown tool 'Calculator'" in message and "#E2 refers to #E3" in message


def test_a_plan_without_steps_is_refused() -> None:
    with pytest.raises(PlanError, match="no `#E<n>"):
        parse("I will just write the code.")


def test_substitute_replaces_each_reference_once_and_keeps_unknown_ones() -> None:
    assert substitute("#E1 and #E10 and #E2", {1: "one", 10: "ten"}) == "one and ten and #E2"
