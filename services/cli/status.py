"""`synthmesh status`: each running service's health, and the pool's depth.

Addresses come from the state file `synthmesh up` wrote in this folder; without one (a stack started elsewhere,
or services started by hand), from each service's default local address, as the other commands use them.
`--<service> HOST:PORT` overrides either.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import grpc

from services.cli import probes
from services.cli.stack import SERVICES, STATE_FILE, Endpoint, StackState, StateFileError
from services.common.settings import DEFAULT_PORTS
from synthmesh.pool.v1 import pool_pb2, pool_pb2_grpc

GRPC_SERVICES = [s.name for s in SERVICES if s.grpc_service]


def pool_depth(address: str) -> str:
    """v1 and v2 pool depths from the gateway's PoolService."""
    with grpc.insecure_channel(address) as chan:
        try:
            reply = pool_pb2_grpc.PoolServiceStub(chan).GetDepth(pool_pb2.GetDepthRequest(), timeout=2)
        except grpc.RpcError as exc:
            return f"unavailable ({exc.code().name})"
    return f"v1={reply.v1} v2={reply.v2} in_flight={reply.in_flight}"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`synthmesh status [--json] [--<service> HOST:PORT ...]`."""
    command: argparse.ArgumentParser = sub.add_parser("status", help="health of every running service and the pool")
    command.add_argument("--json", action="store_true", help="print the report as JSON")
    for name in GRPC_SERVICES:
        command.add_argument(f"--{name}", metavar="HOST:PORT",
                             help=f"the {name}'s gRPC address (default: the stack started here, else "
                                  f"{default_endpoint(name).grpc})")
    return command


def default_endpoint(name: str) -> Endpoint:
    """Where a service listens when started with its defaults on this host (`{NAME}_SERVICE_ADDR` wins)."""
    spec = next(s for s in SERVICES if s.name == name)
    if name == "offline_llm":
        return Endpoint(name, http=f"localhost:{DEFAULT_PORTS['llm'][0]}")
    grpc_port, metrics_port = DEFAULT_PORTS[name]
    return Endpoint(name, grpc=os.environ.get(f"{name.upper()}_SERVICE_ADDR", f"localhost:{grpc_port}"),
                    metrics=f"localhost:{metrics_port}", http=f"localhost:{spec.http_port}" if spec.http_port else "")


def endpoints(state: StackState | None, overrides: dict[str, str | None]) -> dict[str, Endpoint]:
    """The addresses to probe: the state file's or the defaults, with `--<service>` overrides applied."""
    found = dict(state.endpoints) if state else {s.name: default_endpoint(s.name) for s in SERVICES}
    for name, address in overrides.items():
        if address:
            # Only the gRPC address was given: its pid, metrics and HTTP addresses are unknown.
            found[name] = Endpoint(name, grpc=address)
    return found


def probe(name: str, endpoint: Endpoint) -> dict[str, str]:
    """One service's line: pid, gRPC health, metrics and HTTP health, each where it is known."""
    spec = next(s for s in SERVICES if s.name == name)
    entry = {"pid": str(endpoint.pid) if endpoint.pid else "-"}
    if spec.grpc_service:
        entry["grpc"] = f"{endpoint.grpc} {probes.grpc_health(endpoint.grpc, spec.grpc_service)}"
        if endpoint.metrics:
            entry["metrics"] = "ok" if probes.metrics_ok(endpoint.metrics) else "unreachable"
    if spec.http_health and endpoint.http:
        entry["http"] = f"{endpoint.http} {probes.http_health(endpoint.http)}"
    if name == "offline_llm" and endpoint.pid:
        entry["label"] = "offline model (no provider key set)"
    return entry


def run(args: argparse.Namespace) -> int:
    """Prints the stack's health; exit code 1 when unhealthy or nothing runs, 2 for a damaged state file."""
    try:
        state = StackState.load()
    except StateFileError as exc:
        print(f"synthmesh status: {exc}")
        return 2
    found = endpoints(state, {name: getattr(args, name) for name in GRPC_SERVICES})
    report = {name: probe(name, endpoint) for name, endpoint in found.items()}
    # Without a state file the offline model server is optional (a provider key may be set): skipped if silent.
    if state is None and "UNREACHABLE" in report["offline_llm"].get("http", ""):
        del report["offline_llm"]
    gateway = found.get("gateway")
    depth = pool_depth(gateway.grpc) if gateway else "no gateway running"
    redis = state.redis_url if state else "unknown (no stack started here)"
    healthy = all("UNREACHABLE" not in v and "NOT_SERVING" not in v for e in report.values() for v in e.values())
    if args.json:
        print(json.dumps({"services": report, "pool": depth, "redis": redis, "healthy": healthy,
                          "addresses": "state file" if state else "defaults"}, indent=2))
        return 0 if healthy else 1
    if state is None:
        print(f"no {STATE_FILE} here: probing each service's default address")
    for name, entry in report.items():
        print(f"{name:12s} " + "  ".join(f"{k}={v}" for k, v in entry.items()))
    print(f"{'pool':12s} {depth}")
    print(f"{'redis':12s} {redis}")
    if not healthy and state is None:
        print("start the stack with `synthmesh up`, or name where it runs with --<service> HOST:PORT")
    return 0 if healthy else 1
