"""Assembling Dojo's QAP body from verified answers (dojo-contract §1.3, §5.8)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.generator.prompts import NOTE
from synthmesh.pool.v1 import pool_pb2


@dataclass(frozen=True)
class RankedAnswer:
    """A verified answer and its place in the ranking (0 = best)."""

    cid: str
    rank: int
    level: str
    html: str
    question: str


def prompt_for(question: str) -> str:
    """The prompt Dojo receives: the original question with upstream's fixed note appended."""
    return f"{question.rstrip()}\n{NOTE}"


def assemble(question: str, answers: list[RankedAnswer], augment_type: str, answer_model: str, question_model: str,
             topic: str, persona: str, rng: random.Random) -> pool_pb2.Qap:
    """The QAP. Responses are shuffled so their order never hints at the ranking; Dojo reads ground_truth."""
    responses = [pool_pb2.QapResponse(model=answer_model, cid=a.cid, completion=pool_pb2.Completion(files=[
        pool_pb2.CodeFile(filename="index.html", content=a.html, language="html")])) for a in answers]
    rng.shuffle(responses)
    augmented = []
    if augment_type == "CHANGE_QUESTIONS":
        augmented = [pool_pb2.AugmentedPrompt(level=a.level, question=a.question)
                     for a in sorted(answers, key=lambda a: a.rank)]
    return pool_pb2.Qap(prompt=prompt_for(question), responses=responses,
                        ground_truth={a.cid: a.rank for a in answers},
                        metadata={"augment_type": augment_type}, question_model=question_model,
                        augmented_prompts=augmented, topic=topic, persona=persona)
