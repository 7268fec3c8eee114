"""ReWOO (Xu et al. 2023): plan once, gather evidence without reasoning in between, solve once.

One planner call writes the whole plan; the worker runs it as a DAG — independent steps concurrently, each
waiting for the evidence it cites (with a timeout) — through tools: ExecuteCode and TestCode (the executor),
FixCode and LLM (the model) and WebSearch (off unless asked, and then reported as unavailable without a search
backend). One solver call writes the program. An outer loop feeds the execution result back to a new plan, so a
fixed plan can still react to what happened. A failed tool becomes evidence that says so; it never stops the plan.
"""

from __future__ import annotations

import asyncio
import time

from services.common.concurrency import all_of
from services.iterator import prompts
from services.iterator.candidates import Candidate, feedback
from services.iterator.code import files_from_reply, render_files
from services.iterator.context import BudgetExhausted, RunContext
from services.iterator.strategies.rewoo_plan import TOOLS, PlanError, Step, parse, substitute
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

PLANNER = (
    "Make a plan to solve the task with tools, without solving it yourself. Alternate lines `Plan: <why>` and "
    "`#E<n> = Tool[input]`; an input may cite earlier evidence as #E<k>. Tools: ExecuteCode[code] runs code and "
    "returns its output; TestCode[code] runs code against the task's tests; FixCode[instruction] rewrites the "
    "current program as instructed; LLM[question] answers a question; WebSearch[query] searches the web. Put code "
    "in fenced blocks.")


class Worker:
    """Runs one plan's steps as a DAG and collects their evidence."""

    def __init__(self, ctx: RunContext, options: pb.RewooOptions, current: list[ex.File]) -> None:
        self.ctx = ctx
        self.options = options
        self.current = current
        self.evidence: dict[int, str] = {}
        self.done: dict[int, asyncio.Event] = {}

    async def run(self, steps: list[Step]) -> dict[int, str]:
        """Starts every step at once; each waits for its inputs."""
        self.done = {s.id: asyncio.Event() for s in steps}
        await all_of([self._step(s) for s in steps])
        return self.evidence

    async def _step(self, step: Step) -> None:
        timeout = self.options.step_timeout_seconds or 60.0
        try:
            await asyncio.wait_for(asyncio.gather(*(self.done[d].wait() for d in step.deps)), timeout)
            started = self.ctx.elapsed()
            text = await self._tool(step.tool, substitute(step.input, self.evidence))
        except TimeoutError:
            started, text = self.ctx.elapsed(), f"error: the inputs of #E{step.id} were not ready in {timeout:g} s"
        except BudgetExhausted:
            raise
        except Exception as exc:  # a failed tool is evidence, never the end of the plan
            started, text = self.ctx.elapsed(), f"error: {step.tool} failed: {type(exc).__name__}: {exc}"
        self.evidence[step.id] = text
        self.done[step.id].set()
        self.ctx.emit("step", f"#E{step.id} = {step.tool}: {text[:300]}",
                      detail={"id": step.id, "tool": step.tool, "started": started, "finished": self.ctx.elapsed(),
                              "deps": sorted(step.deps), "evidence": text[:2000]})

    async def _tool(self, tool: str, argument: str) -> str:
        ctx = self.ctx
        if tool in ("ExecuteCode", "TestCode"):
            files = files_from_reply(argument, ctx.problem.language, self.current)
            probe = Candidate(id=ctx.next_id("tool"), files=files)
            job = ctx.job(probe) if tool == "TestCode" else ex.ExecuteRequest(
                language=ctx.problem.language, files=files, limits=ctx.problem.limits, browser=ctx.browser)
            result = (await ctx.run_jobs([job]))[0]
            out = result.stdout.strip()[-1500:]
            return feedback(result) + (f"\nstdout:\n{out}" if out else "")
        if tool == "FixCode":
            system, user = prompts.repair(ctx.problem, self.current, argument)
            text = await ctx.ask(ctx.repair_step, system, user)
            self.current = files_from_reply(text, ctx.problem.language, self.current)
            return render_files(self.current, ctx.problem.language)
        if tool == "LLM":
            return await ctx.ask("llm", "Answer concisely.", argument)
        if tool == "WebSearch":
            if not self.options.web_search:
                return "web search is disabled (RewooOptions.web_search is false)"
            return "web search is unavailable: no search backend is configured on this iterator"
        return f"error: unknown tool {tool!r} (known: {', '.join(TOOLS)})"


async def plan(ctx: RunContext, observation: str) -> list[Step]:
    """One planner call (and one retry naming the problems when the plan is invalid)."""
    task = prompts.problem_text(ctx.problem) + (f"\n\nWhat happened last time:\n{observation}" if observation else "")
    reply = await ctx.ask("plan", PLANNER, task)
    try:
        steps = parse(reply)
    except PlanError as exc:
        ctx.emit("plan", f"invalid plan: {exc}; asking again", detail={"plan": reply[:4000]})
        reply = await ctx.ask("plan", PLANNER, f"{task}\n\nYour previous plan was invalid: {exc}. Write a valid one.")
        steps = parse(reply)
    ctx.emit("plan", f"plan with {len(steps)} steps", detail={"plan": reply[:4000], "steps": [
        {"id": s.id, "tool": s.tool, "deps": sorted(s.deps), "reasoning": s.reasoning} for s in steps]})
    return steps


async def solve(ctx: RunContext, steps: list[Step], evidence: dict[int, str], current: list[ex.File]) -> Candidate:
    """One solver call over every plan step and its evidence."""
    notes = "\n\n".join(f"Plan: {s.reasoning}\n#E{s.id} = {s.tool}[{s.input[:1500]}]\nEvidence: "
                        f"{evidence.get(s.id, 'none')[:2000]}" for s in steps)
    system, user = prompts.draft(ctx.problem)
    if current:
        user += f"\n\nCurrent program:\n{render_files(current, ctx.problem.language)}"
    text = await ctx.ask("solve", system, f"{user}\n\nUse this evidence:\n{notes}")
    return ctx.new_candidate(files_from_reply(text, ctx.problem.language, current or None), None, "rewoo solve")


async def run(ctx: RunContext, seeds: list[Candidate], options: pb.RewooOptions) -> None:
    """Plan, work, solve; again with the observation until solved or out of rounds."""
    current = seeds[0] if seeds else None
    observation = feedback(current.result) if current and current.result else ""
    for _ in range(options.max_rounds or 2):
        if current is not None and current.solved:
            return
        try:
            steps = await plan(ctx, observation)
        except PlanError as exc:
            ctx.emit("plan", f"no valid plan ({exc}); solving without evidence")
            steps = []
        started = time.monotonic()
        evidence = await Worker(ctx, options, current.files if current else []).run(steps)
        ctx.emit("log", f"worker finished {len(steps)} steps in {time.monotonic() - started:.2f} s")
        candidate = await solve(ctx, steps, evidence, current.files if current else [])
        await ctx.evaluate([candidate])
        current = candidate
        assert current.result is not None
        observation = feedback(current.result)
