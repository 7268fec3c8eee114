"""Generate the Python and mypy stubs for every proto under protos/ into the `synthmesh` package.

One script for all services (as Temporal's scripts/gen_protos.py), so no service keeps its own drifting copy.
The output is committed; CI re-runs this script and fails on any diff (`git diff --exit-code synthmesh/`).
Run it with `python scripts/gen_protos.py` after editing a .proto file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "synthmesh"
HEADER = '"""Generated from protos/ by scripts/gen_protos.py. Do not edit."""\n'


def main() -> int:
    """Regenerate synthmesh/ from protos/ and return the protoc exit code."""
    protos = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"--python_out={ROOT}",
        f"--grpc_python_out={ROOT}",
        f"--mypy_out={ROOT}",
        f"--mypy_grpc_out={ROOT}",
        *protos,
    ]
    # mypy-protobuf's plugins are console scripts living next to this interpreter.
    env_path = f"{Path(sys.executable).parent}"
    result = subprocess.run(cmd, cwd=PROTOS, env={"PATH": env_path}, check=False)
    if result.returncode != 0:
        return result.returncode
    for directory in [OUT, *(p for p in OUT.rglob("*") if p.is_dir())]:
        (directory / "__init__.py").write_text(HEADER)
    (OUT / "py.typed").write_text("")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
