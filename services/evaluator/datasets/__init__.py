"""Dataset loaders: each returns problems and the SHA-256 of the bytes it read.

Importing this package registers every loader; `get(name)` and `specs()` read the registry.
"""

from __future__ import annotations

from services.evaluator.datasets import codecontests, humaneval, llmcoder, psb2
from services.evaluator.datasets.base import (
    DATASETS,
    DatasetError,
    DatasetSpec,
    IoCase,
    LoadedDataset,
    LoadOptions,
    Problem,
)

__all__ = ["DatasetError", "DatasetSpec", "IoCase", "LoadOptions", "LoadedDataset", "Problem", "codecontests",
           "get", "humaneval", "llmcoder", "psb2", "specs"]


def get(name: str) -> DatasetSpec | None:
    """The registered dataset called `name`, if any."""
    return DATASETS.get(name)


def specs() -> list[DatasetSpec]:
    """Every registered dataset, by name."""
    return [DATASETS[name] for name in sorted(DATASETS)]
