"""The gateway's HTTP app: Dojo's v1 and v2 routes, /health, /metrics, OpenAPI, CORS, key and size limits."""

from __future__ import annotations

from typing import Any

import prometheus_client
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from services.gateway import handout, v2
from services.gateway.middleware import ApiKeyMiddleware, BodyLimitMiddleware, CorsMiddleware, error_body
from services.gateway.state import GatewayState

_HEALTH = b'{"status":"OK"}'
JSON = "application/json"


class SyntheticGenEnvelope(BaseModel):
    """The v1 envelope: `body` is the QAP on success, `{}` on failure; HTTP 200 either way."""

    success: bool
    body: dict[str, Any] | None
    error: str | None


class QuestionResponse(BaseModel):
    """A v2 question; on failure `success` is false and the strings are empty."""

    success: bool
    prompt: str
    qa_id: str
    ans_aug_id: str


class PopQaResponse(BaseModel):
    """Whether the question and its two answers were removed."""

    success: bool


class ErrorResponse(BaseModel):
    """Every 4xx/5xx of the gateway."""

    success: bool
    error: str


async def health(request: Request) -> Response:
    """Liveness: always 200 {"status": "OK"}, whatever the pool or Redis are doing."""
    return Response(_HEALTH, media_type=JSON)


async def metrics(request: Request) -> Response:
    """Prometheus exposition of this process's registry."""
    return Response(prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return Response(error_body(str(exc.detail)), status_code=exc.status_code, media_type=JSON,
                    headers=dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    return Response(error_body(f"invalid request: {exc}"), status_code=422, media_type=JSON)


def create_api(state: GatewayState) -> FastAPI:
    """The FastAPI app: every route, the OpenAPI schema and JSON errors (no middleware)."""
    errors: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse} for code in (400, 401, 413, 422)}
    # Metrics are Prometheus (style.md: pick one, never mix); FastAPI's native OpenTelemetry hook would otherwise
    # probe the global OTel providers on every request.
    app = FastAPI(title="synthmesh gateway", version="0.1.0",
                  description="Dojo's synthetic-API contract (v1 and v2) over synthmesh's verified QAP pool.",
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.gateway = state
    app.add_api_route("/health", health, methods=["GET"], tags=["ops"], responses={200: {"content": {
        JSON: {"example": {"status": "OK"}}}}})
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        handout.PATH, handout.synthetic_gen, methods=["GET"], tags=["v1"],
        summary="Hand out one QAP (v1)", responses={200: {"model": SyntheticGenEnvelope}, **errors})
    app.add_api_route(
        "/api/generate-question", v2.generate_question, methods=["GET"], tags=["v2"],
        summary="Peek at the next v2 question", responses={200: {"model": QuestionResponse}, **errors})
    app.add_api_route(
        "/api/pop-qa", v2.pop_qa, methods=["POST"], tags=["v2"], summary="Remove a v2 question and its answers",
        responses={200: {"model": PopQaResponse}, 404: {"model": ErrorResponse}, 503: {"model": ErrorResponse},
                   **errors},
        openapi_extra={"requestBody": {"required": True,
                                       "content": {JSON: {"schema": v2.POP_QA_BODY_SCHEMA}}}})
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


def create_app(state: GatewayState, api_key: str = "", max_body_bytes: int = 64 * 1024,
               cors_origins: tuple[str, ...] = ("*",)) -> ASGIApp:
    """The gateway's ASGI app over `state`; usable in tests through httpx's ASGITransport.

    Outermost first: CORS answers preflights before the key check; the size limit runs before any handler; the
    hot path takes GET /api/synthetic-gen before FastAPI.
    """
    app: ASGIApp = handout.HotPath(create_api(state), state)
    app = ApiKeyMiddleware(app, api_key) if api_key else app
    app = BodyLimitMiddleware(app, max_body_bytes)
    return CorsMiddleware(app, cors_origins)
