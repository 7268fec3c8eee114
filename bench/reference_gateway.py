"""The reference for bench/gateway.py: a minimal copy of dojo-synthetic-api's hand-out route.

FastAPI, a pydantic response model, `LLEN` then `LPOP` on `synthetic:queue`, `json.loads` of the body, and the
3 s polling loop on an empty queue, as upstream (dojo-contract §1.1). Served by uvicorn with one worker and the
same loop, HTTP parser and logging settings as the synthmesh gateway, so only the application differs.

    python bench/reference_gateway.py --port 5103 --redis-url redis://127.0.0.1:6379
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import cast

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from redis import asyncio as aioredis

QUEUE = "synthetic:queue"


class SyntheticGenResponse(BaseModel):
    success: bool
    body: dict | None = None  # type: ignore[type-arg]
    error: str | None = None


def create_app(redis_url: str) -> FastAPI:
    redis = aioredis.from_url(redis_url)
    # Upstream's FastAPI predates the native OpenTelemetry hook of recent releases; off, so it costs nothing here.
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"],
                       allow_headers=["*"])
    router = APIRouter(prefix="/api")

    @router.get("/synthetic-gen", response_model=SyntheticGenResponse)
    async def generate_synthetic_data() -> SyntheticGenResponse:
        try:
            if await redis.llen(QUEUE) == 0:
                for _ in range(100):
                    await asyncio.sleep(3)
                    if await redis.llen(QUEUE) > 0:
                        break
                else:
                    raise Exception("Cache population timeout after 300 seconds")
            qa_pair = await redis.lpop(QUEUE)
            if qa_pair is None:
                raise Exception("Failed to get QA pair from cache")
            try:
                result = json.loads(cast(bytes, qa_pair))
            except json.JSONDecodeError:
                result = {}
            return SyntheticGenResponse(success=True, body=result, error=None)
        except Exception as e:
            return SyntheticGenResponse(success=False, body={}, error=str(e))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "OK"}

    app.include_router(router)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5103)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    args = parser.parse_args()
    uvicorn.run(create_app(args.redis_url), host=args.host, port=args.port, workers=1, loop="uvloop",
                http="httptools", access_log=False, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
