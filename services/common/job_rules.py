"""The executor's rules for the parts of an ExecuteRequest its callers build: files, tests, limits, browser steps.

The executor applies them to every request it receives; the iterator applies them to a problem before it spends
LLM calls on it. One copy, so the two can never disagree. Each check adds every problem it finds to `violations`
under the field path `where` names (e.g. "tests" or "jobs[2].tests").
"""

from __future__ import annotations

import ast
import functools
import math
import posixpath
from collections.abc import Sequence
from typing import TypeAlias

from services.common.errors import Violations
from synthmesh.executor.v1 import executor_pb2 as ex

MAX_FILES = 200
MAX_PATH = 255
MAX_TESTS = 5000
MAX_STEPS = 200
LIMIT_FIELDS = ("wall_seconds", "cpu_seconds", "memory_bytes", "output_bytes", "max_processes")
DEFAULT_ENTRYPOINTS = {ex.LANGUAGE_PYTHON: "main.py", ex.LANGUAGE_JAVASCRIPT: "main.js", ex.LANGUAGE_HTML: "index.html"}
Language: TypeAlias = ex.Language.ValueType
MIB = 1 << 20
MIN_MEMORY_BYTES = {ex.LANGUAGE_PYTHON: 32 * MIB, ex.LANGUAGE_JAVASCRIPT: 64 * MIB}


def check_language(language: Language, where: str, violations: Violations) -> None:
    """One of the languages the executor runs."""
    if language not in DEFAULT_ENTRYPOINTS:
        violations.add(where, "must be LANGUAGE_PYTHON, LANGUAGE_JAVASCRIPT or LANGUAGE_HTML")


def check_files(files: Sequence[ex.File], where: str, violations: Violations) -> set[str]:
    """At most MAX_FILES files with safe, distinct relative paths; returns the paths."""
    if len(files) > MAX_FILES:
        violations.add(where, f"at most {MAX_FILES} files")
    paths: set[str] = set()
    for i, f in enumerate(files):
        normal = posixpath.normpath(f.path) if f.path else ""
        if not f.path or "\x00" in f.path or len(f.path) > MAX_PATH:
            violations.add(f"{where}[{i}].path", f"must be a non-empty relative path of at most {MAX_PATH} characters")
        elif f.path.startswith("/") or normal.startswith("..") or normal == "." or "\\" in f.path:
            violations.add(f"{where}[{i}].path", "must stay inside the work directory (no absolute path, no '..')")
        if f.path in paths:
            violations.add(f"{where}[{i}].path", f"duplicate path {f.path!r}")
        paths.add(f.path)
    return paths


def check_limits(limits: ex.Limits, ceilings: object | None, language: Language, where: str,
                 violations: Violations) -> None:
    """Limits that can be met: finite, not negative, within `ceilings` (any object with the limit fields) if known.

    A memory limit must also fit the language's runtime: peak memory counts the interpreter's own (node ≈ 40 MiB,
    Python ≈ 14 MiB), so a smaller limit could never be met.
    """
    for name in LIMIT_FIELDS:
        value = getattr(limits, name)
        ceiling = getattr(ceilings, name) if ceilings is not None else 0
        if not math.isfinite(value):
            violations.add(f"{where}.{name}", "must be a finite number")
        elif value < 0:
            violations.add(f"{where}.{name}", "must not be negative")
        elif ceiling and value > ceiling:
            violations.add(f"{where}.{name}", f"must be at most {ceiling:g}")
    floor = MIN_MEMORY_BYTES.get(language, 0)
    if 0 < limits.memory_bytes < floor:
        violations.add(f"{where}.memory_bytes", f"must be 0 (the default) or at least {floor >> 20} MiB for this "
                       "language: its runtime alone uses most of that")


def check_tests(tests: Sequence[ex.TestCase], language: Language, where: str, violations: Violations) -> None:
    """Exactly one kind each, no empty assertion or negative tolerance, unique names; none for HTML pages."""
    if len(tests) > MAX_TESTS:
        violations.add(where, f"at most {MAX_TESTS} tests")
    names: set[str] = set()
    for i, test in enumerate(tests):
        kind = test.WhichOneof("kind")
        if kind is None:
            violations.add(f"{where}[{i}]", "set exactly one of io or assertion")
        elif kind == "assertion" and not test.assertion.strip():
            violations.add(f"{where}[{i}].assertion", "must not be empty")
        elif kind == "io" and test.io.float_tolerance < 0:
            violations.add(f"{where}[{i}].io.float_tolerance", "must not be negative")
        if test.name and test.name in names:
            violations.add(f"{where}[{i}].name", f"duplicate test name {test.name!r}")
        names.add(test.name)
    if language == ex.LANGUAGE_HTML and tests:
        violations.add(where, "html pages are checked by the browser; tests apply to python/javascript")


def check_browser(options: ex.BrowserOptions, where: str, violations: Violations) -> None:
    """Settle time, viewport and scripted steps within the executor's bounds."""
    if not 0 <= options.settle_seconds <= 30:
        violations.add(f"{where}.settle_seconds", "must lie in [0, 30]")
    for name in ("viewport_width", "viewport_height"):
        value = getattr(options, name)
        if value and not 64 <= value <= 4096:
            violations.add(f"{where}.{name}", "must be 0 (default) or lie in [64, 4096]")
    if len(options.steps) > MAX_STEPS:
        violations.add(f"{where}.steps", f"at most {MAX_STEPS} steps")
    for i, step in enumerate(options.steps):
        at = f"{where}.steps[{i}]"
        if step.kind == ex.InteractionStep.KIND_UNSPECIFIED:
            violations.add(f"{at}.kind", "must be set")
        elif step.kind == ex.InteractionStep.KIND_PRESS and not step.key:
            violations.add(f"{at}.key", "a press step needs a key")
        elif step.kind == ex.InteractionStep.KIND_TYPE and not step.selector:
            violations.add(f"{at}.selector", "a type step needs a selector")
        elif step.kind == ex.InteractionStep.KIND_WAIT and not 0 <= step.seconds <= 30:
            violations.add(f"{at}.seconds", "must lie in [0, 30]")


def check_unit_tests(suite: ex.UnitTestSuite, language: Language, where: str, violations: Violations,
                     parse: bool = True) -> bool:
    """Whether a HumanEval-style check is set and usable: Python, naming its function, defining check(candidate).

    `parse=False` leaves the check code itself to a caller that parses it anyway (the executor, which splits it).
    """
    if not suite.check_code and not suite.entry_point:
        return False
    if language != ex.LANGUAGE_PYTHON:
        violations.add(where, "HumanEval-style checks are Python; use assertion tests instead")
    elif not suite.entry_point.isidentifier():
        violations.add(f"{where}.entry_point", "must be the name of the function under test")
    elif parse and (fault := check_code_fault(suite.check_code)):
        violations.add(f"{where}.check_code", fault)
    else:
        return True
    return False


# Benchmarks grade many samples against the same check: parsing it costs ~0.7 ms each time.
@functools.lru_cache(maxsize=1024)
def check_code_fault(code: str) -> str:
    """What is wrong with HumanEval check code, or "": it must parse and define check(candidate)."""
    try:
        module = ast.parse(code)
    except SyntaxError as exc:
        return f"does not parse: {exc.msg} (line {exc.lineno})"
    checks = [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if not checks:
        return "must define check(candidate)"
    if len(checks[-1].args.args) != 1:
        return "check must take exactly one argument (the candidate)"
    return ""
