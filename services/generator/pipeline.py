"""One QAP, end to end.

Persona and topic → question → near-duplicate check → augmentation → answers → browser verification and
repair → the QAP (pushed by the caller).

The ranking is known by construction (dojo-contract §5.4): CHANGE_QUESTIONS answers the original question and
three rewrites of it; CHANGE_ANSWERS rewrites one verified base answer three times. A QAP is dropped, with a
machine-readable reason, whenever its ranking could not be trusted: an LLM step failed after its retries, an
answer had no code, the rank-0 answer does not run cleanly, another answer still fails after repair, or the
question repeats a recent one. No partial QAP is ever produced.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from services.common.concurrency import all_of
from services.common.llm import LlmClient, LlmUsage, usage_scope
from services.common.llm_errors import LlmError
from services.generator import prompts
from services.generator.assemble import RankedAnswer, assemble
from services.generator.chains import Chains, Slot
from services.generator.dedupe import Deduper, DedupeUnavailable
from services.generator.merge import MergeError
from services.generator.stages import StageClock
from services.generator.verify import PageCheck, Verifier, VerifyError
from synthmesh.pool.v1 import pool_pb2

QUESTION_LEVELS = ("ORIGINAL", "REMOVE_REQUIREMENTS", "ADD_REQUIREMENTS", "CHANGE_ANIMATION_OBJECT")
ANSWER_LEVELS = ("ORIGINAL", "REMOVE_ONE", "REMOVE_TWO", "ADD_ONE")


class Dropped(Exception):
    """The QAP cannot be trusted; `reason` is the metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Request:
    """What to build (empty fields are chosen at random)."""

    topic: str = ""
    augment_type: str = ""
    persona: str = ""
    seed: int = 0


@dataclass
class Outcome:
    """What one build produced and cost."""

    qap: pool_pb2.Qap | None = None
    drop_reason: str = ""
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    checks: list[tuple[str, int, PageCheck]] = field(default_factory=list)
    usage: LlmUsage = field(default_factory=LlmUsage)
    question: str = ""
    topic: str = ""


class Pipeline:
    """Builds QAPs with one LLM client, the executor (through the verifier) and the near-duplicate index."""

    def __init__(self, llm: LlmClient, verifier: Verifier, deduper: Deduper, personas: list[str],
                 topic_weights: tuple[float, float, float]) -> None:
        self.llm = llm
        self.verifier = verifier
        self.deduper = deduper
        self.personas = personas
        self.topic_weights = topic_weights

    async def build(self, request: Request, outcome: Outcome | None = None) -> Outcome:
        """Builds one QAP into `outcome`; never raises for a QAP-level failure (it becomes a drop with a reason).

        A caller that may cancel the build passes its own `outcome`, which keeps the usage and stage timings
        recorded until then.
        """
        outcome = outcome if outcome is not None else Outcome()
        with usage_scope(outcome.usage):
            try:
                await self._build(request, outcome)
            except Dropped as exc:
                outcome.drop_reason, outcome.message = exc.reason, str(exc)
            except LlmError as exc:
                outcome.drop_reason, outcome.message = exc.reason, str(exc)
            except (MergeError, VerifyError, DedupeUnavailable) as exc:
                outcome.drop_reason, outcome.message = exc.reason, str(exc)
        return outcome

    async def _build(self, request: Request, outcome: Outcome) -> None:
        clock = StageClock(outcome.timings)
        seed = request.seed or random.randrange(1, 1 << 31)  # noqa: S311 - sampling, not security
        rng = random.Random(seed)  # noqa: S311
        topic = request.topic or rng.choices(("ANIMATION", "SCIENCE", "GAMES"), weights=self.topic_weights)[0]
        persona = request.persona or rng.choice(self.personas)
        augment = request.augment_type or rng.choice(("CHANGE_QUESTIONS", "CHANGE_ANSWERS"))
        outcome.topic = topic
        qap_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        answer_model = self.llm.pick_model("answer", qap_id)
        question = await clock.measure("question", self._question(topic, persona, rng))
        outcome.question = question
        verdict = await clock.measure("dedupe", self.deduper.check(question))
        if verdict.duplicate:
            raise Dropped("duplicate", f"question is {verdict.similarity:.2f} similar to a recent one "
                                       f"({verdict.method})")
        chains = Chains(self.llm, self.verifier, clock, answer_model, rng)
        if augment == "CHANGE_QUESTIONS":
            answers = await self._change_questions(question, chains, outcome)
        else:
            answers = await self._change_answers(question, chains, outcome)
        outcome.qap = assemble(question, answers, augment, answer_model, self.llm.config.role("question").model,
                               topic, persona, rng)

    async def _question(self, topic: str, persona: str, rng: random.Random) -> str:
        actions = 2 if topic == "GAMES" else rng.choice((2, 3))
        system, user = prompts.question(topic, persona, actions)
        completion = await self.llm.complete("question", [{"role": "system", "content": system},
                                                          {"role": "user", "content": user}],
                                             temperature=rng.uniform(0.5, 0.75), top_p=rng.uniform(0.9, 1.0),
                                             max_tokens=8192, seed=rng.randrange(1 << 31))
        text = completion.text.strip()
        if len(text) < 40 or completion.truncated:
            raise Dropped("question_malformed", f"the question is unusable: {text[:80]!r}")
        return text

    async def _change_questions(self, question: str, chains: Chains, outcome: Outcome) -> list[RankedAnswer]:
        # The original question is answered and verified while its rewrites are written; each rewrite's answer
        # follows as soon as the rewrite exists.
        async def rewrite(level: str) -> str:
            system, user = prompts.augment_question(level, question)
            reply = await self.llm.complete("augment", [{"role": "system", "content": system},
                                                        {"role": "user", "content": user}],
                                            temperature=0.0, top_p=0.9, max_tokens=8192)
            return reply.text.strip()

        async def chain(level: str, slot: Slot) -> tuple[str, PageCheck]:
            text = question if level == "ORIGINAL" else await chains.clock.measure("augment", rewrite(level))
            return text, await chains.checked(prompts.answer(text), text, slot)

        slots = chains.slots(len(QUESTION_LEVELS))
        done = await all_of([chain(level, slot) for level, slot in zip(QUESTION_LEVELS, slots, strict=True)])
        return self._ranked([check for _, check in done], QUESTION_LEVELS, [text for text, _ in done], outcome)

    async def _change_answers(self, question: str, chains: Chains, outcome: Outcome) -> list[RankedAnswer]:
        slots = chains.slots(len(ANSWER_LEVELS))
        # The rewrites start from the base answer, so it must work before anything is derived from it.
        base = await chains.checked(prompts.answer(question), question, slots[0])
        if not base.clean:
            raise Dropped("rank0_not_clean", f"the base answer still fails after repair: {base.messages[:2]}")
        files = [{"filename": "index.html", "content": base.html, "language": "html"}]
        rewrites = await all_of([
            chains.checked(prompts.augment_answer(level, question, files), question, slot, stage="augment")
            for level, slot in zip(ANSWER_LEVELS[1:], slots[1:], strict=True)])
        return self._ranked([base, *rewrites], ANSWER_LEVELS, [question] * 4, outcome)

    def _ranked(self, checks: list[PageCheck], levels: tuple[str, ...], questions: list[str],
                outcome: Outcome) -> list[RankedAnswer]:
        answers = [RankedAnswer(str(uuid.uuid4()), rank, level, check.html, q)
                   for rank, (check, level, q) in enumerate(zip(checks, levels, questions, strict=True))]
        outcome.checks = [(a.cid, a.rank, c) for a, c in zip(answers, checks, strict=True)]
        if not checks[0].clean:
            raise Dropped("rank0_not_clean", f"the rank-0 answer still fails after repair: {checks[0].messages[:2]}")
        failing = [a.level for a, c in zip(answers, checks, strict=True) if not c.clean]
        if failing:
            raise Dropped("answer_not_clean", f"answers still failing after repair: {failing}")
        return answers
