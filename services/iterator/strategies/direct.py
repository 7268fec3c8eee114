"""The baseline: one LLM call, no feedback (a repair gets one fix attempt from the first feedback)."""

from __future__ import annotations

from typing import Any

from services.iterator import prompts
from services.iterator.candidates import Candidate, feedback
from services.iterator.code import files_from_reply
from services.iterator.context import RunContext


async def run(ctx: RunContext, seeds: list[Candidate], _options: Any) -> None:
    """Drafts (or repairs the seed) once and evaluates the result."""
    if seeds and seeds[0].solved:
        return
    if seeds:
        parent = seeds[0]
        assert parent.result is not None
        system, user = prompts.repair(ctx.problem, parent.files, feedback(parent.result))
        text = await ctx.ask(ctx.repair_step, system, user)
        candidate = ctx.new_candidate(files_from_reply(text, ctx.problem.language, parent.files), parent, "repair")
    else:
        system, user = prompts.draft(ctx.problem)
        text = await ctx.ask("draft", system, user)
        candidate = ctx.new_candidate(files_from_reply(text, ctx.problem.language), None, "draft")
    await ctx.evaluate([candidate])
