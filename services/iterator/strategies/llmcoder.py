"""LLMcoder (Heidelberg 2023/24): code completion steered by static analysers, best-first with backtracking.

Every path is a conversation in a priority queue ordered by the analysers' total score. Each step takes one
(the best when meta_temperature is 0, else a softmax sample), sends the failing and informative analysers'
messages as feedback, samples `choices` completions, rejects any seen before (retrying with temperature +0.2
and twice the samples, at most 5 times), analyses the rest and pushes them back. With backtracking every node
stays in the queue, so the search returns to an older branch when a child scores worse; without it the other
branches are pruned (greedy). The search stops when a completion passes every critical analyser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from services.common.concurrency import all_of
from services.common.llm_parse import extract_code_block
from services.iterator.analyzers import Analysis, analyze
from services.iterator.candidates import Candidate, scored
from services.iterator.context import RunContext
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

SYSTEM = ("You complete Python code. Reply with the completion only (the code that follows the given prefix) in "
          "one fenced python block.")
MAX_RETRIES, MAX_CHOICES, MAX_TEMPERATURE = 5, 32, 2.0


@dataclass
class Node:
    """A completion, its analyses and the conversation that produced it."""

    candidate: Candidate
    completion: str
    analyses: list[Analysis]
    conversation: list[dict[str, Any]] = field(default_factory=list)

    @property
    def score(self) -> float:
        """The analysers' total score."""
        return sum(a.score for a in self.analyses)

    @property
    def passed(self) -> bool:
        """Every critical analyser passed."""
        return all(a.passed for a in self.analyses if a.kind == "critical")

    def feedback(self) -> str:
        """The failing and informative analysers' messages."""
        parts = [f"[{a.name}] {a.message}" for a in self.analyses if not a.passed or a.kind == "info"]
        return "Fix these problems and rewrite the completion:\n" + "\n".join(parts)


def pick(queue: list[Node], meta_temperature: float, ctx: RunContext) -> Node:
    """The node to expand: the best, or a softmax sample over scores when meta_temperature > 0."""
    if meta_temperature <= 0:
        node = max(queue, key=lambda n: n.score)
    else:
        top = max(n.score for n in queue)
        weights = [math.exp((n.score - top) / meta_temperature) for n in queue]
        node = ctx.rng.choices(queue, weights=weights)[0]
    queue.remove(node)
    return node


async def sample(ctx: RunContext, conversation: list[dict[str, Any]], choices: int, seen: set[str],
                 temperature: float) -> list[str]:
    """`choices` new completions, rejecting repeats; retries with hotter sampling and more samples."""
    system, history, user = conversation[0]["content"], conversation[1:-1], conversation[-1]["content"]
    for _ in range(MAX_RETRIES):
        replies = await all_of([ctx.ask("complete", system, user, temperature=temperature, history=history)
                                for _ in range(choices)])
        fresh = []
        for reply in replies:
            completion = extract_code_block(reply, "python") or reply.strip()
            if completion not in seen:
                seen.add(completion)
                fresh.append(completion)
        if fresh:
            return fresh
        ctx.emit("log", f"all {choices} completions repeated earlier ones; retrying hotter")
        temperature = min(MAX_TEMPERATURE, temperature + 0.2)
        choices = min(MAX_CHOICES, choices * 2)
    return []


async def expand(ctx: RunContext, conversation: list[dict[str, Any]], completions: list[str],
                 options: pb.LlmCoderOptions, parent: Candidate | None) -> list[Node]:
    """Analyses completions (concurrently) and wraps them as nodes."""
    prefix = ctx.problem.prompt
    names = list(options.analyzers) or ["mypy", "signature"]
    candidates = ctx.new_candidates([[ex.File(path="main.py", content=prefix + c)] for c in completions], parent,
                                    "completion")
    analyses = await all_of([analyze(ctx, c.code, prefix.count("\n"), names, options.separate_mode)
                             for c in candidates])
    nodes = []
    for candidate, completion, result in zip(candidates, completions, analyses, strict=False):
        node = Node(candidate, completion, result, conversation)
        candidate.score = node.score
        ctx.emit("candidate", f"{candidate.id} analysers total {node.score:g}, critical "
                 f"{'passed' if node.passed else 'failed'}", candidate=candidate,
                 detail={a.name: {"score": a.score, "passed": a.passed} for a in result})
        nodes.append(node)
    return nodes


async def run(ctx: RunContext, seeds: list[Candidate], options: pb.LlmCoderOptions) -> None:
    """Best-first search over conversations; the best analysed completion is executed at the end."""
    choices, seen = options.choices or 3, set()
    start = [{"role": "system", "content": SYSTEM},
             {"role": "user", "content": f"{ctx.problem.description}\n\n```python\n{ctx.problem.prompt}```"}]
    if seeds:
        seen.add(seeds[0].code.removeprefix(ctx.problem.prompt))
        queue = await expand(ctx, start, [seeds[0].code.removeprefix(ctx.problem.prompt)], options, None)
    else:
        queue = await expand(ctx, start, await sample(ctx, start, choices, seen, 0.7), options, None)
    every = list(queue)
    last: Node | None = None
    for _ in range(options.max_iterations or 5):
        if not queue or any(n.passed for n in every):
            break
        node = pick(queue, options.meta_temperature, ctx)
        if last is not None and node.candidate.parent_id != last.candidate.id:
            ctx.emit("backtrack", f"back to {node.candidate.id} (score {node.score:g}); the children of "
                     f"{last.candidate.id} scored lower", candidate=node.candidate)
        if not options.backtracking:
            queue.clear()
        conversation = [*node.conversation,
                        {"role": "assistant", "content": f"```python\n{node.completion}\n```"},
                        {"role": "user", "content": node.feedback()}]
        ctx.emit("feedback", f"expanding {node.candidate.id}", candidate=node.candidate, feedback=node.feedback())
        children = await expand(ctx, conversation, await sample(ctx, conversation, choices, seen, 0.7), options,
                                node.candidate)
        queue += children
        every += children
        last = node
    best = max(every, key=lambda n: (n.passed, n.score))
    # LLMcoder itself never runs code; the chosen completion is executed once so the result reports its verdict,
    # while its score stays the analysers' total that chose it.
    result = (await ctx.run_jobs([ctx.job(best.candidate)]))[0]
    scored(best.candidate, result)
    best.candidate.score = best.score
    ctx.best = best.candidate
    ctx.emit("log", f"chose {best.candidate.id} (analysers {best.score:g}); executed: {result.message}",
             candidate=best.candidate)
