"""What `synthmesh eval` shows: a rich progress bar while the evaluation streams, then the metrics table."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from synthmesh.evaluator.v1 import evaluator_pb2 as ev


def stream_with_progress(stream: Iterable[ev.EvaluateResponse], dataset: str) -> ev.Report:
    """Consumes the Evaluate stream, drawing progress; returns the report."""
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[passed]} passed · {task.fields[last]}"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task(f"eval {dataset}", total=None, passed=0, last="")
        for message in stream:
            if message.HasField("report"):
                return message.report
            p = message.progress
            bar.update(task, total=p.total, completed=p.done, passed=p.passed, last=p.task_id)
    raise RuntimeError("the evaluator's stream ended without a report")


def show_report(report: ev.Report) -> None:
    """The metrics, each with its definition and its feedback and grading tests, then where the files are."""
    console = Console()
    table = Table(title=f"{report.dataset} (sha256 {report.dataset_sha256[:12]}…)", show_lines=True)
    for column in ("metric", "value", "n", "problems", "definition", "feedback tests", "grading tests"):
        table.add_column(column, overflow="fold")
    for m in report.metrics:
        table.add_row(m.name, f"{m.value:.4f}", str(m.samples_per_problem), str(m.problems), m.description,
                      m.feedback_tests, m.grading_tests)
    console.print(table)
    verdicts: dict[str, int] = {}
    for problem in report.problems:
        for name, count in problem.verdicts.items():
            verdicts[name] = verdicts.get(name, 0) + count
    console.print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items(), key=lambda kv: -kv[1])))
    console.print(f"results: {report.results_path}\nreport:  {report.report_path}")
