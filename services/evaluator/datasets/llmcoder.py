"""The LLMcoder pair-folder format for code completion.

Every folder holding `input.txt` (the code prefix) and `output.txt` (the reference completion), anywhere under
dataset_path (LLMcoder's own layout is `level_<n>/pairs/pair<m>/`), is one problem; its task id is the folder's
path relative to dataset_path.

Completions are not executed: they are compared with the reference (Levenshtein, BLEU, difflib ratio, tokens).
"""

from __future__ import annotations

import re
from pathlib import Path

from services.evaluator.datasets.base import (
    DatasetError,
    Digest,
    LoadedDataset,
    LoadOptions,
    Problem,
    register_dataset,
)


def natural_key(text: str) -> list[int | str]:
    """Sort key that puts pair2 before pair10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


@register_dataset(
    "llmcoder",
    description="LLMcoder completion pairs: folders with input.txt (code prefix) and output.txt (reference "
                "completion) under dataset_path; compared with the reference, not executed.",
    needs_path=True, unsafe_code=False,
    feedback_tests="none (static comparison only)",
    grading_tests="comparison with output.txt (no execution)",
)
def load_dataset(path: Path | None, options: LoadOptions) -> LoadedDataset:
    """Reads every pair folder under `path`, in natural order of their relative paths."""
    if path is None or not path.is_dir():
        raise DatasetError(f"{path}: not a directory")
    folders = sorted({p.parent for p in path.rglob("input.txt") if (p.parent / "output.txt").is_file()},
                     key=lambda folder: natural_key(folder.relative_to(path).as_posix()))
    if not folders:
        raise DatasetError(f"{path}: no folder holds both input.txt and output.txt")
    digest = Digest(path)
    problems = []
    for folder in folders:
        prefix = digest.add(folder / "input.txt", (folder / "input.txt").read_bytes()).decode("utf-8")
        reference = digest.add(folder / "output.txt", (folder / "output.txt").read_bytes()).decode("utf-8")
        task_id = folder.relative_to(path).as_posix()
        problems.append(Problem(task_id=task_id, kind="completion", description=prefix, prompt=prefix,
                                reference=reference))
    return LoadedDataset("llmcoder", problems, digest.hexdigest(), str(path))
