"""`python -m services.iterator`: serve Solve and Repair until SIGTERM."""

from __future__ import annotations

import sys

from services.common.main import run
from services.iterator.config import IteratorConfig
from services.iterator.server import build

if __name__ == "__main__":
    sys.exit(run("iterator", IteratorConfig.from_env, build))
