"""Rich gRPC errors: status codes with google.rpc details (BadRequest, ErrorInfo, RetryInfo).

Servers collect field violations while validating and abort once with all of them; clients decode the
`grpc-status-details-bin` trailer with `grpc_status.rpc_status`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc import aio
from grpc_status import rpc_status

DOMAIN = "synthmesh.dev"


@dataclass
class Violations:
    """Field violations gathered while validating one request."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        """Records that `field_path` is invalid and why."""
        self.items.append((field_path, description))

    def require(self, condition: bool, field_path: str, description: str) -> None:
        """Records a violation unless `condition` holds."""
        if not condition:
            self.add(field_path, description)

    def __bool__(self) -> bool:
        return bool(self.items)

    def summary(self) -> str:
        """One line naming every violation."""
        return "; ".join(f"{f}: {d}" for f, d in self.items)


def _pack(message: Any) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def bad_request_status(violations: Violations, message: str = "invalid request") -> grpc.Status:
    """An INVALID_ARGUMENT status carrying a google.rpc.BadRequest with every violation."""
    bad = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in violations.items
        ]
    )
    status: grpc.Status = rpc_status.to_status(
        status_pb2.Status(
            code=code_pb2.INVALID_ARGUMENT, message=f"{message}: {violations.summary()}", details=[_pack(bad)]
        )
    )
    return status


def error_status(code: grpc.StatusCode, message: str, reason: str,
                 retry_after: float | None = None, **metadata: str) -> grpc.Status:
    """A status with an ErrorInfo (machine-readable reason) and optionally a RetryInfo."""
    details = [_pack(error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata))]
    if retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(retry_after * 1e9))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    status: grpc.Status = rpc_status.to_status(
        status_pb2.Status(code=code.value[0], message=message, details=details)
    )
    return status


async def abort_invalid(context: aio.ServicerContext[Any, Any], violations: Violations,
                        message: str = "invalid request") -> NoReturn:
    """Aborts the call with INVALID_ARGUMENT and the violations as BadRequest details."""
    await context.abort_with_status(bad_request_status(violations, message))
    raise AssertionError("unreachable: abort_with_status raises")


def field_violations(call_error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """Client side: the (field, description) pairs of a BadRequest detail, if any."""
    status = rpc_status.from_call(call_error)
    if status is None:
        return []
    out: list[tuple[str, str]] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.extend((v.field, v.description) for v in bad.field_violations)
    return out


def call_failure_details(call_error: grpc.RpcError, name: Callable[[str], str] = str) -> str:
    """Client side: each invalid field as `field: why`, joined, or the status details when none were listed.

    `name` renders a field (the CLI names it by the option that sets it).
    """
    violations = field_violations(call_error)  # type: ignore[arg-type]
    return "; ".join(f"{name(field)}: {why}" for field, why in violations) or str(call_error.details())
