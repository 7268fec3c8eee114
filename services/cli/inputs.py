"""What the CLI's commands share about their inputs and outputs: files read, files to write, RPC errors.

Every command turns a bad input into one line naming the file and the reason, and exit code 2, before it calls a
service; these helpers give the same wording everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import grpc

from services.common.errors import call_failure_details


class UsageError(ValueError):
    """The command line or an input file is wrong; the message says how."""


def read_text(path: Path) -> str:
    """A UTF-8 input file's text; UsageError saying why when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None


def check_writable(path: Path) -> None:
    """Raises UsageError before any work is done when `path` cannot be created (its folder is missing)."""
    if not path.parent.is_dir():
        raise UsageError(f"{path}: folder {path.parent} does not exist")


def rpc_failure(exc: grpc.RpcError, flag: str, flags: Mapping[str, str] | None = None) -> str:
    """`CODE: details` of a failed call, with each invalid field named when the service listed them.

    `flags` maps request fields to the command-line options that set them, so that a field is named as the user
    typed it ("--path (dataset_path)"). A service that cannot be reached at all gets a hint: start the stack, or
    name its address with `flag`.
    """
    def name(field: str) -> str:
        known = flags or {}
        option = known.get(field) or known.get(re.split(r"[.\[]", field, maxsplit=1)[0])
        return f"{option} ({field})" if option else field

    details = call_failure_details(exc, name)
    hint = ""
    if unreachable(exc):
        hint = f" (is the stack running? start it with `synthmesh up`, or give the service's address with {flag})"
    return f"{exc.code().name}: {details}{hint}"


def unreachable(exc: grpc.RpcError) -> bool:
    """Whether the call failed because nothing answered at the service's address at all."""
    return bool(exc.code() == grpc.StatusCode.UNAVAILABLE and "failed to connect" in (exc.details() or "").lower())
