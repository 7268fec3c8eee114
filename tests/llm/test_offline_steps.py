"""The step protocol answered through litellm over HTTP: shapes, augmentations, breakage and repair."""

from __future__ import annotations

import re

import pydantic
import pytest

from services.common.llm import LlmClient, LlmError
from services.common.llm_parse import extract_code_block, extract_json
from services.offline_llm import corpus
from services.offline_llm.corpus import template
from services.offline_llm.corpus.questions import match_question
from tests.llm.offline import OfflineServer, step_messages

NOTE = "\nNote:\n- Your output should be implemented in JavaScript with HTML and CSS.\n"


class CodeFile(pydantic.BaseModel):
    filename: str
    content: str
    language: str


class CodeAnswer(pydantic.BaseModel):
    files: list[CodeFile]


def sections(question: str) -> tuple[str, list[str], list[str]]:
    """(intro, feature bullets, numbered actions) of a question in upstream's format."""
    intro, rest = question.split("\n\nFeatures:\n", 1)
    features, actions = rest.split("\n\nUser Actions:\n", 1)
    bullets = [line[2:] for line in features.splitlines() if line.startswith("- ")]
    numbered = [re.sub(r"^\d+\. ", "", line) for line in actions.strip().splitlines()]
    assert all(re.match(r"^\d+\. ", line) for line in actions.strip().splitlines())
    return intro, bullets, numbered


async def ask(llm: LlmClient, header: str, user: str, seed: int = 1) -> str:
    return (await llm.complete("question", step_messages(header, user), seed=seed)).text


async def answer_files(llm: LlmClient, header: str, user: str, seed: int = 1) -> list[CodeFile]:
    parsed = await llm.complete_json("answer", step_messages(header, user), CodeAnswer, seed=seed)
    assert not parsed.repaired
    return parsed.value.files


@pytest.mark.parametrize("topic", corpus.TOPICS)
async def test_question_has_upstream_shape(llm: LlmClient, topic: str) -> None:
    for seed in range(4):
        question = await ask(llm, f"synthmesh-step: question; topic={topic}", "A retired lighthouse keeper", seed)
        intro, bullets, actions = sections(question)
        assert intro.startswith(("Create an interactive", "Implement a fun, streamlined web game"))
        assert len(bullets) >= 4
        assert len(actions) == 2 if topic == "GAMES" else 2 <= len(actions) <= 3
        found = match_question(question)
        assert found is not None and found[0].topic == topic


async def test_question_augmentations_change_exactly_what_they_say(llm: LlmClient) -> None:
    question = await ask(llm, "synthmesh-step: question; topic=SCIENCE", "A chemistry student", 5)
    intro, bullets, actions = sections(question)
    prompt = f"Rewrite the question below. Return only the modified question.\n\n{question}"
    removed = sections(await ask(llm, "synthmesh-step: augment_question; level=REMOVE_REQUIREMENTS", prompt))
    added = sections(await ask(llm, "synthmesh-step: augment_question; level=ADD_REQUIREMENTS", prompt))
    changed = sections(await ask(llm, "synthmesh-step: augment_question; level=CHANGE_ANIMATION_OBJECT", prompt))
    assert removed[0] == intro and len(removed[1]) == len(bullets) - 1 and set(removed[1]) < set(bullets)
    assert added[0] == intro and len(added[1]) == len(bullets) + 1 and set(bullets) < set(added[1])
    assert changed[0] != intro and len(changed[1]) == len(bullets) and len(changed[2]) == len(actions)


async def test_answer_is_json_files_with_a_marked_page(llm: LlmClient) -> None:
    question = await ask(llm, "synthmesh-step: question; topic=GAMES", "A speed-runner")
    files = await answer_files(llm, "synthmesh-step: answer; broken=0", question + NOTE)
    names = {f.filename: f for f in files}
    assert {"index.html", "index.js"} <= set(names) <= {"index.html", "index.js", "index.css"}
    assert names["index.html"].language == "html" and names["index.js"].language == "javascript"
    entry, variant = corpus.find_marker(names["index.js"].content) or (None, None)
    assert entry == match_question(question)[0] and variant is not None and variant.bug is None
    assert "<script src" not in names["index.html"].content


async def test_answer_augmentations_drop_or_add_features(llm: LlmClient) -> None:
    question = await ask(llm, "synthmesh-step: question; topic=ANIMATION", "A beekeeper")
    base = template.merge([f.model_dump() for f in await answer_files(llm, "synthmesh-step: answer; broken=0",
                                                                        question)])
    entry, base_variant = corpus.find_marker(base) or (None, None)
    assert entry is not None and base_variant is not None
    counts = {}
    for level in ("REMOVE_ONE", "REMOVE_TWO", "ADD_ONE"):
        header = f"synthmesh-step: augment_answer; level={level}; broken=0"
        files = await answer_files(llm, header, f"Base answer:\n```html\n{base}\n```")
        _, variant = corpus.find_marker(template.merge([f.model_dump() for f in files])) or (None, None)
        assert variant is not None and variant.alt == base_variant.alt
        counts[level] = (len(entry.present_features(variant)), variant.extra)
    present = len(entry.present_features(base_variant))
    assert counts == {"REMOVE_ONE": (present - 1, False), "REMOVE_TWO": (present - 2, False),
                      "ADD_ONE": (present, True)}


async def test_broken_answers_follow_the_rate_and_repair_fixes_them(
    llm: LlmClient, offline_server: OfflineServer
) -> None:
    question = await ask(llm, "synthmesh-step: question; topic=ANIMATION", "A park ranger")
    bugs = []
    for seed in range(30):
        reply = (await llm.complete("answer", step_messages("synthmesh-step: answer", question), seed=seed)).text
        found = corpus.find_marker(reply)
        assert found is not None
        bugs.append(found[1].bug)
    broken = [b for b in bugs if b]
    assert 3 <= len(broken) <= 18 and len(set(broken)) >= 2
    offline_server.admin("config", {"broken_rate": 1.0})
    files = await answer_files(llm, "synthmesh-step: answer; bug=type_error", question)
    page = template.merge([f.model_dump() for f in files])
    entry, variant = corpus.find_marker(page) or (None, None)
    assert entry is not None and variant is not None and variant.bug == "type_error"
    assert template.BUGS["type_error"] in page
    feedback = f"{page}\n\nBrowser errors:\nTypeError: Cannot read properties of undefined (reading 'forEach')"
    repaired = await answer_files(llm, "synthmesh-step: repair", feedback)
    fixed = template.merge([f.model_dump() for f in repaired])
    assert fixed == template.page(entry, variant.working())


async def test_question_from_a_real_model_gets_a_generic_page(llm: LlmClient) -> None:
    question = "Create a spinning galaxy of glowing dust.\n\nFeatures:\n- Dust swirls.\n\nUser Actions:\n1. Click."
    files = await answer_files(llm, "synthmesh-step: answer; broken=0", question)
    html = next(f.content for f in files if f.filename == "index.html")
    assert "<title>Create a spinning galaxy of glowing dust</title>" in html
    assert "synthmesh-offline:generic:base" in html
    rewritten = await ask(llm, "synthmesh-step: augment_question; level=ADD_REQUIREMENTS", question)
    assert rewritten.count("\n- ") == 2


@pytest.mark.parametrize("header", ["synthmesh-step: answer; bug=segfault",
                                    "synthmesh-step: augment_answer; level=REMOVE_ALL",
                                    "synthmesh-step: question; topic=POETRY"])
async def test_bad_step_requests_are_rejected(llm: LlmClient, header: str) -> None:
    with pytest.raises(LlmError) as caught:
        await llm.complete("question", step_messages(header, "x"))
    assert caught.value.reason == "llm_bad_request"


async def test_steps_the_corpus_does_not_know_get_the_untagged_answer(llm: LlmClient) -> None:
    # The iterator names its own steps (draft, explain, ...); they must run end to end against the offline model.
    prompt = "Write a Python function:\n\ndef fizzbuzz(n):\n    \"\"\"FizzBuzz 1..n\"\"\""
    tagged = (await llm.complete("iterator", step_messages("synthmesh-step: draft", prompt))).text
    assert "```python" in tagged and "def fizzbuzz(" in tagged


async def test_untagged_function_prompt_gets_code_and_feedback_gets_the_fix(
    llm: LlmClient, offline_server: OfflineServer
) -> None:
    prompt = [{"role": "user", "content": "Write a Python function:\n\ndef fizzbuzz(n):\n    '''FizzBuzz 1..n'''"}]
    offline_server.admin("config", {"broken_rate": 1.0})
    wrong = extract_code_block((await llm.complete("iterator", prompt)).text, "python")
    feedback = [*prompt, {"role": "assistant", "content": f"```python\n{wrong}\n```"},
                {"role": "user", "content": "AssertionError: fizzbuzz(15)[-1] == 'FizzBuzz' failed"}]
    right = extract_code_block((await llm.complete("iterator", feedback)).text, "python")
    namespace: dict[str, object] = {}
    exec(right or "", namespace)  # noqa: S102 - the server's own canned solution, not model output
    assert namespace["fizzbuzz"](15)[-1] == "FizzBuzz"  # type: ignore[operator]
    assert wrong != right
    plain = (await llm.complete("iterator", [{"role": "user", "content": "What is the capital of France?"}])).text
    assert "offline model" in plain and "```" not in plain


async def test_answer_wrappings_vary_and_all_parse(llm: LlmClient) -> None:
    question = await ask(llm, "synthmesh-step: question; topic=SCIENCE", "A volcanologist")
    styles, css = set(), set()
    for seed in range(15):
        text = (await llm.complete("answer", step_messages("synthmesh-step: answer", question), seed=seed)).text
        styles.add("prose" if not text.startswith(("{", "```")) else text[:3])
        css.add(any(f["filename"] == "index.css" for f in extract_json(text)["files"]))
    assert styles == {"{\n ", "```", "prose"} and css == {True, False}


async def test_repair_round_trip_finds_the_page_in_an_earlier_turn(
    llm: LlmClient, offline_server: OfflineServer
) -> None:
    question = await ask(llm, "synthmesh-step: question; topic=GAMES", "A commuter")
    broken = await answer_files(llm, "synthmesh-step: answer; bug=reference_error", question)
    page = template.merge([f.model_dump() for f in broken])
    offline_server.fault("malformed", count=1, step="repair")
    parsed = await llm.complete_json("fixer", step_messages("synthmesh-step: repair", f"{page}\nReferenceError"),
                                     CodeAnswer)
    assert parsed.repaired
    fixed = template.merge([f.model_dump() for f in parsed.value.files])
    entry, variant = corpus.find_marker(page) or (None, None)
    assert entry is not None and variant is not None and fixed == template.page(entry, variant.working())
