"""Admin endpoints for tests and benchmarks: faults, scripts, the request log, runtime settings, reset.

They change behaviour for everyone using the server, which is why the server binds loopback by default.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, field_validator

from services.offline_llm.faults import REPLY_KINDS, Fault, valid_kind
from services.offline_llm.state import ScriptedReply, ServerState


class FaultSpec(BaseModel):
    """One fault to queue; `count: null` keeps it forever (until reset)."""

    kind: str
    count: int | None = Field(default=1, ge=1)
    step: str | None = None
    model: str | None = None
    seconds: float = Field(default=0.0, ge=0.0, le=3600.0)
    message: str | None = Field(default=None, max_length=2000)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        kind = kind.strip().lower()
        if not valid_kind(kind):
            raise ValueError(f"expected an HTTP status 400-599 or one of {', '.join(REPLY_KINDS)}")
        return kind


class FaultBatch(BaseModel):
    """Several faults queued in order."""

    faults: list[FaultSpec]


class ReplySpec(BaseModel):
    """A scripted reply: text with a finish reason, or a fault (HTTP status or delay) for that turn."""

    content: str = ""
    finish_reason: str = "stop"
    fault: str | None = None
    seconds: float = Field(default=0.0, ge=0.0, le=3600.0)


class ScriptSpec(BaseModel):
    """A named script; requests for model `synthmesh-script-<name>` (or header `script=<name>`) consume it."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    replies: list[str | ReplySpec]
    append: bool = False


class SettingsSpec(BaseModel):
    """Runtime overrides of the configured latency and broken-answer rate."""

    latency_ms: int | None = Field(default=None, ge=0, le=600_000)
    broken_rate: float | None = Field(default=None, ge=0.0, le=1.0)


def admin_router(state: ServerState) -> APIRouter:
    """The /admin routes bound to `state`."""
    router = APIRouter(prefix="/admin", tags=["admin"])

    @router.post("/faults")
    async def add_faults(spec: FaultSpec | FaultBatch) -> dict[str, Any]:
        specs = spec.faults if isinstance(spec, FaultBatch) else [spec]
        for item in specs:
            state.faults.add(Fault(item.kind, item.count, item.step, item.model, item.seconds, item.message))
        return {"queued": len(specs), "pending": [vars(f) for f in state.faults.pending()]}

    @router.get("/faults")
    async def list_faults() -> dict[str, Any]:
        return {"pending": [vars(f) for f in state.faults.pending()]}

    @router.post("/script")
    async def add_script(spec: ScriptSpec) -> dict[str, Any]:
        replies = []
        for item in spec.replies:
            if isinstance(item, str):
                replies.append(ScriptedReply(content=item))
                continue
            if item.fault is not None and not valid_kind(item.fault):
                raise HTTPException(422, f"reply fault {item.fault!r}: expected an HTTP status 400-599 or delay")
            replies.append(ScriptedReply(item.content, item.finish_reason, item.fault, item.seconds))
        state.scripts.register(spec.name, replies, append=spec.append)
        return {"name": spec.name, "model": f"openai/synthmesh-script-{spec.name}", **state.scripts.status()[spec.name]}

    @router.get("/scripts")
    async def list_scripts() -> dict[str, Any]:
        return {"scripts": state.scripts.status()}

    @router.get("/requests")
    async def recent_requests(limit: int | None = Query(default=None, ge=1)) -> dict[str, Any]:
        return {"total": state.requests.total, "requests": state.requests.recent(limit)}

    @router.post("/config")
    async def set_config(spec: SettingsSpec) -> dict[str, Any]:
        if spec.latency_ms is not None:
            state.latency_ms = spec.latency_ms
        if spec.broken_rate is not None:
            state.broken_rate = spec.broken_rate
        return {"latency_ms": state.latency_ms, "broken_rate": state.broken_rate}

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return {"status": "reset", "latency_ms": state.latency_ms, "broken_rate": state.broken_rate}

    return router
