"""The one check of a problem's jobs that only the iterator needs; the executor's own rules are shared.

`services.common.job_rules` holds the rules for files, tests, limits, browser steps and HumanEval checks, which
the executor applies to every request. Here: a job of several files must contain the language's default entry
file, because the iterator's jobs name no entry point.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common import job_rules as shared
from services.common.errors import Violations
from services.common.job_rules import DEFAULT_ENTRYPOINTS, Language
from synthmesh.executor.v1 import executor_pb2 as ex


def check_files(files: Sequence[ex.File], language: Language, where: str, violations: Violations) -> None:
    """Safe, distinct relative paths; with several files, the language's default entry file among them."""
    paths = shared.check_files(files, where, violations)
    # The iterator's jobs name no entrypoint, so the executor picks the only file or the language's default.
    entry = DEFAULT_ENTRYPOINTS.get(language, "")
    if len(files) > 1 and entry and entry not in paths:
        violations.add(where, f"with several files one must be {entry!r}, the entry point")
