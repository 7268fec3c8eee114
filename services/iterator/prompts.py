"""Prompt text shared by the strategies: how a problem, a program and a failure are shown to the model."""

from __future__ import annotations

from services.iterator.code import FENCE, render_files
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb

CODER = ("You are an expert programmer. Reply with the complete program in one fenced code block and nothing "
         "else unless asked.")
HTML_RULES = ("The answer is a single self-contained index.html (CSS in <style>, JavaScript in <script>), with no "
              "external files, libraries or network requests, no storage, no alerts.")


def language_name(problem: pb.Problem) -> str:
    """The target language as the model should read it."""
    return {ex.LANGUAGE_PYTHON: "Python 3", ex.LANGUAGE_JAVASCRIPT: "JavaScript (node)",
            ex.LANGUAGE_HTML: "HTML with JavaScript and CSS"}.get(problem.language, "Python 3")


def describe_tests(tests: list[ex.TestCase], limit: int = 8) -> str:
    """Example tests as text (feedback tests only; hidden tests are never shown)."""
    lines = []
    for test in tests[:limit]:
        if test.WhichOneof("kind") == "io":
            lines.append(f"- input {test.io.stdin[:300]!r} -> output {test.io.expected_stdout[:300]!r}")
        else:
            lines.append(f"- {test.assertion[:300]}")
    return "\n".join(lines)


def problem_text(problem: pb.Problem) -> str:
    """The task as shown in every prompt."""
    parts = [f"Task ({language_name(problem)}):\n{problem.description.strip()}"]
    if problem.prompt.strip():
        fence = FENCE.get(problem.language, "")
        parts.append(f"Complete this code (keep its signature):\n```{fence}\n{problem.prompt.rstrip()}\n```")
    if problem.public_tests:
        parts.append("Examples:\n" + describe_tests(list(problem.public_tests)))
    if problem.language == ex.LANGUAGE_HTML:
        parts.append(HTML_RULES)
    return "\n\n".join(parts)


def draft(problem: pb.Problem) -> tuple[str, str]:
    """Write a first program."""
    return CODER, problem_text(problem) + "\n\nWrite the complete program."


def explain(problem: pb.Problem, files: list[ex.File], issue: str) -> tuple[str, str]:
    """SEIDR's instruct step: explain the bug behind one failure."""
    system = "You are an expert debugger. Explain in two or three sentences what is wrong and how to fix it."
    user = (f"{problem_text(problem)}\n\nProgram:\n{render_files(files, problem.language)}\n\nProblem observed:\n"
            f"{issue}\n\nExplain the bug.")
    return system, user


def repair(problem: pb.Problem, files: list[ex.File], issue: str, hint: str = "") -> tuple[str, str]:
    """Fix a program given a failure (and optionally an explanation or instruction)."""
    user = f"{problem_text(problem)}\n\nProgram:\n{render_files(files, problem.language)}\n\nWhat went wrong:\n{issue}"
    if hint:
        user += f"\n\nHow to fix it:\n{hint}"
    return CODER, user + "\n\nReturn the whole corrected program."
