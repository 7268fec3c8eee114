"""complete_json over HTTP: parsing, one repair round trip, and giving up with a reason."""

from __future__ import annotations

import pydantic
import pytest

from services.common.llm import LlmClient, LlmError
from services.common.llm_json import schema_instruction
from tests.llm.offline import OfflineServer, step_messages

QUESTION = ("Create an interactive koi pond visualization where colourful koi fish glide and turn gracefully "
            "beneath the water's surface.\n\nFeatures:\n- Each koi fish leaves a faint, fading wake as it swims.\n")


class CodeFile(pydantic.BaseModel):
    filename: str
    content: str
    language: str


class CodeAnswer(pydantic.BaseModel):
    files: list[CodeFile] = pydantic.Field(min_length=1)


class Verdict(pydantic.BaseModel):
    ok: bool
    score: int


def answer_messages() -> list[dict[str, str]]:
    return step_messages("synthmesh-step: answer; broken=0", QUESTION)


async def test_valid_reply_parses_first_time(llm: LlmClient, offline_server: OfflineServer) -> None:
    parsed = await llm.complete_json("answer", answer_messages(), CodeAnswer, seed=3)
    assert not parsed.repaired
    assert {f.filename for f in parsed.value.files} >= {"index.html", "index.js"}
    assert len(offline_server.requests()) == 1


async def test_one_malformed_reply_is_repaired(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.fault("malformed", count=1)
    parsed = await llm.complete_json("answer", answer_messages(), CodeAnswer, seed=3)
    assert parsed.repaired
    assert any(f.filename == "index.html" for f in parsed.value.files)
    first, second = offline_server.requests()
    assert len(second["messages"]) == len(first["messages"]) + 2
    bad_reply, note = second["messages"][-2:]
    assert bad_reply == {"role": "assistant", "content": first["reply"]}
    assert note["role"] == "user" and "could not be used" in note["content"] and "JSON" in note["content"]


async def test_two_malformed_replies_give_up(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.fault("malformed", count=2)
    with pytest.raises(LlmError) as caught:
        await llm.complete_json("answer", answer_messages(), CodeAnswer)
    assert caught.value.reason == "llm_malformed_output"
    assert len(offline_server.requests()) == 2


async def test_schema_mismatch_is_sent_back_then_fails(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.admin("script", {"name": "verdict", "replies": ['{"ok": "maybe"}', '{"ok": true, "score": 4}']})
    parsed = await llm.complete_json("iterator", [{"role": "user", "content": "Judge this."}], Verdict,
                                     model="openai/synthmesh-script-verdict")
    assert parsed.value == Verdict(ok=True, score=4) and parsed.repaired
    note = offline_server.requests()[1]["messages"][-1]["content"]
    assert "ok" in note and "score" in note and "schema" in note


async def test_truncated_json_gives_up_as_truncated(llm: LlmClient, offline_server: OfflineServer) -> None:
    offline_server.fault("truncate", count=2)
    with pytest.raises(LlmError) as caught:
        await llm.complete_json("answer", answer_messages(), CodeAnswer)
    assert caught.value.reason == "llm_truncated"
    assert "cut off" in offline_server.requests()[1]["messages"][-1]["content"]


def test_schema_instruction_names_the_fields() -> None:
    text = schema_instruction(CodeAnswer)
    assert "JSON" in text and '"filename"' in text and '"files"' in text
