"""Request validation: every problem of a request is reported at once, as field violations."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import Violations
from services.common.job_rules import (
    DEFAULT_ENTRYPOINTS,
    LIMIT_FIELDS,
    Language,
    check_browser,
    check_files,
    check_language,
    check_limits,
    check_tests,
    check_unit_tests,
)
from services.executor.config import ExecutorConfig
from services.executor.programs import Limits
from services.executor.unittests import CheckCodeError, SplitSuite, split_check
from synthmesh.executor.v1 import executor_pb2 as pb


@dataclass(frozen=True)
class PreparedJob:
    """A valid request with its limits resolved and its unit tests split."""

    request: pb.ExecuteRequest
    limits: Limits
    split: SplitSuite | None


def _resolve_limits(limits: pb.Limits, language: Language, config: ExecutorConfig, where: str,
                    violations: Violations) -> Limits:
    """The request's limits within the ceilings, with unset (0) ones taken from the defaults."""
    check_limits(limits, config.ceilings, language, where, violations)
    value = {name: getattr(limits, name) or getattr(config.defaults, name) for name in LIMIT_FIELDS}
    return Limits(wall=float(value["wall_seconds"]), cpu=float(value["cpu_seconds"]),
                  memory=int(value["memory_bytes"]), output=int(value["output_bytes"]),
                  processes=int(value["max_processes"]))


def prepare(req: pb.ExecuteRequest, config: ExecutorConfig, violations: Violations,
            where: str = "") -> PreparedJob | None:
    """Validates one job, filling `violations`; returns the prepared job when it is valid."""
    before = len(violations.items)
    check_language(req.language, f"{where}language", violations)
    if not req.files:
        violations.add(f"{where}files", "at least one file is required")
    paths = check_files(req.files, f"{where}files", violations)
    entry = req.entrypoint or (req.files[0].path if len(req.files) == 1 else
                               DEFAULT_ENTRYPOINTS.get(req.language, ""))
    if req.files and entry not in paths:
        violations.add(f"{where}entrypoint", f"{entry!r} is not one of the files")
    limits = _resolve_limits(req.limits, req.language, config, f"{where}limits", violations)
    check_tests(req.tests, req.language, f"{where}tests", violations)
    check_browser(req.browser, f"{where}browser", violations)
    split = None
    if check_unit_tests(req.unit_tests, req.language, f"{where}unit_tests", violations, parse=False):
        try:  # the split parses the check once (cached per check code) and names what is wrong with it
            split = split_check(req.unit_tests.check_code, req.unit_tests.entry_point)
        except CheckCodeError as exc:
            violations.add(f"{where}unit_tests.check_code", str(exc))
    if len(violations.items) > before:
        return None
    resolved = pb.ExecuteRequest()
    resolved.CopyFrom(req)
    resolved.entrypoint = entry
    return PreparedJob(resolved, limits, split)
