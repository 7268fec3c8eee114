"""One answer's chain: LLM answer → merged page → browser verification → repair if it fails.

The chains of a QAP run concurrently, so each page is verified as soon as its answer exists instead of waiting
for the slowest answer. Every random draw a chain needs is taken up front, in a fixed order (`slots`), so a
seed still determines the whole QAP whatever order the chains finish in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pydantic import BaseModel

from services.common.llm import LlmClient
from services.generator.merge import SourceFile, merge
from services.generator.stages import StageClock
from services.generator.verify import PageCheck, Verifier


class CodeFile(BaseModel):
    """One file of an answer as the model returns it."""

    filename: str
    content: str
    language: str = ""


class CodeAnswer(BaseModel):
    """An answer: its files."""

    files: list[CodeFile]


@dataclass(frozen=True)
class Slot:
    """The random draws of one answer's chain."""

    top_p: float
    seed: int
    repair_seed: int


class Chains:
    """Runs answer chains for one QAP with one answer model."""

    def __init__(self, llm: LlmClient, verifier: Verifier, clock: StageClock, model: str,
                 rng: random.Random) -> None:
        self.llm = llm
        self.verifier = verifier
        self.clock = clock
        self.model = model
        self.rng = rng

    def slots(self, count: int) -> list[Slot]:
        """The draws for `count` chains, taken now in chain order."""
        return [Slot(self.rng.uniform(0.9, 1.0), self.rng.randrange(1 << 31), self.rng.randrange(1 << 30))
                for _ in range(count)]

    async def answer(self, prompt: tuple[str, str], slot: Slot) -> str:
        """The model's answer to (system, user) as one self-contained index.html."""
        system, user = prompt
        parsed = await self.llm.complete_json("answer", [{"role": "system", "content": system},
                                                         {"role": "user", "content": user}], CodeAnswer,
                                              model=self.model, temperature=0.0, top_p=slot.top_p,
                                              max_tokens=16384, seed=slot.seed)
        return merge([SourceFile(f.filename, f.content) for f in parsed.value.files])

    async def checked(self, prompt: tuple[str, str], question: str, slot: Slot,
                      stage: str = "answers") -> PageCheck:
        """Answers, verifies and, if the page fails, repairs it; the check says how it ended."""
        html = await self.clock.measure(stage, self.answer(prompt, slot))
        check = PageCheck(html, question)
        [result] = await self.clock.measure("verify", self.verifier.run([check]))
        if not check.clean:
            await self.clock.measure("repair", self.verifier.repair(check, result, slot.repair_seed))
        return check
