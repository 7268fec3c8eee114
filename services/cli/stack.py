"""What `synthmesh up` starts: the registry of services, their ports and environment, and the state file.

A service is listed only when its package has an entry point (`python -m services.<name>`); nothing is
started for a service that is not built yet, and nothing is faked.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from services.common.llm_config import LlmConfig, is_offline_model
from services.common.settings import DEFAULT_PORTS

STATE_DIR = Path(".synthmesh")
STATE_FILE = STATE_DIR / "stack.json"


@dataclass(frozen=True)
class ServiceSpec:
    """How to start and probe one service."""

    name: str
    module: str
    grpc_service: str = ""  # full proto name probed with the gRPC health check
    http_health: str = ""  # "http" when /health is served on the HTTP port
    http_port: int = 0  # default HTTP port (gateway 5003, offline model server 8088)
    # The gRPC services this one calls (each gets {PEER}_SERVICE_ADDR); it stops before them (see stop_tiers).
    peers: tuple[str, ...] = ()
    uses_llm: bool = False  # calls the LLM: the offline model server, when it runs, stops after it

    def calls(self) -> set[str]:
        """Every service this one calls, the offline model server included."""
        return set(self.peers) | ({"offline_llm"} if self.uses_llm else set())


SERVICES = (
    ServiceSpec("offline_llm", "services.offline_llm", http_health="http", http_port=DEFAULT_PORTS["llm"][0]),
    ServiceSpec("executor", "services.executor", "synthmesh.executor.v1.ExecutorService"),
    ServiceSpec("gateway", "services.gateway", "synthmesh.pool.v1.PoolService", "http", 5003),
    ServiceSpec("iterator", "services.iterator", "synthmesh.iterator.v1.IteratorService", peers=("executor",),
                uses_llm=True),
    ServiceSpec("generator", "services.generator", "synthmesh.generator.v1.GeneratorService",
                peers=("executor", "iterator", "gateway"), uses_llm=True),
    ServiceSpec("evaluator", "services.evaluator", "synthmesh.evaluator.v1.EvaluatorService",
                peers=("executor", "iterator")),
)


def stop_tiers(names: Sequence[str]) -> list[list[str]]:
    """`names` in groups to stop one after the other: a service only once every service calling it has exited.

    A draining service finishes its in-flight work through its peers (the generator's answers run on the
    executor), so its peers must still be up until it is gone.
    """
    peers = {s.name: s.calls() for s in SERVICES}
    remaining, tiers = list(names), []
    while remaining:
        called = {p for name in remaining for p in peers.get(name, ())}
        tier = [name for name in remaining if name not in called] or remaining  # a cycle: stop the rest together
        tiers.append(tier)
        remaining = [name for name in remaining if name not in tier]
    return tiers


def built(spec: ServiceSpec) -> bool:
    """Whether the service's package has a `__main__` module."""
    try:
        return importlib.util.find_spec(f"{spec.module}.__main__") is not None
    except ModuleNotFoundError:
        return False


@dataclass
class Endpoint:
    """Where a running service listens."""

    name: str
    pid: int = 0
    grpc: str = ""
    metrics: str = ""
    http: str = ""
    log: str = ""


@dataclass
class StackState:
    """The running stack, written to .synthmesh/stack.json for `synthmesh status`."""

    redis_url: str = ""
    redis_pid: int = 0
    offline: bool = False
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def save(self, path: Path = STATE_FILE) -> None:
        """Writes the state file atomically, so `status` never reads half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(asdict(self), indent=2))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path = STATE_FILE) -> StackState | None:
        """Reads the state file, if a stack wrote one.

        Raises:
            StateFileError: the file cannot be read or is not a state file.
        """
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            endpoints = {k: Endpoint(**v) for k, v in data.pop("endpoints", {}).items()}
            unknown = set(endpoints) - {s.name for s in SERVICES}
            if unknown:
                raise ValueError(f"unknown services {sorted(unknown)}")
            return cls(**data, endpoints=endpoints)
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise StateFileError(f"{path} is unreadable ({exc}); delete it if no stack runs here") from None


class StateFileError(ValueError):
    """The state file is damaged; the message names it."""


# Below Linux's ephemeral range (32768-60999), so that the outgoing connections of services already running
# cannot take a port between the moment it is picked and the moment its service binds it.
FREE_RANGE = (20000, 32767)


def free_port() -> int:
    """A TCP port below the ephemeral range that nobody listens on right now."""
    for _ in range(200):
        port = random.randint(*FREE_RANGE)  # noqa: S311 - spreading ports, not security
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {FREE_RANGE}")


def port_busy(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def plan_endpoint(spec: ServiceSpec, free: bool) -> Endpoint:
    """One service's ports: the defaults, or free ones (`--free-ports`, e.g. for tests).

    Picked just before the service starts, so that the services already running cannot take them meanwhile.
    """
    grpc_default, metrics_default = DEFAULT_PORTS.get(spec.name, (0, 0)) if spec.name != "offline_llm" else (0, 0)
    endpoint = Endpoint(spec.name)
    if spec.grpc_service:
        endpoint.grpc = f"127.0.0.1:{free_port() if free else grpc_default}"
        endpoint.metrics = f"127.0.0.1:{free_port() if free else metrics_default}"
    if spec.http_health:
        endpoint.http = f"127.0.0.1:{free_port() if free else spec.http_port}"
    return endpoint


def port_of(address: str) -> str:
    """The port part of host:port."""
    return address.rpartition(":")[2]


def service_env(spec: ServiceSpec, endpoint: Endpoint, stack: StackState) -> dict[str, str]:
    """The environment one service process gets on top of the user's."""
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "REDIS_URL": stack.redis_url}
    if endpoint.grpc:
        env.update(GRPC_PORT=port_of(endpoint.grpc), METRICS_PORT=port_of(endpoint.metrics))
    if spec.name == "gateway":
        env.update(HTTP_PORT=port_of(endpoint.http), HTTP_HOST="127.0.0.1")
    if spec.name == "offline_llm":
        env.update(OFFLINE_LLM_PORT=port_of(endpoint.http))
    for peer, other in stack.endpoints.items():
        if other.grpc:
            env[f"{peer.upper()}_SERVICE_ADDR"] = other.grpc
    llm = stack.endpoints.get("offline_llm")
    if stack.offline and llm:
        env["OFFLINE_LLM_URL"] = f"http://{llm.http}/v1"
    return env


def needs_offline_server(config: LlmConfig) -> bool:
    """Whether any role's model is the offline model server.

    Decided from the services' own LlmConfig, so `up` starts the server exactly when a service will call it
    (LLM_API_BASE alone, for instance, names no model: every role stays on the offline server).
    """
    return any(is_offline_model(m) for role in config.roles.values() for m in role.models)


def dies_with_parent(argv: list[str]) -> list[str]:
    """`argv` wrapped in util-linux `setpriv --pdeathsig TERM`: SIGTERM when its parent dies, even by SIGKILL.

    A Redis or a service started by a killed `synthmesh up` or test run must not live on holding its port. A
    Popen `preexec_fn` could do the same, but it forces a plain fork, which aborts inside gRPC processes.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else argv
