"""AlphaCodium's flow (Ridnik et al. 2024) with test anchors.

Reflect, reason about the public tests, rank candidate approaches, write AI tests, then iterate on the public
tests and on the AI tests with **test anchors**.

Anchors are the tests a program already passes. After any fix all anchors re-run; a fix that breaks one is
reverted. A fix that misses its target is kept only if it at least stops that test from crashing. AI tests are
never "fixed": they are input/output pairs, and rewriting one would only copy the program's output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from services.common.llm_parse import extract_json
from services.iterator import prompts
from services.iterator.candidates import Candidate, describe_test, feedback
from services.iterator.code import files_from_reply, render_files
from services.iterator.context import RunContext
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

CRASHES = (ex.OUTCOME_RUNTIME_ERROR, ex.OUTCOME_SYNTAX_ERROR, ex.OUTCOME_TIME_LIMIT, ex.OUTCOME_MEMORY_LIMIT)


@dataclass(frozen=True)
class AlphaSettings:
    """AlphaCodium's parameters with the paper's defaults."""

    max_solutions: int
    ai_tests: int
    max_attempts: int
    max_fixes: int

    @classmethod
    def from_proto(cls, options: pb.AlphaCodiumOptions) -> AlphaSettings:
        """Zero fields take the defaults: 3 approaches, 6 AI tests, 8 initial attempts, 3 fixes per test."""
        return cls(options.max_solutions or 3, options.ai_tests or 6, options.max_initial_attempts or 8,
                   options.max_fixes_per_test or 3)


def _json_list(text: str, key: str) -> list[Any]:
    try:
        data = extract_json(text)
    except ValueError:
        return []
    items = data.get(key) if isinstance(data, dict) else data
    return items if isinstance(items, list) else []


async def _understand(ctx: RunContext, settings: AlphaSettings) -> tuple[str, list[str]]:
    """Stages 1-3: self-reflection, public-test reasoning and ranked approaches."""
    task = prompts.problem_text(ctx.problem)
    reflection = await ctx.ask("reflect", "Restate the problem as bullet points: goal, inputs, outputs, rules, "
                               "constraints.", task)
    reasoning = await ctx.ask("test_reasoning", "Explain briefly why each example input gives its output.",
                              f"{task}\n\nReflection:\n{reflection}")
    reply = await ctx.ask("solutions", f'Propose up to {settings.max_solutions} different approaches, best first, '
                          'not brute force. Reply as JSON {"solutions": [{"name": "...", "approach": "..."}]}.',
                          f"{task}\n\nReflection:\n{reflection}\n\nTest reasoning:\n{reasoning}")
    approaches = [f"{s.get('name', '')}: {s.get('approach', '')}" for s in _json_list(reply, "solutions")
                  if isinstance(s, dict)][: settings.max_solutions]
    ctx.emit("plan", f"reflection done; {len(approaches)} approaches", detail={"approaches": approaches})
    return f"Reflection:\n{reflection}\n\nTest reasoning:\n{reasoning}", approaches or ["a direct solution"]


async def _ai_tests(ctx: RunContext, settings: AlphaSettings, understanding: str) -> list[ex.TestCase]:
    """Stage 4: extra tests written by the model (function problems: assertions; others: stdin/stdout)."""
    task = prompts.problem_text(ctx.problem)
    as_assertions = bool(ctx.problem.entry_point)
    shape = ('{"tests": ["assert f(...) == ..."]}' if as_assertions
             else '{"tests": [{"input": "...", "output": "..."}]}')
    reply = await ctx.ask("ai_tests", f"Write {settings.ai_tests} new, diverse tests that a correct program passes, "
                          f"covering edge cases. Reply as JSON {shape}.", f"{task}\n\n{understanding}")
    tests = []
    # Run beside the public tests, whose names the executor requires to be distinct from theirs.
    taken = {t.name for t in ctx.problem.public_tests}
    for i, item in enumerate(_json_list(reply, "tests")[: settings.ai_tests]):
        name = f"ai_test_{i}"
        while name in taken:
            name += "_ai"
        if isinstance(item, str) and item.strip().startswith("assert"):
            tests.append(ex.TestCase(name=name, assertion=item.strip()))
        elif isinstance(item, dict) and "input" in item and "output" in item:
            tests.append(ex.TestCase(name=name, io=ex.IoTest(stdin=str(item["input"]),
                                                             expected_stdout=str(item["output"]))))
    ctx.emit("plan", f"{len(tests)} AI tests", detail={"ai_tests": [t.name for t in tests]})
    return tests


async def _initial(ctx: RunContext, settings: AlphaSettings, understanding: str,
                   approaches: list[str]) -> Candidate:
    """Stage 5: rotate through the approaches until one passes the public tests; else keep the closest."""
    best: Candidate | None = None
    for attempt in range(settings.max_attempts):
        approach = approaches[attempt % len(approaches)]
        system, user = prompts.draft(ctx.problem)
        text = await ctx.ask("draft", system, f"{user}\n\n{understanding}\n\nUse this approach: {approach}",
                             temperature=0.2 * (attempt // len(approaches)))
        candidate = ctx.new_candidate(files_from_reply(text, ctx.problem.language), None, f"approach {attempt}")
        await ctx.evaluate([candidate])
        if best is None or candidate.score > best.score:
            best = candidate
        if candidate.solved:
            break
    assert best is not None
    return best


def _passed(candidate: Candidate) -> set[str]:
    assert candidate.result is not None
    return {t.name for t in candidate.result.tests if t.outcome == ex.OUTCOME_OK}


def _outcome(candidate: Candidate, name: str) -> int:
    assert candidate.result is not None
    return next((t.outcome for t in candidate.result.tests if t.name == name), ex.OUTCOME_UNSPECIFIED)


async def _iterate(ctx: RunContext, current: Candidate, settings: AlphaSettings, extra: list[ex.TestCase],
                   stage: str) -> Candidate:
    """Stages 6 and 7: fix one failing test at a time; anchors revert any fix that breaks a passing test."""
    if extra:
        # The AI tests grade a copy: `current` may be `ctx.best`, whose grade must stay the one on the problem's
        # own tests, or a budget ending in this stage would report a solved program as unsolved.
        current = replace(current)
        await ctx.evaluate([current], extra)
    anchors = _passed(current)
    assert current.result is not None
    for target in [t.name for t in current.result.tests if t.name not in anchors]:
        for attempt in range(settings.max_fixes):
            if target in anchors:
                break
            assert current.result is not None
            failing = next(t for t in current.result.tests if t.name == target)
            issue = describe_test(failing)
            ctx.emit("feedback", f"{stage}: fixing {target} (attempt {attempt + 1})", candidate=current,
                     feedback=issue)
            system, user = prompts.repair(ctx.problem, current.files, feedback(current.result, only=failing))
            text = await ctx.ask(ctx.repair_step, system, user, temperature=0.2 * attempt)
            fixed = ctx.new_candidate(files_from_reply(text, ctx.problem.language, current.files), current, stage)
            await ctx.evaluate([fixed], extra)
            broken = anchors - _passed(fixed)
            if broken:
                ctx.emit("revert", f"{fixed.id} broke anchor test(s) {sorted(broken)}; reverted to {current.id}",
                         candidate=fixed, detail={"broken": sorted(broken), "kept": current.id})
                continue
            if target in _passed(fixed) or (_outcome(current, target) in CRASHES
                                            and _outcome(fixed, target) not in CRASHES):
                current = fixed
                anchors = _passed(current)
            else:
                ctx.emit("revert", f"{fixed.id} did not fix {target}; kept {current.id}", candidate=fixed)
    return current


async def run(ctx: RunContext, seeds: list[Candidate], options: pb.AlphaCodiumOptions) -> None:
    """The whole flow; a repair starts from the seed instead of stage 5."""
    settings = AlphaSettings.from_proto(options)
    understanding, approaches = await _understand(ctx, settings)
    ai_tests = await _ai_tests(ctx, settings, understanding)
    current = seeds[0] if seeds else await _initial(ctx, settings, understanding, approaches)
    if not current.solved:
        current = await _iterate(ctx, current, settings, [], "public tests")
    if ai_tests:
        current = await _iterate(ctx, current, settings, ai_tests, "AI tests")
    # The anchors' winner is the answer; it is judged on the feedback tests like every other strategy's result.
    await ctx.evaluate([current])
    ctx.best = current
    ctx.emit("log", f"final program {current.id}:\n{render_files(current.files, ctx.problem.language)[:500]}")
