"""The generator's prompts, after the upstream service's (dojo-contract §5.3–5.5).

The first line of every system message names the pipeline step (`synthmesh-step: …`); a real provider reads
it as a harmless header, and the project's offline model server answers each step from its corpus.
"""

from __future__ import annotations

import json

SUBJECTS = {
    "ANIMATION": "an interactive visualization",
    "SCIENCE": "a streamlined interactive simulation of a scientific phenomenon",
    "GAMES": "a fun, streamlined hyper-casual web game",
}
NOTE = ("Note:\n- Your output should be implemented in JavaScript with HTML and CSS.\n"
        "- Ensure that the output has both index.js and index.html files\n")
QUESTION_LEVELS = {
    "REMOVE_REQUIREMENTS": "Remove exactly one of the listed requirements (a feature or a user action).",
    "ADD_REQUIREMENTS": "Add exactly one new, related requirement.",
    "CHANGE_ANIMATION_OBJECT": "Change the main subject to a related one (for a science task, a similar but "
                               "different experiment), keeping every requirement.",
}
ANSWER_LEVELS = {
    "REMOVE_ONE": "Remove one of the features the question asks for; keep everything else working.",
    "REMOVE_TWO": "Remove two of the features the question asks for; keep everything else working.",
    "ADD_ONE": "Add one feature the question did not ask for; keep everything else working.",
}
ANSWER_RULES = """Rules for the answer:
- Reply with JSON {"files": [{"filename": "index.html", "content": "...", "language": "html"},
  {"filename": "index.js", "content": "...", "language": "javascript"}]} and nothing else.
- No external libraries, files, fonts or APIs; no CDN imports; no eval, alerts or input boxes.
- A Feature-Policy meta tag that blocks camera, microphone and similar.
- Square layout that fits an iframe; no local storage; preventDefault on handled input events.
- Frame-rate-independent animation timing; web-safe fonts."""


def header(step: str, **params: str) -> str:
    """The step line the offline model server reads."""
    extra = "".join(f"; {k}={v}" for k, v in params.items())
    return f"synthmesh-step: {step}{extra}"


def question(topic: str, persona: str, actions: int) -> tuple[str, str]:
    """System and user messages that ask for one programming task inspired by a persona."""
    audio = "" if topic == "ANIMATION" else " No audio."
    system = (f"{header('question', topic=topic)}\nYou are an expert prompt engineer. Write one self-contained "
              f"programming task: {SUBJECTS[topic]} inspired by the persona below. Start with one sentence that says "
              "what to build, then a 'Features:' section of bullet points, then a 'User Actions:' section with "
              f"exactly {actions} numbered actions. Use only JavaScript, HTML and CSS; no external files or assets; "
              f"no microphone or camera; no web storage; a desktop user.{audio} Reply with the task only.")
    return system, f"Persona: {persona}"


def augment_question(level: str, task: str) -> tuple[str, str]:
    """Rewrite a task at one augmentation level; reply with the modified task only."""
    system = (f"{header('augment_question', level=level)}\nYou rewrite programming tasks. "
              f"{QUESTION_LEVELS[level]} Keep the same format. Reply with the modified task only.")
    return system, task


def answer(task: str) -> tuple[str, str]:
    """Ask for a complete answer to a task."""
    system = f"{header('answer')}\nYou are an expert coding assistant.\n{ANSWER_RULES}"
    return system, task


def augment_answer(level: str, task: str, files: list[dict[str, str]]) -> tuple[str, str]:
    """Rewrite a working answer at one augmentation level."""
    system = (f"{header('augment_answer', level=level)}\nYou rewrite answers to programming tasks. "
              f"{ANSWER_LEVELS[level]}\n{ANSWER_RULES}")
    return system, f"Task:\n{task}\n\nAnswer:\n{json.dumps({'files': files}, indent=1)}"
