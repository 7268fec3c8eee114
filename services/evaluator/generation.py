"""Generation mode: an iterator strategy on every problem, through the IteratorService's `Solve` stream.

Each run's full log is kept so results can be published and re-scored without spending tokens again.

The iterator sees only the feedback tests (a HumanEval check, PSB2 edge cases, CodeContests public tests); the
grading tests never leave the evaluator, which grades every program of every run itself (grading.py). One line of
generation.jsonl per run:

    {task_id, run, seed, dataset, dataset_sha256, strategy, model, budget, feedback_tests, time_limit_seconds,
     candidates: [{id, parent_id, generation, program}] in the order they appeared (result.best last if new),
     best_id, solved_on_feedback, stop_reason, usage {llm_calls, prompt_tokens, completion_tokens, tokens,
     cost_usd, wall_seconds, programs, executions}, error, events: [Event as JSON (candidate code, verdicts on
     the feedback tests, feedback text)], result: Result as JSON}
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from services.evaluator.datasets import LoadedDataset, Problem
from services.evaluator.grading import io_tests
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.executor.v1 import executor_pb2 as pb
from synthmesh.iterator.v1 import iterator_pb2 as it
from synthmesh.iterator.v1 import iterator_pb2_grpc

# Errors that mean the iterator itself cannot serve this evaluation (not one unlucky run).
FATAL = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.INVALID_ARGUMENT,
         grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


class IteratorError(RuntimeError):
    """The iterator refused or could not be reached; the evaluation stops."""


def iterator_problem(problem: Problem, limit_seconds: float) -> it.Problem:
    """The problem as the iterator sees it: description, prompt and feedback tests only."""
    message = it.Problem(id=problem.task_id, description=problem.description, language=pb.LANGUAGE_PYTHON,
                         prompt=problem.prompt, entry_point=problem.entry_point,
                         limits=pb.Limits(wall_seconds=limit_seconds, cpu_seconds=limit_seconds))
    if problem.kind == "unit":
        message.unit_tests.CopyFrom(pb.UnitTestSuite(check_code=problem.check_code, entry_point=problem.entry_point))
    elif problem.kind == "io":
        message.public_tests.extend(io_tests(problem.public_tests))
    return message


def entry_program(files: list[dict[str, Any]]) -> str:
    """The program text of a candidate: its only file, else main.py or solution.py, else the first file."""
    if not files:
        return ""
    by_path = {f.get("path", ""): f.get("content", "") for f in files}
    for name in ("main.py", "solution.py"):
        if len(files) > 1 and name in by_path:
            return str(by_path[name])
    return str(files[0].get("content", ""))


def _candidates(events: list[dict[str, Any]], result: dict[str, Any] | None) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    found = [e["candidate"] for e in events if e.get("candidate", {}).get("id")]
    if result and result.get("best", {}).get("id"):
        found.append(result["best"])
    for candidate in found:
        if candidate["id"] not in seen:
            seen[candidate["id"]] = {"id": candidate["id"], "parent_id": candidate.get("parent_id", ""),
                                     "generation": candidate.get("generation", 0),
                                     "program": entry_program(candidate.get("files", []))}
    return list(seen.values())


def _usage(result: dict[str, Any] | None) -> dict[str, Any]:
    usage = dict((result or {}).get("usage", {}))
    for key in ("llm_calls", "prompt_tokens", "completion_tokens", "programs", "executions"):
        usage[key] = int(usage.get(key, 0))
    usage["tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return usage


async def solve(stub: iterator_pb2_grpc.IteratorServiceAsyncStub, request: it.SolveRequest,
                timeout: float) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str]:
    """One Solve call: (events as JSON, the result as JSON or None, error text)."""
    events: list[dict[str, Any]] = []
    try:
        async for item in stub.Solve(request, timeout=timeout):
            if item.HasField("event"):
                events.append(_to_json(item.event))
            elif item.HasField("result"):
                return events, _to_json(item.result), ""
    except grpc.aio.AioRpcError as exc:
        if exc.code() in FATAL:
            raise IteratorError(f"iterator Solve failed: {exc.code().name}: {exc.details()}") from exc
        return events, None, f"{exc.code().name}: {exc.details()}"
    return events, None, "the Solve stream ended without a result"


def _to_json(message: Any) -> dict[str, Any]:
    data: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return data


async def generate(stub: iterator_pb2_grpc.IteratorServiceAsyncStub, dataset: LoadedDataset, problems: list[Problem],
                   generation: ev.Generation, limits: dict[str, float], feedback: str, concurrency: int,
                   timeout: float, log_path: Path) -> AsyncIterator[dict[str, Any]]:
    """Runs n Solve calls per problem, appends each run to `log_path` and yields it when it finishes."""
    n = generation.samples_per_problem or 1
    gate = asyncio.Semaphore(concurrency)
    strategy = it.Strategy.Name(generation.strategy)
    budget = _to_json(generation.budget)

    async def one(problem: Problem, run: int) -> dict[str, Any]:
        seed = run + 1  # fixed seeds: a published run can be repeated
        request = it.SolveRequest(problem=iterator_problem(problem, limits[problem.task_id]),
                                  strategy=generation.strategy, model=generation.model, budget=generation.budget,
                                  seed=seed)
        async with gate:
            events, result, error = await solve(stub, request, timeout)
        return {"task_id": problem.task_id, "run": run, "seed": seed, "dataset": dataset.name,
                "dataset_sha256": dataset.sha256, "strategy": strategy, "model": generation.model,
                "budget": budget, "feedback_tests": feedback, "time_limit_seconds": limits[problem.task_id],
                "candidates": _candidates(events, result),
                "best_id": (result or {}).get("best", {}).get("id", ""),
                "solved_on_feedback": bool((result or {}).get("solved", False)),
                "stop_reason": (result or {}).get("stop_reason", "STOP_REASON_ERROR" if error else ""),
                "usage": _usage(result), "error": error or (result or {}).get("error", ""),
                "events": events, "result": result}

    tasks = [asyncio.create_task(one(p, r)) for p in problems for r in range(n)]
    try:
        with log_path.open("w", encoding="utf-8") as log:
            for finished in asyncio.as_completed(tasks):
                record = await finished
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
                log.flush()
                yield record
    finally:
        for task in tasks:
            task.cancel()
