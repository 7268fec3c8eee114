"""The checks of a problem's jobs that only the iterator needs; the executor's own rules are shared.

`services.common.job_rules` holds the rules for files, tests, limits and browser steps, which the executor
applies to every request. Here: a HumanEval check must parse and define `check(candidate)` (the executor splits
it per assertion), and a job of several files must contain the language's default entry file, because the
iterator's jobs name no entry point.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from services.common import job_rules as shared
from services.common.errors import Violations
from services.common.job_rules import DEFAULT_ENTRYPOINTS, Language
from synthmesh.executor.v1 import executor_pb2 as ex


def check_unit_tests(suite: ex.UnitTestSuite, language: Language, where: str, violations: Violations) -> None:
    """A HumanEval check must be Python, name its function and split into cases (as the executor splits it)."""
    if not suite.check_code and not suite.entry_point:
        return
    if language != ex.LANGUAGE_PYTHON:
        violations.add(where, "HumanEval-style checks are Python; use assertion tests instead")
    elif not suite.entry_point.isidentifier():
        violations.add(f"{where}.entry_point", "must be the name of the function under test")
    elif fault := _check_code_fault(suite.check_code):
        violations.add(f"{where}.check_code", fault)


def _check_code_fault(code: str) -> str:
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


def check_files(files: Sequence[ex.File], language: Language, where: str, violations: Violations) -> None:
    """Safe, distinct relative paths; with several files, the language's default entry file among them."""
    paths = shared.check_files(files, where, violations)
    # The iterator's jobs name no entrypoint, so the executor picks the only file or the language's default.
    entry = DEFAULT_ENTRYPOINTS.get(language, "")
    if len(files) > 1 and entry and entry not in paths:
        violations.add(where, f"with several files one must be {entry!r}, the entry point")
