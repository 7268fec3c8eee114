"""LLMcoder's analysers: mypy, signature, hallucination (jedi) and an LLM score.

Each returns an `Analysis` with a type (critical, info, score), a score, a pass flag and a message. mypy runs in
a subprocess on a temporary file with no configuration (so no plugins) and never installs stubs; jedi infers
statically. Neither imports nor executes the analysed code — LLMcoder's signature analyser imported the
modules generated code named, inside its own process; that hazard does not exist here.
"""

from __future__ import annotations

import asyncio
import difflib
import math
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jedi

from services.common.llm_parse import extract_json
from services.iterator.context import RunContext

MYPY_LINE = re.compile(r"^[^:]+:(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*?)(?:  \[(?P<code>[\w-]+)\])?$")
CALLEE = re.compile(r'(?:to|for) "(?P<name>\w+)"')
NO_ATTRIBUTE = re.compile(r'has no attribute "(?P<attr>\w+)"')
MYPY_TIMEOUT = 60.0
NAMES = ("mypy", "signature", "hallucination", "llm_score")


@dataclass(frozen=True)
class Analysis:
    """One analyser's verdict on a completion."""

    name: str
    kind: str  # "critical", "info" or "score"
    score: float
    passed: bool
    message: str


@dataclass(frozen=True)
class MypyError:
    """A mypy error located in the completion."""

    line: int
    column: int
    message: str


async def mypy_errors(code: str, prefix_lines: int) -> list[MypyError]:
    """The type errors mypy finds in the completion (errors inside the given prefix are not the model's)."""
    with tempfile.TemporaryDirectory(prefix="synthmesh-mypy-") as tmp:
        source = Path(tmp) / "completion.py"
        source.write_text(code)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mypy", "--config-file", "", "--no-incremental", "--ignore-missing-imports",
            "--show-column-numbers", "--no-error-summary", "--no-color-output", "--hide-error-context",
            "--cache-dir", str(Path(tmp) / "cache"), str(source),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), MYPY_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return [MypyError(0, 0, f"mypy did not finish in {MYPY_TIMEOUT:g} s")]
    errors = []
    for line in out.decode(errors="replace").splitlines():
        match = MYPY_LINE.match(line.strip())
        if match and int(match["line"]) > prefix_lines:
            errors.append(MypyError(int(match["line"]), int(match["col"]), match["msg"]))
    return errors


def mypy_analysis(errors: list[MypyError]) -> Analysis:
    """Critical: passes iff mypy found no error in the completion; score is minus the error count."""
    text = "\n".join(f"line {e.line}: {e.message}" for e in errors) or "no type errors"
    return Analysis("mypy", "critical", -float(len(errors)), not errors, text)


def signature_analysis(code: str, errors: list[MypyError]) -> Analysis:
    """Info: signatures and docstrings of the callables mypy complained about, found statically by jedi."""
    notes = []
    script = jedi.Script(code)
    for name in dict.fromkeys(m["name"] for e in errors if (m := CALLEE.search(e.message))):
        position = _call_position(code, name)
        if position is None:
            continue
        for signature in script.get_signatures(*position):
            doc = (signature.docstring(raw=True) or "").strip().splitlines()
            notes.append(f"{signature.to_string()}" + (f"  # {doc[0]}" if doc else ""))
    return Analysis("signature", "info", 0.0, True, "\n".join(notes) or "no signature to report")


def hallucination_analysis(code: str, errors: list[MypyError]) -> Analysis:
    """Info: for each attribute that does not exist, the real attributes that come closest."""
    lines = code.splitlines()
    notes, unfixable, suggested = [], 0, 0
    for error in errors:
        match = NO_ATTRIBUTE.search(error.message)
        if not match or not 0 < error.line <= len(lines):
            continue
        attribute = match["attr"]
        column = lines[error.line - 1].find("." + attribute)
        if column < 0:
            unfixable += 1
            continue
        names = [c.name for c in jedi.Script(code).complete(error.line, column + 1)]
        close = difflib.get_close_matches(attribute, names, n=5, cutoff=0.5)
        if close:
            suggested += 1
            notes.append(f"`{attribute}` does not exist; did you mean {', '.join(close)}?")
        else:
            unfixable += 1
            notes.append(f"`{attribute}` does not exist; available: {', '.join(names[:20])}")
    return Analysis("hallucination", "info", -float(unfixable) + 0.5 * suggested, True,
                    "\n".join(notes) or "no hallucinated attribute")


async def llm_score(ctx: RunContext, code: str) -> Analysis:
    """Score: the model rates quality, plausibility, consistency and readability 0-10; geometric mean."""
    reply = await ctx.ask("score", 'Rate the code 0-10 on each criterion. Reply as JSON {"quality": n, '
                          '"plausibility": n, "consistency": n, "readability": n}.', f"```python\n{code}\n```")
    try:
        data = extract_json(reply)
        values = [float(data[k]) for k in ("quality", "plausibility", "consistency", "readability")]
    except (ValueError, KeyError, TypeError):
        return Analysis("llm_score", "score", 0.0, True, "the score reply could not be read")
    values = [min(10.0, max(0.0, v)) for v in values]
    mean = math.prod(v + 1e-9 for v in values) ** (1 / len(values))
    return Analysis("llm_score", "score", mean, True, f"geometric mean {mean:.2f} of {values}")


async def analyze(ctx: RunContext, code: str, prefix_lines: int, names: list[str], separate: bool) -> list[Analysis]:
    """Runs the analysers in order.

    Coworker mode shares mypy's errors with the later analysers; separate mode lets each analyser find what it
    needs on its own (signature and hallucination run mypy again).
    """
    results: list[Analysis] = []
    shared: list[MypyError] | None = None

    async def errors() -> list[MypyError]:
        nonlocal shared
        if separate:
            return await mypy_errors(code, prefix_lines)
        if shared is None:
            shared = await mypy_errors(code, prefix_lines)
        return shared

    for name in names:
        if name == "mypy":
            results.append(mypy_analysis(await errors()))
        elif name == "signature":
            results.append(await asyncio.to_thread(signature_analysis, code, await errors()))
        elif name == "hallucination":
            results.append(await asyncio.to_thread(hallucination_analysis, code, await errors()))
        elif name == "llm_score":
            results.append(await llm_score(ctx, code))
    return results


def _call_position(code: str, name: str) -> tuple[int, int] | None:
    for number, line in enumerate(code.splitlines(), start=1):
        column = line.find(name + "(")
        if column >= 0:
            return number, column + len(name) + 1
    return None
