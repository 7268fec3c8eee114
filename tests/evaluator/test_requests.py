"""Bad requests get INVALID_ARGUMENT with field violations; the unsafe-code gate; ListDatasets."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest

from services.common.clients import channel
from services.common.errors import field_violations
from services.evaluator.config import EvaluatorConfig
from services.evaluator.datasets import humaneval
from services.evaluator.server import create_server
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.evaluator.v1 import evaluator_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2 as it
from tests.evaluator.conftest import FIXTURES, Evaluator
from tests.procs import free_port

HE0 = ev.Sample(task_id="HumanEval/0", completion="    return False\n")


async def refused(evaluator: Evaluator, request: ev.EvaluateRequest) -> tuple[grpc.StatusCode, list[tuple[str, str]]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await evaluator.evaluate(request)
    return caught.value.code(), field_violations(caught.value)


async def test_list_datasets(evaluator: Evaluator) -> None:
    reply = await evaluator.stub.ListDatasets(ev.ListDatasetsRequest(), timeout=10)
    by_name = {d.name: d for d in reply.datasets}
    assert set(by_name) == {"humaneval", "psb2", "codecontests", "llmcoder"}
    assert not by_name["humaneval"].needs_path and by_name["psb2"].needs_path and by_name["psb2"].description


@pytest.mark.parametrize(("request_fields", "field", "says"), [
    ({"dataset": "mbpp", "samples": [HE0]}, "dataset", "unknown dataset 'mbpp'"),
    ({"dataset": "psb2", "canonical": True}, "dataset_path", "give their path"),
    ({"dataset": "humaneval", "dataset_path": "/tmp", "samples": [HE0]}, "dataset_path", "needs no path"),
    ({"dataset": "humaneval"}, "samples", "give samples, generation, canonical or rescore_dir"),
    ({"dataset": "humaneval", "samples": [HE0], "ks": [1, 0]}, "ks[1]", "at least 1"),
    ({"dataset": "humaneval", "samples": [HE0], "generation": ev.Generation(strategy=it.STRATEGY_DIRECT)},
     "generation", "choose one of"),
    ({"dataset": "humaneval", "generation": ev.Generation()}, "generation.strategy", "must be set"),
    ({"dataset": "humaneval", "samples": [HE0], "time_limit_factor": -1}, "time_limit_factor", "[0, 1000]"),
    ({"dataset": "psb2", "dataset_path": str(FIXTURES / "psb2"), "canonical": True}, "canonical",
     "no reference solutions"),
])
async def test_structural_violations(evaluator: Evaluator, request_fields: dict[str, object], field: str,
                                     says: str) -> None:
    code, violations = await refused(evaluator, ev.EvaluateRequest(allow_code_execution=True,
                                                                   **request_fields))  # type: ignore[arg-type]
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert any(f == field and says in d for f, d in violations), violations


@pytest.mark.parametrize(("request_fields", "field", "says"), [
    ({"samples": [HE0, ev.Sample(task_id="HumanEval/999", completion="x")]}, "samples[1].task_id",
     "'HumanEval/999' is not a problem of humaneval"),
    ({"samples": [HE0], "task_ids": ["HumanEval/0", "Nope/1"]}, "task_ids[1]", "'Nope/1' is not a problem"),
    ({"samples": [HE0], "limit": 3}, "samples", "no samples for 2 of the 3 selected problems (HumanEval/1, "),
    ({"samples": [HE0, HE0], "task_ids": ["HumanEval/0"], "ks": [1, 5]}, "ks[1]", "k=5 exceeds n=2"),
    ({"canonical": True, "ks": [2], "limit": 1}, "ks[0]", "k=2 exceeds n=1"),
])
async def test_violations_found_in_the_data(evaluator: Evaluator, tmp_path: Path, request_fields: dict[str, object],
                                            field: str, says: str) -> None:
    out = tmp_path / "never-created"
    code, violations = await refused(evaluator, ev.EvaluateRequest(
        dataset="humaneval", allow_code_execution=True, output_dir=str(out), **request_fields))  # type: ignore[arg-type]
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert any(f == field and says in d for f, d in violations), violations
    assert not out.exists(), "a refused request creates nothing"


async def test_bad_paths_and_existing_results(evaluator: Evaluator, tmp_path: Path) -> None:
    code, violations = await refused(evaluator, ev.EvaluateRequest(
        dataset="codecontests", dataset_path=str(tmp_path / "missing.jsonl"), canonical=True,
        allow_code_execution=True))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and violations[0][0] == "dataset_path"
    assert "no such file" in violations[0][1]
    (tmp_path / "results.json").write_text("{}")
    code, violations = await refused(evaluator, ev.EvaluateRequest(
        dataset="humaneval", samples=[HE0], task_ids=["HumanEval/0"], allow_code_execution=True,
        output_dir=str(tmp_path)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and violations == [
        ("output_dir", f"{tmp_path} already holds results.json; choose a new folder (results are never overwritten)")]
    code, violations = await refused(evaluator, ev.EvaluateRequest(
        dataset="humaneval", rescore_dir=str(tmp_path), allow_code_execution=True))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and violations[0][0] == "rescore_dir"


async def test_code_execution_must_be_confirmed(evaluator: Evaluator) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await evaluator.evaluate(ev.EvaluateRequest(dataset="humaneval", samples=[HE0], task_ids=["HumanEval/0"]))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "allow_code_execution=true" in (caught.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as generated:
        await evaluator.evaluate(ev.EvaluateRequest(
            dataset="llmcoder", dataset_path=str(FIXTURES / "llmcoder"),
            generation=ev.Generation(strategy=it.STRATEGY_LLMCODER)))
    assert generated.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # the iterator runs model code


async def test_unreachable_executor_is_unavailable_not_a_score(tmp_path: Path) -> None:
    config = EvaluatorConfig.from_env({
        "EXECUTOR_SERVICE_ADDR": f"127.0.0.1:{free_port()}", "EVALUATOR_RESULTS_DIR": str(tmp_path),
        "EVALUATOR_CACHE_DIR": "", "DRAIN_SECONDS": "0"})
    runtime, port = await create_server(config, "127.0.0.1:0")
    try:
        async with channel(f"127.0.0.1:{port}") as chan:
            stub = evaluator_pb2_grpc.EvaluatorServiceStub(chan)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                async for _ in stub.Evaluate(ev.EvaluateRequest(dataset="humaneval", canonical=True, limit=1,
                                                                allow_code_execution=True), timeout=30):
                    pass
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "executor GetInfo failed: UNAVAILABLE" in (caught.value.details() or "")
    finally:
        await runtime.stop(0, 0)


def _run_line(**fields: object) -> str:
    record: dict[str, object] = {"task_id": "HumanEval/0", "run": 0, "dataset_sha256": humaneval.load()[1],
                                 "candidates": [{"id": "c1", "program": "def f(): pass\n"}], "best_id": "c1"}
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not None})


@pytest.mark.parametrize(("lines", "says"), [
    (["[]"], "line 1: a run must be a JSON object, got list"),
    ([_run_line(), _run_line(run=None)], "line 2: 'run' must be an integer"),
    ([_run_line(), "", _run_line(run=True)], "line 3: 'run' must be an integer"),
    ([_run_line(task_id=7)], "line 1: 'task_id' must be a string"),
    ([_run_line(candidates=[{"id": "c1"}])], "line 1: 'candidates[0].program' must be a string"),
    ([_run_line(candidates={})], "line 1: 'candidates' must be a list"),
    ([_run_line(usage={"tokens": "many"})], "line 1: 'usage.tokens' must be a number"),
    (["{"], "line 1: not JSON"),
    (["[]"] * 6, "6 lines of "),
])
async def test_malformed_rescore_log_is_refused_naming_the_line(evaluator: Evaluator, tmp_path: Path,
                                                                lines: list[str], says: str) -> None:
    # A malformed run used to fail after planning (or in it) as UNKNOWN, with the output folder already made.
    (tmp_path / "generation.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "never-created"
    code, violations = await refused(evaluator, ev.EvaluateRequest(
        dataset="humaneval", rescore_dir=str(tmp_path), allow_code_execution=True, output_dir=str(out)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert any(f == "rescore_dir" and says in d for f, d in violations), violations
    assert not out.exists(), "a refused request creates nothing"
