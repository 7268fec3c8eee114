"""Generation mode end to end: the real iterator (its offline model scripted over HTTP) and executor, then
re-scoring the published log without a single model call."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from services.common.clients import channel
from services.evaluator.config import EvaluatorConfig
from services.evaluator.datasets import humaneval
from services.evaluator.server import create_server
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.evaluator.v1 import evaluator_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2 as it
from tests.evaluator.conftest import Evaluator, metric
from tests.executor.conftest import Running
from tests.iterator.conftest import Iterator, OfflineModel, iterator, offline_model  # noqa: F401

TASKS = ["HumanEval/0", "HumanEval/2"]


@pytest_asyncio.fixture(scope="module")
async def generating(executor: Running, iterator: Iterator, tmp_path_factory: object) -> AsyncIterator[Evaluator]:  # noqa: F811
    """An evaluator whose iterator is the real one; one Solve at a time so scripted replies land in order."""
    base = tmp_path_factory.mktemp("generation")  # type: ignore[attr-defined]
    port = iterator.runtime.port
    config = EvaluatorConfig.from_env({
        "EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{executor.port}", "ITERATOR_SERVICE_ADDR": f"127.0.0.1:{port}",
        "EVALUATOR_RESULTS_DIR": str(base / "results"), "EVALUATOR_CACHE_DIR": str(base / "cache"),
        "EVALUATOR_SOLVE_CONCURRENCY": "1", "DRAIN_SECONDS": "0", "GRACE_SECONDS": "1"})
    runtime, grpc_port = await create_server(config, "127.0.0.1:0")
    chan = channel(f"127.0.0.1:{grpc_port}")
    yield Evaluator(runtime, chan, evaluator_pb2_grpc.EvaluatorServiceStub(chan), base / "results", base / "cache")
    await chan.close()
    await runtime.stop(0, 0)


def fenced(code: str) -> str:
    return f"```python\n{code}```"


async def test_generate_then_rescore_from_the_log(generating: Evaluator, offline_model: OfflineModel,  # noqa: F811
                                                  tmp_path: Path) -> None:
    problems = {p.task_id: p for p in humaneval.load()[0]}
    right = {t: fenced(problems[t].prompt + problems[t].canonical_solution) for t in TASKS}
    wrong = {t: fenced(problems[t].prompt + "    return None\n") for t in TASKS}
    # n = 2 direct runs per problem, in order: HumanEval/0 right then wrong, HumanEval/2 wrong twice.
    model = await offline_model.script("evaluator-direct", [right[TASKS[0]], wrong[TASKS[0]], wrong[TASKS[1]],
                                                            wrong[TASKS[1]]])
    generation = ev.Generation(strategy=it.STRATEGY_DIRECT, model=model, samples_per_problem=2,
                               budget=it.Budget(max_llm_calls=1))
    progress, report = await generating.evaluate(ev.EvaluateRequest(
        dataset="humaneval", generation=generation, task_ids=TASKS, ks=[1, 2], allow_code_execution=True,
        output_dir=str(tmp_path / "generated")))
    assert progress[-1].done == 2 and progress[-1].total == 2
    assert metric(report, "solved_within_budget") == 0.25  # (1/2 + 0/2) / 2
    assert metric(report, "unbiased_pass_at_k", 1) == 0.25 and metric(report, "any_of_k", 2) == 0.5
    assert metric(report, "llm_calls") == 1.0 and metric(report, "tokens") > 0
    budget = next(m for m in report.metrics if m.definition == "solved_within_budget")
    assert budget.feedback_tests.startswith("check() assertions") and budget.samples_per_problem == 2
    log = [json.loads(line) for line in (tmp_path / "generated" / "generation.jsonl").read_text().splitlines()]
    assert len(log) == 4 and {r["strategy"] for r in log} == {"STRATEGY_DIRECT"}
    first = next(r for r in log if r["task_id"] == TASKS[0] and r["run"] == 0)
    assert first["candidates"][0]["program"].endswith(problems[TASKS[0]].canonical_solution)
    assert first["usage"]["llm_calls"] == 1 and first["events"] and first["seed"] == 1

    calls = len(await offline_model.requests())
    _, rescored = await generating.evaluate(ev.EvaluateRequest(
        dataset="humaneval", rescore_dir=str(tmp_path / "generated"), ks=[1, 2], allow_code_execution=True,
        output_dir=str(tmp_path / "rescored")))
    assert len(await offline_model.requests()) == calls, "re-scoring must not call the model"
    assert [(m.name, m.value) for m in rescored.metrics] == [(m.name, m.value) for m in report.metrics]
    assert (tmp_path / "rescored" / "generation.jsonl").read_text().count("\n") == 4
