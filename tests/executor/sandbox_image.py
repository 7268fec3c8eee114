"""A minimal container image for the Docker backend's tests: Debian's python3 (stdlib) and node, nothing else.

Built from this host's own files (there is no registry to pull from), imported with `podman import`, and tagged
by a digest of its file list so a second test run reuses it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import tarfile
from pathlib import Path

BINARIES = ["/usr/bin/python3.11", "/usr/bin/node", "/usr/bin/dash"]
LDD_LINE = re.compile(r"(/\S+\.so[.\d]*)")


def _libraries(paths: list[str]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        out = subprocess.run(["ldd", path], capture_output=True, text=True, check=False).stdout
        found.update(m.group(1) for m in LDD_LINE.finditer(out))
    return found


def file_list() -> list[str]:
    """Every file the image needs."""
    stdlib = Path("/usr/lib/python3.11")
    modules = [str(p) for p in stdlib.rglob("*") if p.is_file() and "/test/" not in str(p)
               and "__pycache__" not in str(p)]
    extensions = [m for m in modules if m.endswith(".so")]
    libraries = _libraries(BINARIES + extensions)
    # Debian merges /lib into /usr/lib: name every file by its real directory (keeping symlinked sonames) and
    # add each symlink's target too, so the image's /lib symlink never collides with a file under lib/.
    named = {os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p)) for p in libraries}
    return sorted(set(BINARIES) | set(modules) | named | {os.path.realpath(p) for p in named})


def build(tag_prefix: str = "localhost/synthmesh-sandbox-test") -> str:
    """Imports the image (once per file list) and returns its tag."""
    files = file_list()
    digest = hashlib.sha256("\n".join(files).encode()).hexdigest()[:12]
    tag = f"{tag_prefix}:{digest}"
    if subprocess.run(["podman", "image", "exists", tag], check=False).returncode == 0:
        return tag
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, target in (("lib64", "usr/lib64"), ("lib", "usr/lib"), ("bin", "usr/bin")):
            link = tarfile.TarInfo(name)
            link.type, link.linkname = tarfile.SYMTYPE, target
            tar.addfile(link)
        for directory in ("tmp", "sb", "etc"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        for path in files:
            tar.add(path, arcname=path.lstrip("/"), recursive=False)
        for alias, target in (("usr/bin/python3", "python3.11"), ("usr/bin/sh", "dash")):
            link = tarfile.TarInfo(alias)
            link.type, link.linkname = tarfile.SYMTYPE, target
            tar.addfile(link)
    subprocess.run(["podman", "import", "-", tag], input=buffer.getvalue(), check=True, capture_output=True)
    return tag
