"""`synthmesh exec FILE`: run a program (or page) through the executor and print its verdict."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from services.cli.inputs import UsageError, check_writable, read_text, rpc_failure
from services.common.settings import DEFAULT_PORTS
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.executor.v1 import executor_pb2_grpc

LANGUAGES = {".py": pb.LANGUAGE_PYTHON, ".js": pb.LANGUAGE_JAVASCRIPT, ".mjs": pb.LANGUAGE_JAVASCRIPT,
             ".html": pb.LANGUAGE_HTML, ".htm": pb.LANGUAGE_HTML}
NAMES = {"python": pb.LANGUAGE_PYTHON, "javascript": pb.LANGUAGE_JAVASCRIPT, "html": pb.LANGUAGE_HTML}


def build_request(path: Path, language: str | None, stdin: Path | None, tests: Path | None) -> pb.ExecuteRequest:
    """The ExecuteRequest for a file.

    `--tests` holds ExecuteRequest fields as JSON (tests, unit_tests, limits, browser), for example
    {"tests": [{"io": {"stdin": "1 2", "expectedStdout": "3"}}]}.
    """
    content = read_text(path)
    request = pb.ExecuteRequest()
    if tests:
        try:
            json_format.Parse(read_text(tests), request)
        except json_format.ParseError as exc:
            raise UsageError(f"{tests}: not ExecuteRequest JSON: {exc}") from exc
    request.language = NAMES[language] if language else LANGUAGES.get(path.suffix.lower(), pb.LANGUAGE_UNSPECIFIED)
    if request.language == pb.LANGUAGE_UNSPECIFIED:
        raise UsageError(f"{path}: cannot tell the language from the extension; pass --language")
    del request.files[:]
    request.files.append(pb.File(path=path.name, content=content))
    request.entrypoint = path.name
    if stdin:
        request.stdin = read_text(stdin)
    if request.language == pb.LANGUAGE_HTML and not request.HasField("browser"):
        request.browser.auto_interact = True
    return request


def describe(result: pb.ExecuteResponse) -> str:
    """A human-readable report."""
    lines = [result.message or pb.Outcome.Name(result.outcome),
             f"wall {result.wall_seconds:.3f} s, cpu {result.cpu_seconds:.3f} s, "
             f"peak memory {result.peak_memory_bytes / 2**20:.1f} MiB, sandbox {result.sandbox}"]
    for test in result.tests:
        mark = "ok  " if test.outcome == pb.OUTCOME_OK else "FAIL"
        lines.append(f"  {mark} {test.name}" + (f": {test.message}" if test.message else ""))
    for error in result.browser_errors:
        phase = pb.BrowserPhase.Name(error.phase).removeprefix("BROWSER_PHASE_").lower()
        lines.append(f"  [{phase}] {error.kind} {error.name} {error.message} (line {error.line})")
    if result.stdout:
        lines.append("--- stdout" + (" (truncated)" if result.stdout_truncated else "") + "\n" + result.stdout.rstrip())
    if result.stderr:
        lines.append("--- stderr" + (" (truncated)" if result.stderr_truncated else "") + "\n" + result.stderr.rstrip())
    return "\n".join(lines)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`synthmesh exec FILE [--language] [--stdin F] [--tests F.json] [--screenshot F.png] [--json]`."""
    command: argparse.ArgumentParser = sub.add_parser("exec", help="run a program or page through the executor")
    command.add_argument("file", type=Path)
    command.add_argument("--language", choices=("python", "javascript", "html"))
    command.add_argument("--stdin", type=Path, help="file fed to the program's stdin")
    command.add_argument("--tests", type=Path,
                         help="JSON with ExecuteRequest fields: tests, unit_tests, limits, browser")
    command.add_argument("--screenshot", type=Path, help="write the page's PNG screenshot here (html)")
    command.add_argument("--json", action="store_true", help="print the full result as JSON")
    command.add_argument("--executor", default=os.environ.get("EXECUTOR_SERVICE_ADDR",
                                                              f"localhost:{DEFAULT_PORTS['executor'][0]}"))
    return command


def run(args: argparse.Namespace) -> int:
    """Executes; exit code 0 when the outcome is OK, 1 otherwise, 2 for usage and request errors."""
    return execute(args.file, args.executor, args.language, args.stdin, args.tests, args.json, args.screenshot)


def execute(path: Path, address: str, language: str | None, stdin: Path | None, tests: Path | None,
            as_json: bool, screenshot: Path | None) -> int:
    """Runs one file through the executor at `address` and prints the result."""
    try:
        request = build_request(path, language, stdin, tests)
        if screenshot:
            if request.language != pb.LANGUAGE_HTML:
                raise UsageError(f"{screenshot}: --screenshot works for HTML pages only")
            check_writable(screenshot)
    except UsageError as exc:
        print(f"synthmesh exec: {exc}")
        return 2
    if screenshot:
        request.browser.screenshot = True
    with grpc.insecure_channel(address) as chan:
        try:
            result = executor_pb2_grpc.ExecutorServiceStub(chan).Execute(request, timeout=300)
        except grpc.RpcError as exc:
            print(f"synthmesh exec: {rpc_failure(exc, '--executor')}")
            return 2
    if as_json:
        data = json_format.MessageToDict(result, preserving_proto_field_name=True)
        data.pop("screenshot_png", None)
        print(json.dumps(data, indent=2))
    else:
        print(describe(result))
    if screenshot and result.screenshot_png:
        try:
            screenshot.write_bytes(result.screenshot_png)
        except OSError as exc:
            print(f"synthmesh exec: {screenshot}: {exc.strerror or exc}")
            return 2
    return 0 if result.outcome == pb.OUTCOME_OK else 1
