"""The offline model server's HTTP app: OpenAI-compatible chat completions plus the admin routes."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from services.offline_llm import protocol, steps
from services.offline_llm.admin import admin_router
from services.offline_llm.config import OfflineConfig
from services.offline_llm.faults import MESSAGES, Fault, FaultNameError, model_latency_ms
from services.offline_llm.protocol import OFFLINE_NAME
from services.offline_llm.state import ServerState, script_name

log = logging.getLogger("services.offline_llm")

# What a "malformed JSON" fault sends when the real reply is not JSON: a payload cut in the middle of a string.
_BROKEN_JSON = '{"files": [{"filename": "index.html", "content": "<!DOCTYPE html><html><body><script>const x = {'


def create_app(config: OfflineConfig | None = None, state: ServerState | None = None) -> FastAPI:
    """Builds the app; tests pass their own state to inspect it, `python -m services.offline_llm` does not."""
    config = config or OfflineConfig()
    state = state or ServerState(config)
    app = FastAPI(title="synthmesh offline model", version="1", docs_url=None, redoc_url=None)
    app.state.offline = state
    app.include_router(admin_router(state))

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "OK", "model": OFFLINE_NAME, "offline": True}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": OFFLINE_NAME, "object": "model", "created": 0,
                                            "owned_by": "synthmesh"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        return await _chat(state, request)

    return app


def _error(status: int, message: str) -> JSONResponse:
    # Providers send Retry-After with 429 and 503; the adapter honours it (capped by its own maximum).
    headers = {"retry-after": "1"} if status in (429, 503) else None
    return JSONResponse(protocol.error_body(status, message), status_code=status, headers=headers)


def _parse(body: Any) -> protocol.Request | str:
    """The request, or a message saying what is wrong with the body."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return "messages must be a non-empty list of message objects"
    seed, max_tokens = body.get("seed"), body.get("max_completion_tokens") or body.get("max_tokens")
    if seed is not None and not isinstance(seed, int):
        return "seed must be an integer"
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        return "max_tokens must be a positive integer"
    step, params = protocol.parse_header(messages)
    return protocol.Request(str(body.get("model") or OFFLINE_NAME), messages, seed, max_tokens, step, params)


async def _chat(state: ServerState, http: Request) -> Response:
    arrival = time.monotonic()
    try:
        body = await http.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "the body is not valid JSON")
    req = _parse(body)
    if isinstance(req, str):
        return _error(400, req)
    entry = state.requests.add({"model": req.model, "step": req.step, "params": req.params,
                                "messages": req.messages, "options": {k: v for k, v in body.items()
                                                                      if k != "messages"}})
    try:
        fault = state.faults.take(req.model, req.step)
    except FaultNameError as exc:
        entry["status"] = 400
        return _error(400, str(exc))
    text, finish = "", "stop"
    script = script_name(req.model, req.params)
    if script is not None:
        scripted = state.scripts.next(script)
        if scripted is None:
            entry["status"] = 400
            return _error(400, f"script {script!r} is unknown or exhausted (register it with POST /admin/script)")
        text, finish = scripted.content, scripted.finish_reason
        if scripted.fault is not None:
            fault = Fault(scripted.fault, 1, seconds=scripted.seconds)
    entry["fault"] = fault.kind if fault else None
    reply = _respond(state, req, body, fault, text if script is not None else None, finish)
    # The simulated latency is the time from arrival to reply, as a provider's is: the reply is written
    # meanwhile, not after it. It is recorded only once sent, so a client that gave up leaves no status behind.
    await asyncio.sleep(max(0.0, arrival + _latency_ms(state, req) / 1000 - time.monotonic()))
    if fault is not None and fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
    entry.update(reply.record)
    log.info(reply.log, extra=reply.log_extra)
    return reply.response


@dataclass
class _Reply:
    """A reply ready to send, and what the request log and the service log get once it is sent."""

    response: Response
    record: dict[str, Any]
    log: str
    log_extra: dict[str, Any]


def _respond(state: ServerState, req: protocol.Request, body: dict[str, Any], fault: Fault | None,
             scripted: str | None, finish: str) -> _Reply:
    """The reply to one request: a fault's error, the scripted text or the corpus's answer."""
    if fault is not None and fault.status is not None:
        default = MESSAGES.get(fault.status, f"error {fault.status} (synthmesh offline fault)")
        return _Reply(_error(fault.status, fault.message or default), {"status": fault.status}, "offline fault",
                      {"model": req.model, "step": req.step, "status": fault.status})
    if scripted is None:
        try:
            scripted = steps.reply(req, state.broken_rate)
        except steps.StepError as exc:
            return _Reply(_error(400, str(exc)), {"status": 400}, "offline request refused",
                          {"model": req.model, "step": req.step, "error": str(exc)})
    text, finish = _shape(scripted, finish, fault, req.max_tokens)
    request_id = f"chatcmpl-{req.digest():016x}"
    model = req.model if req.model.startswith("synthmesh-") else OFFLINE_NAME
    prompt = protocol.prompt_tokens(req.messages)
    response: Response
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = protocol.stream_events(request_id, model, text, finish, prompt, include_usage)
        response = StreamingResponse(events, media_type="text/event-stream")
    else:
        completion = protocol.completion_body(request_id, model, text, finish, prompt)
        if fault is not None and fault.kind == "no_choices":
            completion["choices"] = []  # some providers answer a filtered request so, usage included
        response = JSONResponse(completion)
    return _Reply(response, {"status": 200, "reply": text}, "offline completion",
                  {"model": model, "step": req.step, "offline": True, "finish_reason": finish,
                   "fault": fault.kind if fault else None})


def _latency_ms(state: ServerState, req: protocol.Request) -> int:
    try:
        extra = int(req.params.get("latency_ms", "0") or 0)
    except ValueError:
        extra = 0
    return max(0, state.latency_ms + model_latency_ms(req.model) + extra)


def _shape(text: str, finish: str, fault: Fault | None, max_tokens: int | None) -> tuple[str, str]:
    """Applies reply-shaping faults and the max_tokens cut, as a provider would."""
    if fault is not None and fault.kind == "malformed":
        stripped = text.strip()
        text = stripped[: max(1, len(stripped) * 3 // 5)] if stripped.startswith(("{", "[", "```")) else _BROKEN_JSON
    elif fault is not None and fault.kind == "truncate":
        text, finish = text[: len(text) // 2], "length"
    elif fault is not None and fault.kind == "empty":
        text = ""
    if max_tokens is not None and protocol.count_tokens(text) > max_tokens:
        text, finish = protocol.truncate(text, max_tokens), "length"
    return text, finish
