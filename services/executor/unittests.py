"""Splits a HumanEval-style `check(candidate)` into one test case per assertion.

SEIDR's lexicase selection needs a verdict per case, and HumanEval's check() is one function of many asserts.
Each top-level statement of check's body that contains an `assert` becomes a case; statements without one
(setup such as `import math` or `x = ...`) are folded into the case that follows them, so every case runs in
the order the author wrote. The module-level code of check_code (helpers, METADATA, imports) becomes the
shared setup, which also binds `candidate` to the entry point. Module-level calls `check(...)` (HumanEvalPack
writes one) are dropped: the executor calls check itself.

When a split would change what the check means (a case does not compile alone, as with `return` or `break` in
check's body; check is decorated or takes more than its candidate; module code uses `check`), the whole check
is one case, `check(entry_point)`, after the module code.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from services.common.job_rules import check_code_fault


class CheckCodeError(ValueError):
    """check_code cannot be split (it does not parse or has no check function)."""


@dataclass(frozen=True)
class SplitSuite:
    """Setup code and one code snippet per case, with a readable name each."""

    setup: str
    cases: tuple[str, ...]
    names: tuple[str, ...]


def _contains_assert(node: ast.AST) -> bool:
    return any(isinstance(child, ast.Assert) for child in ast.walk(node))


def _name(statement: ast.stmt) -> str:
    text = ast.unparse(statement).splitlines()[0]
    return text if len(text) <= 120 else text[:117] + "..."


def _calls_check(statement: ast.stmt) -> bool:
    """A bare module-level `check(...)`, which would run every assertion again (and before check exists)."""
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "check")


def _uses_check(statements: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "check" for s in statements for n in ast.walk(s))


def _compiles(case: str) -> bool:
    try:
        compile(case, "<test>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _split_body(check: ast.FunctionDef) -> tuple[list[str], list[str]]:
    """One case per top-level statement with an assert; others fold into the next case, trailing ones the last."""
    cases: list[str] = []
    names: list[str] = []
    pending: list[ast.stmt] = []
    for statement in check.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring
        pending.append(statement)
        if _contains_assert(statement):
            cases.append("\n".join(ast.unparse(s) for s in pending))
            names.append(_name(statement))
            pending = []
    if pending and cases:
        cases[-1] += "\n" + "\n".join(ast.unparse(s) for s in pending)
    elif pending:
        cases.append("\n".join(ast.unparse(s) for s in pending))
        names.append("check")
    return cases, names


def _plain_signature(check: ast.FunctionDef) -> bool:
    """check(candidate) exactly: a split binds only `candidate`, losing defaults, other arguments, decorators."""
    args = check.args
    return not (check.decorator_list or args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg
                or args.defaults)


# Benchmarks grade many samples against the same check: parsing and unparsing it costs ~0.7 ms each time.
@functools.lru_cache(maxsize=1024)
def split_check(check_code: str, entry_point: str) -> SplitSuite:
    """Returns the setup and the per-assertion cases of a HumanEval check."""
    try:
        body = ast.parse(check_code).body
    except SyntaxError:
        body = []
    checks = [n for n in body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if not checks or len(checks[-1].args.args) != 1:
        raise CheckCodeError(check_code_fault(check_code))  # says which shared rule it breaks
    check = checks[-1]
    kept = [n for n in body if not _calls_check(n)]
    others = [n for n in kept if n is not check]
    cases, names = _split_body(check)
    if _plain_signature(check) and not _uses_check(others) and all(_compiles(c) for c in cases):
        setup = "\n".join([ast.unparse(n) for n in others] + [f"{check.args.args[0].arg} = {entry_point}"])
        return SplitSuite(setup=setup, cases=tuple(cases), names=tuple(names))
    return SplitSuite(setup="\n".join(ast.unparse(n) for n in kept), cases=(f"check({entry_point})",),
                      names=("check",))
