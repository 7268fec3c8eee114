"""`synthmesh solve PROBLEM.json --strategy …`: run an iterator strategy with a live log of its events."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from rich.console import Console

from services.cli.exec_cmd import NAMES
from services.cli.inputs import UsageError, check_writable, read_text, rpc_failure
from services.common.settings import DEFAULT_PORTS
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.iterator.v1 import iterator_pb2 as pb
from synthmesh.iterator.v1 import iterator_pb2_grpc

STRATEGIES = {"seidr": pb.STRATEGY_SEIDR, "alphacodium": pb.STRATEGY_ALPHACODIUM, "llmcoder": pb.STRATEGY_LLMCODER,
              "rewoo": pb.STRATEGY_REWOO, "direct": pb.STRATEGY_DIRECT}
# exec's --language names, as the proto JSON spells them.
LANGUAGES = {name: ex.Language.Name(value) for name, value in NAMES.items()}
COLOURS = {"candidate": "cyan", "feedback": "yellow", "revert": "red", "backtrack": "magenta", "budget": "red",
           "plan": "green", "step": "green", "selection": "blue"}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`synthmesh solve PROBLEM.json --strategy NAME [--model M] [budget flags] [--out FILE] [--json]`."""
    command: argparse.ArgumentParser = sub.add_parser(
        "solve", help="synthesise a program with an iterator strategy, showing every step live")
    command.add_argument("problem", type=Path, help="a synthmesh.iterator.v1.Problem as JSON")
    command.add_argument("--strategy", choices=sorted(STRATEGIES), default="seidr")
    command.add_argument("--model", default="", help="litellm model name (default: the iterator's)")
    command.add_argument("--max-llm-calls", type=int, default=0)
    command.add_argument("--max-programs", type=int, default=0)
    command.add_argument("--max-wall-seconds", type=float, default=0)
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--out", type=Path, help="write the best program here")
    command.add_argument("--json", action="store_true", help="print events and the result as JSON lines")
    command.add_argument("--iterator", default=os.environ.get("ITERATOR_SERVICE_ADDR",
                                                              f"localhost:{DEFAULT_PORTS['iterator'][0]}"))
    return command


def load_problem(path: Path) -> pb.Problem:
    """Reads a Problem from JSON (proto JSON field names, e.g. "publicTests" or "public_tests").

    `language` may also be given as exec's `--language` names it ("python", "javascript", "html").
    """
    try:
        data = json.loads(read_text(path))
    except ValueError as exc:
        raise UsageError(f"{path}: not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("language"), str):
        data["language"] = LANGUAGES.get(data["language"].lower(), data["language"])
    problem = pb.Problem()
    try:
        json_format.ParseDict(data, problem)
    except json_format.ParseError as exc:
        raise UsageError(f"{path}: not Problem JSON: {exc} (languages: {', '.join(LANGUAGES)})") from None
    return problem


def run(args: argparse.Namespace) -> int:
    """Streams the run; exit code 0 when solved, 1 when not, 2 for bad input or a failed call."""
    console = Console(highlight=False)
    try:
        problem = load_problem(args.problem)
        if args.out:
            check_writable(args.out)
    except UsageError as exc:
        console.print(f"synthmesh solve: {exc}", markup=False, soft_wrap=True)
        return 2
    request = pb.SolveRequest(problem=problem, strategy=STRATEGIES[args.strategy], model=args.model, seed=args.seed,
                              budget=pb.Budget(max_llm_calls=args.max_llm_calls, max_programs=args.max_programs,
                                               max_wall_seconds=args.max_wall_seconds))
    result: pb.Result | None = None
    with grpc.insecure_channel(args.iterator) as chan:
        stub = iterator_pb2_grpc.IteratorServiceStub(chan)
        try:
            with console.status("running…") as status:
                for item in stub.Solve(request):
                    if item.HasField("result"):
                        result = item.result
                        break
                    show(console, item.event, args.json)
                    status.update(f"{args.strategy}: {item.event.elapsed_seconds:.1f} s, last: {item.event.kind}")
        except grpc.RpcError as exc:
            console.print(f"synthmesh solve: {rpc_failure(exc, '--iterator')}", markup=False, soft_wrap=True)
            return 2
    if result is None:
        console.print("synthmesh solve: the iterator ended the stream without a result", markup=False)
        return 2
    summarise(console, result, args.json)
    if args.out and result.best.files:
        try:
            args.out.write_text(result.best.files[0].content)
        except OSError as exc:
            console.print(f"synthmesh solve: {args.out}: {exc.strerror or exc}", markup=False, soft_wrap=True)
            return 2
    return 0 if result.solved else 1


def show(console: Console, event: pb.Event, as_json: bool) -> None:
    """One event line."""
    if as_json:
        print(json.dumps(json_format.MessageToDict(event, preserving_proto_field_name=True)))
        return
    colour = COLOURS.get(event.kind, "white")
    console.print(f"[dim]{event.elapsed_seconds:7.2f}s[/] [{colour}]{event.kind:9s}[/] {event.message}", markup=True)


def summarise(console: Console, result: pb.Result, as_json: bool) -> None:
    """The final result."""
    if as_json:
        print(json.dumps(json_format.MessageToDict(result, preserving_proto_field_name=True)))
        return
    u = result.usage
    console.print(f"{'SOLVED' if result.solved else 'not solved'} — {pb.StopReason.Name(result.stop_reason)}"
                  f"{': ' + result.error if result.error else ''}")
    console.print(f"LLM calls {u.llm_calls}, tokens {u.prompt_tokens}+{u.completion_tokens}, programs {u.programs}, "
                  f"executions {u.executions}, {u.wall_seconds:.1f} s")
    if result.best.files:
        console.print(f"best program {result.best.id} (score {result.best.score:.3f}):")
        console.print(result.best.files[0].content, markup=False)
