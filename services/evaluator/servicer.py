"""The EvaluatorService gRPC handlers: validate, gate, plan, then stream the evaluation."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from grpc import aio
from prometheus_client import Counter, Gauge

from services.common.errors import abort_invalid, error_status
from services.evaluator import datasets
from services.evaluator.calibration import Calibrator
from services.evaluator.config import EvaluatorConfig
from services.evaluator.evaluation import Evaluation
from services.evaluator.generation import IteratorError
from services.evaluator.grading import ExecutorError
from services.evaluator.validation import build_plan, check_request, gate
from synthmesh.evaluator.v1 import evaluator_pb2 as ev
from synthmesh.evaluator.v1 import evaluator_pb2_grpc
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2_grpc

log = logging.getLogger(__name__)

SERVICE_NAME = ev.DESCRIPTOR.services_by_name["EvaluatorService"].full_name

# Labels stay bounded: dataset names come from the registry, modes and results are fixed sets.
EVALUATIONS = Counter("synthmesh_evaluator_evaluations", "Evaluations finished, by dataset, mode and result.",
                      ("dataset", "mode", "result"))
RUNNING = Gauge("synthmesh_evaluator_running", "Evaluations in progress.")


class EvaluatorServicer(evaluator_pb2_grpc.EvaluatorServiceServicer):
    """Runs evaluations; a program's failure is data in the report, request problems are status codes."""

    def __init__(self, config: EvaluatorConfig, executor: executor_pb2_grpc.ExecutorServiceAsyncStub,
                 iterator: Callable[[], iterator_pb2_grpc.IteratorServiceAsyncStub]) -> None:
        self.config = config
        self.executor = executor
        self.iterator = iterator
        self.calibrator = Calibrator(config.cache_dir, config.calibration_wall_seconds)
        self.running = 0

    async def ListDatasets(self, request: ev.ListDatasetsRequest,
                           context: aio.ServicerContext[Any, Any]) -> ev.ListDatasetsResponse:
        """Every registered dataset."""
        return ev.ListDatasetsResponse(datasets=[
            ev.Dataset(name=s.name, description=s.description, needs_path=s.needs_path) for s in datasets.specs()])

    async def Evaluate(self, request: ev.EvaluateRequest,
                       context: aio.ServicerContext[Any, Any]) -> AsyncIterator[ev.EvaluateResponse]:
        """Validates, then streams progress and the report."""
        violations = check_request(request)
        if violations:
            await abort_invalid(context, violations, "invalid EvaluateRequest")
        if refusal := gate(request):
            await context.abort_with_status(error_status(
                grpc.StatusCode.FAILED_PRECONDITION, refusal, "CODE_EXECUTION_NOT_ALLOWED",
                field="allow_code_execution"))
        if self.running >= self.config.max_evaluations:
            await context.abort_with_status(error_status(
                grpc.StatusCode.RESOURCE_EXHAUSTED, f"{self.running} evaluations are running; retry later",
                "EVALUATIONS_BUSY", retry_after=30.0))
        self.running += 1
        RUNNING.set(self.running)
        try:
            plan = await asyncio.to_thread(build_plan, request, self.config, violations)
            if plan is None:
                await abort_invalid(context, violations, "invalid EvaluateRequest")
            remaining = context.time_remaining()
            deadline = time.monotonic() + remaining if remaining is not None else None
            iterator = self.iterator() if plan.mode == "generation" else None
            evaluation = Evaluation(plan, request, self.config, self.executor, iterator, self.calibrator, deadline)
            log.info("evaluation started", extra={"dataset": plan.dataset.name, "mode": plan.mode,
                                                  "problems": len(plan.problems), "output": str(plan.output_dir)})
            result = "error"
            try:
                async for message in evaluation.run():
                    if message.HasField("report"):
                        result = "ok"
                    yield message
            except ExecutorError as exc:
                result = "executor_failed"
                await context.abort_with_status(error_status(grpc.StatusCode.UNAVAILABLE, str(exc),
                                                             "EXECUTOR_FAILED"))
            except IteratorError as exc:
                result = "iterator_failed"
                await context.abort_with_status(error_status(grpc.StatusCode.UNAVAILABLE, str(exc),
                                                             "ITERATOR_FAILED"))
            finally:
                EVALUATIONS.labels(plan.dataset.name, plan.mode, result).inc()
            log.info("evaluation finished", extra={"output": str(plan.output_dir)})
        finally:
            self.running -= 1
            RUNNING.set(self.running)
