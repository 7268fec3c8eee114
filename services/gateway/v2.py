"""Dojo v2's endpoints: GET /api/generate-question (peek) and POST /api/pop-qa (idempotent removal).

Shapes are upstream's (dojo-contract §8.2). A failed peek answers HTTP 200 with empty strings, as upstream did;
pop-qa answers 4xx with a JSON message for every bad request, and the pool stays untouched.
"""

from __future__ import annotations

import logging

import orjson
from starlette.requests import Request
from starlette.responses import Response

from services.common.pool.errors import PoolUnavailable
from services.common.pool.validation import V2_ID, V2_ID_RULE
from services.gateway.middleware import error_body
from services.gateway.state import GatewayState

log = logging.getLogger(__name__)

JSON = "application/json"
_NO_QUESTION = orjson.dumps({"success": False, "prompt": "", "qa_id": "", "ans_aug_id": ""})
_POPPED = orjson.dumps({"success": True})

POP_QA_BODY_SCHEMA = {
    "type": "object",
    "required": ["qa_id"],
    "properties": {"qa_id": {"type": "string", "description": "The qa_id from GET /api/generate-question."}},
}


def _error(status: int, message: str) -> Response:
    return Response(error_body(message), status_code=status, media_type=JSON)


async def generate_question(request: Request) -> Response:
    """The first listed question whose two answers exist (skipping ones not ready or unusable); nothing is removed."""
    state: GatewayState = request.app.state.gateway
    try:
        head = await state.pool.head_v2()
    except PoolUnavailable as exc:
        log.warning("generate-question failed", extra={"error": str(exc)})
        return Response(_NO_QUESTION, media_type=JSON)
    if head is None:
        return Response(_NO_QUESTION, media_type=JSON)
    question, qa_id, aug_id = head
    return Response(orjson.dumps({"success": True, "prompt": question, "qa_id": qa_id, "ans_aug_id": aug_id}),
                    media_type=JSON)


async def pop_qa(request: Request) -> Response:
    """Removes the listed question `qa_id` and both its answer keys."""
    state: GatewayState = request.app.state.gateway
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return _error(400, 'request body must be JSON: {"qa_id": "..."}')
    if not isinstance(payload, dict):
        return _error(400, 'request body must be a JSON object: {"qa_id": "..."}')
    qa_id = payload.get("qa_id")
    if not isinstance(qa_id, str) or not qa_id:
        return _error(422, "qa_id is required and must be a non-empty string")
    if not V2_ID.fullmatch(qa_id):
        return _error(422, f"qa_id must be {V2_ID_RULE}")
    caller = f"http:{request.client.host}" if request.client else "http:unknown"
    try:
        delivery = await state.pool.pop_v2(qa_id, caller)
    except PoolUnavailable as exc:
        return _error(503, f"QAP pool unavailable: {exc}")
    if delivery is None:
        return _error(404, f"qa_id {qa_id!r} is not listed (unknown or already popped)")
    return Response(_POPPED, media_type=JSON)
