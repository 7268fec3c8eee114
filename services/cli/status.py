"""`synthmesh status`: each running service's health, and the pool's depth."""

from __future__ import annotations

import argparse
import json
from typing import Any

import grpc

from services.cli import probes
from services.cli.stack import SERVICES, StackState, StateFileError
from synthmesh.pool.v1 import pool_pb2, pool_pb2_grpc


def pool_depth(address: str) -> str:
    """v1 and v2 pool depths from the gateway's PoolService."""
    with grpc.insecure_channel(address) as chan:
        try:
            reply = pool_pb2_grpc.PoolServiceStub(chan).GetDepth(pool_pb2.GetDepthRequest(), timeout=2)
        except grpc.RpcError as exc:
            return f"unavailable ({exc.code().name})"
    return f"v1={reply.v1} v2={reply.v2} in_flight={reply.in_flight}"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`synthmesh status [--json]`."""
    command: argparse.ArgumentParser = sub.add_parser("status", help="health of every running service and the pool")
    command.add_argument("--json", action="store_true", help="print the report as JSON")
    return command


def run(args: argparse.Namespace) -> int:
    """Prints the stack's health; exit code 1 when unhealthy or nothing runs, 2 for a damaged state file."""
    as_json = bool(args.json)
    try:
        state = StackState.load()
    except StateFileError as exc:
        print(f"synthmesh status: {exc}")
        return 2
    if state is None:
        print("no stack is running here (start one with `synthmesh up`)")
        return 1
    report: dict[str, dict[str, str]] = {}
    specs = {s.name: s for s in SERVICES}
    for name, endpoint in state.endpoints.items():
        spec = specs[name]
        entry = {"pid": str(endpoint.pid)}
        if spec.grpc_service:
            entry["grpc"] = f"{endpoint.grpc} {probes.grpc_health(endpoint.grpc, spec.grpc_service)}"
            entry["metrics"] = "ok" if probes.metrics_ok(endpoint.metrics) else "unreachable"
        if spec.http_health:
            entry["http"] = f"{endpoint.http} {probes.http_health(endpoint.http)}"
        if name == "offline_llm":
            entry["label"] = "offline model (no provider key set)"
        report[name] = entry
    gateway = state.endpoints.get("gateway")
    depth = pool_depth(gateway.grpc) if gateway else "no gateway running"
    healthy = all("UNREACHABLE" not in v and "NOT_SERVING" not in v for e in report.values() for v in e.values())
    if as_json:
        print(json.dumps({"services": report, "pool": depth, "redis": state.redis_url, "healthy": healthy},
                         indent=2))
    else:
        for name, entry in report.items():
            print(f"{name:12s} " + "  ".join(f"{k}={v}" for k, v in entry.items()))
        print(f"{'pool':12s} {depth}")
        print(f"{'redis':12s} {state.redis_url}")
    return 0 if healthy else 1
