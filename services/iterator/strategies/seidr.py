"""SEIDR: Synthesize, Execute, Instruct, Debug, Rank (Liventsev et al., GECCO 2023 / TELO 2025).

Drafts at temperatures spread from 0 to 1; each generation explains every parent's worst-failing test
`explanations_per_program` times and writes `branching_factor` repairs per explanation; children are ranked by
tournament (mean score) or lexicase (one event per beam slot), and the best `beam_width` become the parents.
The run ends when a candidate passes every feedback test or the program budget (SEIDR's max_programs) is spent.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.concurrency import all_of
from services.iterator import prompts
from services.iterator.candidates import Candidate, feedback, worst_case
from services.iterator.code import files_from_reply
from services.iterator.context import RunContext
from services.iterator.selection import lexicase, tournament
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb


@dataclass(frozen=True)
class SeidrSettings:
    """SEIDR's parameters with the paper's defaults filled in."""

    branching: int
    beam_width: int
    explanations: int
    lexicase: bool

    @classmethod
    def from_proto(cls, options: pb.SeidrOptions) -> SeidrSettings:
        """Zero fields take the defaults (N = 2, beam = N, two explanations, lexicase)."""
        branching = options.branching_factor or 2
        return cls(branching=branching, beam_width=options.beam_width or branching,
                   explanations=options.explanations_per_program or 2,
                   lexicase=options.ranking != pb.RANKING_TOURNAMENT)


def temperatures(n: int) -> list[float]:
    """SEIDR's schedule: a batch of n samples spread evenly over temperatures 0..1, so the samples differ."""
    return [0.0] if n == 1 else [round(i / (n - 1), 3) for i in range(n)]


async def _draft(ctx: RunContext, temperature: float) -> list[ex.File]:
    system, user = prompts.draft(ctx.problem)
    return files_from_reply(await ctx.ask("draft", system, user, temperature=temperature), ctx.problem.language)


async def _children(ctx: RunContext, parent: Candidate, settings: SeidrSettings) -> list[Candidate]:
    assert parent.result is not None
    worst = worst_case(parent)
    issue = feedback(parent.result, only=worst)
    ctx.emit("feedback", f"explaining {parent.id}'s worst case: {worst.name if worst else parent.result.message}",
             candidate=parent, feedback=issue)
    system, user = prompts.explain(ctx.problem, parent.files, issue)
    explanations = await all_of([ctx.ask("explain", system, user, temperature=t)
                                 for t in temperatures(settings.explanations)])
    calls = []
    for explanation in explanations:
        fix_system, fix_user = prompts.repair(ctx.problem, parent.files, issue, explanation)
        calls += [ctx.ask(ctx.repair_step, fix_system, fix_user, temperature=t)
                  for t in temperatures(settings.branching)]
    replies = await all_of(calls)
    return ctx.new_candidates([files_from_reply(r, ctx.problem.language, parent.files) for r in replies], parent,
                              "repair")


def select(ctx: RunContext, children: list[Candidate], settings: SeidrSettings) -> list[Candidate]:
    """The next generation's parents."""
    parents = (lexicase(children, settings.beam_width, ctx.rng) if settings.lexicase
               else tournament(children, settings.beam_width))
    ctx.emit("selection", f"{'lexicase' if settings.lexicase else 'tournament'} kept "
             f"{', '.join(p.id for p in parents)} of {len(children)}",
             detail={"kept": [p.id for p in parents], "scores": {c.id: c.case_scores for c in children}})
    return parents


async def run(ctx: RunContext, seeds: list[Candidate], options: pb.SeidrOptions) -> None:
    """Beam search until solved or out of budget."""
    settings = SeidrSettings.from_proto(options)
    if seeds:
        parents = seeds
    else:
        drafts = ctx.new_candidates(await all_of([_draft(ctx, t) for t in temperatures(settings.branching)]),
                                    origin="draft")
        await ctx.evaluate(drafts)
        if any(c.solved for c in drafts):
            return
        parents = select(ctx, drafts, settings)
    while not any(p.solved for p in parents):
        if not parents:
            # A generation without parents makes no call and no program, so no budget would ever end the loop.
            ctx.emit("log", "SEIDR stopped: no parents left to repair")
            return
        ctx.check_budget(program=True)  # no LLM call is spent on a generation that may not produce a program
        children: list[Candidate] = []
        for batch in await all_of([_children(ctx, p, settings) for p in parents]):
            children += batch
        await ctx.evaluate(children)
        if any(c.solved for c in children):
            return
        parents = select(ctx, children, settings)
