"""Every answer runs in the browser (load and interaction) before it may enter a QAP; failures are repaired.

Pages go to the executor as one batch. A page with errors is sent to the iterator's Repair (its feedback is the
browser errors, its verdict the executor's) for a bounded number of attempts. The result says how many errors
each answer had before and after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import grpc

from services.common.llm_usage import record_remote_usage
from synthmesh.executor.v1 import executor_pb2 as ex
from synthmesh.executor.v1 import executor_pb2_grpc
from synthmesh.iterator.v1 import iterator_pb2 as it
from synthmesh.iterator.v1 import iterator_pb2_grpc

log = logging.getLogger(__name__)
LIMITS = ex.Limits(wall_seconds=20)


@dataclass
class PageCheck:
    """One answer's verification."""

    html: str
    question: str
    errors_before: int = 0
    errors_after: int = 0
    repair_attempts: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Ran at load and under interaction without any error."""
        return self.errors_after == 0


class VerifyError(RuntimeError):
    """A dependency failed; `reason` is the drop reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def job(html: str, browser: ex.BrowserOptions) -> ex.ExecuteRequest:
    """The executor job for one page."""
    return ex.ExecuteRequest(language=ex.LANGUAGE_HTML, files=[ex.File(path="index.html", content=html)],
                             browser=browser, limits=LIMITS)


def errors_of(result: ex.ExecuteResponse) -> int:
    """How many things went wrong on a page (errors, or 1 for a page that could not run at all)."""
    return len(result.browser_errors) or int(result.outcome != ex.OUTCOME_OK)


class Verifier:
    """Runs pages and repairs them."""

    def __init__(self, executor: executor_pb2_grpc.ExecutorServiceAsyncStub,
                 iterator: iterator_pb2_grpc.IteratorServiceAsyncStub, fixer_model: str, attempts: int,
                 llm_calls: int, settle_seconds: float = 0.5) -> None:
        # Load, settle, interact (clicks, keys, drags), settle again: errors at either phase fail the page.
        self.browser = ex.BrowserOptions(auto_interact=True, settle_seconds=settle_seconds)
        self.executor = executor
        self.iterator = iterator
        self.fixer_model = fixer_model
        self.attempts = attempts
        self.llm_calls = llm_calls

    async def run(self, pages: list[PageCheck]) -> list[ex.ExecuteResponse]:
        """Executes the pages as one batch and records their error counts."""
        results: dict[int, ex.ExecuteResponse] = {}
        try:
            stream = self.executor.ExecuteBatch(ex.ExecuteBatchRequest(jobs=[job(p.html, self.browser) for p in pages]),
                                                timeout=120)
            async for item in stream:
                results[item.index] = item.result
        except grpc.aio.AioRpcError as exc:
            raise VerifyError("executor_unavailable", f"executor: {exc.code().name}: {exc.details()}") from exc
        if len(results) < len(pages):
            raise VerifyError("executor_unavailable", f"the executor's stream ended after {len(results)} of "
                                                      f"{len(pages)} results")
        ordered = [results[i] for i in range(len(pages))]
        for page, result in zip(pages, ordered, strict=True):
            page.errors_before = page.errors_after = errors_of(result)
            page.messages = [f"{e.name}: {e.message}" for e in result.browser_errors[:5]] or [result.message]
        return ordered

    async def repair(self, page: PageCheck, result: ex.ExecuteResponse, seed: int) -> None:
        """Repairs a failing page in place, up to the configured attempts."""
        while not page.clean and page.repair_attempts < self.attempts:
            page.repair_attempts += 1
            request = it.RepairRequest(
                problem=it.Problem(description=page.question, language=ex.LANGUAGE_HTML, limits=LIMITS),
                files=[ex.File(path="index.html", content=page.html)], result=result, strategy=it.STRATEGY_DIRECT,
                model=self.fixer_model, budget=it.Budget(max_llm_calls=self.llm_calls), browser=self.browser,
                seed=seed + page.repair_attempts)
            final: it.Result | None = None
            try:
                async for item in self.iterator.Repair(request, timeout=900):
                    if item.HasField("result"):
                        final = item.result
            except grpc.aio.AioRpcError as exc:
                raise VerifyError("iterator_unavailable", f"iterator: {exc.code().name}: {exc.details()}") from exc
            if final is not None:  # the repair's LLM calls are this QAP's cost too
                used = final.usage
                record_remote_usage(used.llm_calls, used.prompt_tokens, used.completion_tokens, used.cost_usd)
            if final is None or not final.best.files or not final.best.HasField("result"):
                continue
            result = final.best.result
            errors = errors_of(result)
            if errors < page.errors_after:
                page.html = final.best.files[0].content
                page.errors_after = errors
                page.messages = [f"{e.name}: {e.message}" for e in result.browser_errors[:5]]
