"""The one server interceptor: request ids for logs, and go-grpc-prometheus metrics for every RPC kind."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from services.common import logs
from services.common.metrics import (
    GRPC_SERVER_HANDLED,
    GRPC_SERVER_HANDLING,
    GRPC_SERVER_MSG_SENT,
    GRPC_SERVER_STARTED,
)

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# Probes call these every few seconds; timing them would drown the latency histograms of real work.
_UNTIMED_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
                     "grpc.reflection.v1.ServerReflection")


def _split(method: str) -> tuple[str, str]:
    service, _, name = method.rpartition("/")
    return service.lstrip("/"), name


def _status_name(context: aio.ServicerContext[Any, Any], error: BaseException | None) -> str:
    if isinstance(error, grpc.aio.AbortError) or error is None:
        code = context.code()
        if code is None or isinstance(code, int):
            return "OK" if error is None else "UNKNOWN"
        return str(code.name)
    # The client went away: gRPC cancels the handler's task, or closes a server stream suspended at its yield.
    if isinstance(error, (asyncio.CancelledError, GeneratorExit)):
        return "CANCELLED"
    return "UNKNOWN"


class ObservabilityInterceptor(aio.ServerInterceptor):
    """Sets the request-id and method context variables, counts and times each RPC."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        """Wraps the handler's behaviour; unknown methods pass through untouched."""
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        service, name = _split(method)
        headers = dict(handler_call_details.invocation_metadata or ())
        rid = str(headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex[:16])
        timed = service not in _UNTIMED_SERVICES
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, "unary", service, name, rid, method, timed),
                handler.request_deserializer, handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(handler.unary_stream, "server_stream", service, name, rid, method, timed),
                handler.request_deserializer, handler.response_serializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(handler.stream_unary, "client_stream", service, name, rid, method, timed),
                handler.request_deserializer, handler.response_serializer)
        return grpc.stream_stream_rpc_method_handler(
            self._stream(handler.stream_stream, "bidi_stream", service, name, rid, method, timed),
            handler.request_deserializer, handler.response_serializer)

    @staticmethod
    def _unary(behavior: Any, kind: str, service: str, name: str, rid: str, method: str,
               timed: bool) -> Callable[..., Awaitable[Any]]:
        async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
            logs.request_id.set(rid)
            logs.rpc_method.set(method)
            GRPC_SERVER_STARTED.labels(kind, service, name).inc()
            start = time.perf_counter()
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                _finish(kind, service, name, context, error, start, timed)
        return wrapper

    @staticmethod
    def _stream(behavior: Any, kind: str, service: str, name: str, rid: str, method: str,
                timed: bool) -> Callable[..., AsyncIterator[Any]]:
        async def wrapper(request: Any, context: aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            logs.request_id.set(rid)
            logs.rpc_method.set(method)
            GRPC_SERVER_STARTED.labels(kind, service, name).inc()
            start = time.perf_counter()
            error: BaseException | None = None
            try:
                async for message in behavior(request, context):
                    GRPC_SERVER_MSG_SENT.labels(kind, service, name).inc()
                    yield message
            except BaseException as exc:
                error = exc
                raise
            finally:
                _finish(kind, service, name, context, error, start, timed)
        return wrapper


def _finish(kind: str, service: str, name: str, context: aio.ServicerContext[Any, Any],
            error: BaseException | None, start: float, timed: bool) -> None:
    code = _status_name(context, error)
    GRPC_SERVER_HANDLED.labels(kind, service, name, code).inc()
    if timed:
        GRPC_SERVER_HANDLING.labels(kind, service, name).observe(time.perf_counter() - start)
    if code == "UNKNOWN" and error is not None:
        log.error("unhandled error in %s/%s", service, name, exc_info=error)
    elif code == "CANCELLED" and error is not None:
        log.info("call cancelled in %s/%s", service, name)  # the caller's choice, not a fault here
