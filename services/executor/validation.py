"""Request validation: every problem of a request is reported at once, as field violations."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from services.common.errors import Violations
from services.executor.config import ExecutorConfig, LimitSet
from services.executor.programs import Limits
from services.executor.unittests import CheckCodeError, SplitSuite, split_check
from synthmesh.executor.v1 import executor_pb2 as pb

MAX_FILES = 200
MAX_PATH = 255
MAX_TESTS = 5000
MAX_STEPS = 200
DEFAULT_ENTRYPOINTS = {pb.LANGUAGE_PYTHON: "main.py", pb.LANGUAGE_JAVASCRIPT: "main.js",
                       pb.LANGUAGE_HTML: "index.html"}


@dataclass(frozen=True)
class PreparedJob:
    """A valid request with its limits resolved and its unit tests split."""

    request: pb.ExecuteRequest
    limits: Limits
    split: SplitSuite | None


def _check_path(path: str, where: str, violations: Violations) -> None:
    normal = posixpath.normpath(path) if path else ""
    if not path or "\x00" in path or len(path) > MAX_PATH:
        violations.add(where, f"must be a non-empty relative path of at most {MAX_PATH} characters")
    elif path.startswith("/") or normal.startswith("..") or normal == "." or "\\" in path:
        violations.add(where, "must stay inside the work directory (no absolute path, no '..')")


def _resolve_limits(limits: pb.Limits, defaults: LimitSet, ceilings: LimitSet, where: str,
                    violations: Violations) -> Limits:
    resolved = {}
    for name, proto_name in (("wall_seconds", "wall_seconds"), ("cpu_seconds", "cpu_seconds"),
                             ("memory_bytes", "memory_bytes"), ("output_bytes", "output_bytes"),
                             ("max_processes", "max_processes")):
        value = getattr(limits, proto_name)
        ceiling = getattr(ceilings, name)
        if value < 0:
            violations.add(f"{where}.{proto_name}", "must not be negative")
        elif value > ceiling:
            violations.add(f"{where}.{proto_name}", f"must be at most {ceiling:g}")
        resolved[name] = value if value > 0 else getattr(defaults, name)
    return Limits(wall=float(resolved["wall_seconds"]), cpu=float(resolved["cpu_seconds"]),
                  memory=int(resolved["memory_bytes"]), output=int(resolved["output_bytes"]),
                  processes=int(resolved["max_processes"]))


def _check_tests(req: pb.ExecuteRequest, where: str, violations: Violations) -> None:
    if len(req.tests) > MAX_TESTS:
        violations.add(f"{where}tests", f"at most {MAX_TESTS} tests")
    names: set[str] = set()
    for i, test in enumerate(req.tests):
        kind = test.WhichOneof("kind")
        if kind is None:
            violations.add(f"{where}tests[{i}]", "set exactly one of io or assertion")
        elif kind == "assertion" and not test.assertion.strip():
            violations.add(f"{where}tests[{i}].assertion", "must not be empty")
        elif kind == "io" and test.io.float_tolerance < 0:
            violations.add(f"{where}tests[{i}].io.float_tolerance", "must not be negative")
        if test.name and test.name in names:
            violations.add(f"{where}tests[{i}].name", f"duplicate test name {test.name!r}")
        names.add(test.name)
    if req.language == pb.LANGUAGE_HTML and len(req.tests):
        violations.add(f"{where}tests", "html pages are checked by the browser; tests apply to python/javascript")


def _check_browser(options: pb.BrowserOptions, where: str, violations: Violations) -> None:
    if not 0 <= options.settle_seconds <= 30:
        violations.add(f"{where}browser.settle_seconds", "must lie in [0, 30]")
    for name in ("viewport_width", "viewport_height"):
        value = getattr(options, name)
        if value and not 64 <= value <= 4096:
            violations.add(f"{where}browser.{name}", "must be 0 (default) or lie in [64, 4096]")
    if len(options.steps) > MAX_STEPS:
        violations.add(f"{where}browser.steps", f"at most {MAX_STEPS} steps")
    for i, step in enumerate(options.steps):
        at = f"{where}browser.steps[{i}]"
        if step.kind == pb.InteractionStep.KIND_UNSPECIFIED:
            violations.add(f"{at}.kind", "must be set")
        elif step.kind == pb.InteractionStep.KIND_PRESS and not step.key:
            violations.add(f"{at}.key", "a press step needs a key")
        elif step.kind == pb.InteractionStep.KIND_TYPE and not step.selector:
            violations.add(f"{at}.selector", "a type step needs a selector")
        elif step.kind == pb.InteractionStep.KIND_WAIT and not 0 <= step.seconds <= 30:
            violations.add(f"{at}.seconds", "must lie in [0, 30]")


def prepare(req: pb.ExecuteRequest, config: ExecutorConfig, violations: Violations,
            where: str = "") -> PreparedJob | None:
    """Validates one job, filling `violations`; returns the prepared job when it is valid."""
    before = len(violations.items)
    if req.language not in DEFAULT_ENTRYPOINTS:
        violations.add(f"{where}language", "must be LANGUAGE_PYTHON, LANGUAGE_JAVASCRIPT or LANGUAGE_HTML")
    if not req.files:
        violations.add(f"{where}files", "at least one file is required")
    elif len(req.files) > MAX_FILES:
        violations.add(f"{where}files", f"at most {MAX_FILES} files")
    paths = set()
    for i, f in enumerate(req.files):
        _check_path(f.path, f"{where}files[{i}].path", violations)
        if f.path in paths:
            violations.add(f"{where}files[{i}].path", f"duplicate path {f.path!r}")
        paths.add(f.path)
    entry = req.entrypoint or (req.files[0].path if len(req.files) == 1 else
                               DEFAULT_ENTRYPOINTS.get(req.language, ""))
    if req.files and entry not in paths:
        violations.add(f"{where}entrypoint", f"{entry!r} is not one of the files")
    limits = _resolve_limits(req.limits, config.defaults, config.ceilings, f"{where}limits", violations)
    _check_tests(req, where, violations)
    _check_browser(req.browser, where, violations)
    split = None
    if req.unit_tests.check_code or req.unit_tests.entry_point:
        if req.language != pb.LANGUAGE_PYTHON:
            violations.add(f"{where}unit_tests", "HumanEval-style checks are Python; use assertion tests instead")
        elif not req.unit_tests.entry_point.isidentifier():
            violations.add(f"{where}unit_tests.entry_point", "must be the name of the function under test")
        else:
            try:
                split = split_check(req.unit_tests.check_code, req.unit_tests.entry_point)
            except CheckCodeError as exc:
                violations.add(f"{where}unit_tests.check_code", str(exc))
    if len(violations.items) > before:
        return None
    resolved = pb.ExecuteRequest()
    resolved.CopyFrom(req)
    resolved.entrypoint = entry
    return PreparedJob(resolved, limits, split)
