"""The manifests configure what the services actually read, on the ports the services actually use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from services.cli.stack import SERVICES
from services.common.settings import DEFAULT_PORTS
from tests.deploy.conftest import combinations_with
from tests.deploy.envscan import ROOT, built_services, variables_read
from tests.deploy.k8s import BASE, K8S, Rendered, server

# Dojo's validators call the gateway on 5003 and health-check GET /health there (dojo-contract §2.7).
DOJO_HTTP_PORT = 5003
GRPC_SERVICES = {s.name: s for s in SERVICES if s.grpc_service}

# Variables a service reads that the manifests may leave unset, each with why its default is right in a
# cluster. Nothing else may be missing.
DEFAULTS_ARE_RIGHT: dict[str, str] = {
    # Redis: the URL form would override Dojo's four variables, which the manifests set instead.
    "REDIS_URL": "REDIS_HOST/PORT/USERNAME/PASSWORD are set (Dojo's names); the URL is only an override",
    "REDIS_CONNECT_TIMEOUT": "client tuning; 2 s suits an in-cluster Redis",
    "REDIS_SOCKET_TIMEOUT": "client tuning; 5 s suits an in-cluster Redis",
    "REDIS_HEALTH_CHECK_SECONDS": "client tuning; 10 s catches a Redis restart quickly",
    "REDIS_MAX_CONNECTIONS": "client tuning; 64 per process is plenty at the configured concurrency",
    "GRPC_MAX_CONNECTION_AGE_SECONDS": "300 s: clients find pods the HPA adds within minutes, calls in flight finish",
    # LLM model choice: the defaults follow whichever provider key the Secret holds (llm_config.py); an
    # operator who wants other models adds LLM_MODEL or LLM_<ROLE>_MODEL to synthmesh-llm-client.
    "LLM_MODEL": "per-provider default model from the key present in synthmesh-llm-keys",
    "LLM_ANSWER_MODELS": "per-provider default model",
    **{f"LLM_{role}_MODEL": "per-provider default model (LLM_ANSWER_MODEL is an over-approximation of the "
       "scanner: the answer role reads LLM_ANSWER_MODELS)"
       for role in ("QUESTION", "AUGMENT", "ANSWER", "FIXER", "ITERATOR")},
    "LLM_TIMEOUT_SECONDS": "per-role timeouts in llm_config.DEFAULT_TIMEOUTS (180-600 s) are intended",
    **{f"LLM_{role}_TIMEOUT_SECONDS": "per-role default timeout (llm_config.DEFAULT_TIMEOUTS)"
       for role in ("QUESTION", "AUGMENT", "ANSWER", "FIXER", "ITERATOR")},
    "LLM_API_BASE": "unset: each provider's own endpoint; set it for a self-hosted OpenAI-compatible server",
    "OFFLINE_LLM_URL": "only used with LLM_OFFLINE=true, which only the offline-llm component sets (with it)",
    "GENERATOR_REPLICA_ID": "set per pod from metadata.name (fieldRef) in the generator's Deployment",
}
# Variables that come from a Secret the operator creates (never committed): the container must reference it.
FROM_SECRETS: dict[str, str] = {
    "REDIS_PASSWORD": "synthmesh-redis-auth",
    "GATEWAY_API_KEY": "synthmesh-gateway-auth",
    **{key: "synthmesh-llm-keys" for key in (
        "OPENROUTER_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "DEEPSEEK_API_KEY",
        "TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "GROQ_API_KEY", "MISTRAL_API_KEY")},
}
# Variables the manifests set for libraries or the runtime, not for services' config readers.
FOR_LIBRARIES = {"LITELLM_LOCAL_MODEL_COST_MAP", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TMPDIR", "HOME",
                 "REDISCLI_AUTH", "REDIS_MAXMEMORY"}


def _deployment(service: str) -> str:
    return f"synthmesh-{service.replace('_', '-')}"


@pytest.mark.parametrize("service", built_services())
def test_every_variable_a_service_reads_is_set(service: str, overlay: Rendered) -> None:
    workload = overlay.workload(_deployment(service))
    if workload is None:
        pytest.skip(f"{overlay.name} does not deploy {service}")
    container = server(workload)
    env = overlay.env_of(container)
    secrets = overlay.secret_refs(container)
    missing = []
    for name, where in sorted(variables_read(service).items()):
        if name in env or name in DEFAULTS_ARE_RIGHT:
            continue
        if name in FROM_SECRETS and FROM_SECRETS[name] in secrets:
            continue
        missing.append(f"{name} (read at {where[0]})")
    assert not missing, f"{service} in {overlay.name}: unset variables:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize("service", built_services())
def test_a_service_s_own_configmap_holds_only_what_it_reads(service: str) -> None:
    # Catches typos and settings left behind by renames: an unread key silently changes nothing.
    env_file = BASE / "config" / f"{service.replace('_', '-')}.env"
    component_file = K8S / "components" / service.replace("_", "-") / f"{service.replace('_', '-')}.env"
    path = env_file if env_file.exists() else component_file
    if not path.exists():
        pytest.skip(f"no ConfigMap of its own for {service}")
    keys = [line.split("=", 1)[0] for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    unread = set(keys) - set(variables_read(service)) - FOR_LIBRARIES
    assert not unread, f"{path.relative_to(ROOT)} sets variables {service} never reads: {sorted(unread)}"


def test_secrets_are_referenced_never_committed() -> None:
    for path in (ROOT / "deploy").rglob("*.yaml"):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert not any(d.get("kind") == "Secret" for d in docs), f"{path}: a Secret is committed"
        generators = [g for d in docs if path.name == "kustomization.yaml" for g in d.get("secretGenerator", [])]
        if generators:
            assert path.parent.name == "dev", f"{path}: secretGenerator outside the dev overlay"
        for literal in (lit for g in generators for lit in g.get("literals", [])):
            value = literal.split("=", 1)[1].upper()
            assert "FAKE" in value or "NOT-A-SECRET" in value, f"{literal}: must look fake"
        assert not any(g.get("files") or g.get("envs") for g in generators), f"{path}: secrets from files"


def _ports(container: dict[str, object]) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container["ports"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize("service", sorted(GRPC_SERVICES))
def test_ports_match_the_service_defaults(service: str, rendered: Rendered) -> None:
    workload = rendered.workload(_deployment(service))
    assert workload is not None
    container = server(workload)
    grpc_port, metrics_port = DEFAULT_PORTS[service]
    assert _ports(container)["grpc"] == grpc_port
    assert _ports(container)["metrics"] == metrics_port
    env = rendered.env_of(container)
    assert env["GRPC_PORT"] == str(grpc_port) and env["METRICS_PORT"] == str(metrics_port)
    # Readiness asks for the service's full proto name; liveness for the server as a whole.
    spec = GRPC_SERVICES[service]
    readiness = container["readinessProbe"]["grpc"]
    assert readiness == {"port": grpc_port, "service": spec.grpc_service}
    if spec.http_health:
        for probe in ("startupProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/health", "port": DOJO_HTTP_PORT}
    else:
        for probe in ("startupProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": grpc_port, "service": ""}
    service_object = rendered.get("Service", _deployment(service))
    assert service_object is not None
    assert {p["name"]: p["port"] for p in service_object["spec"]["ports"]}["grpc"] == grpc_port
    # Prometheus annotations, where present, name the same metrics port.
    annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
    if "prometheus.io/port" in annotations:
        assert annotations["prometheus.io/port"] == str(metrics_port)


def test_the_gateway_serves_dojo_on_5003(rendered: Rendered) -> None:
    from services.gateway.config import GatewayConfig

    assert GatewayConfig.__dataclass_fields__["http_port"].default == DOJO_HTTP_PORT
    assert next(s for s in SERVICES if s.name == "gateway").http_port == DOJO_HTTP_PORT
    workload = rendered.workload("synthmesh-gateway")
    assert workload is not None
    container = server(workload)
    assert _ports(container)["http"] == DOJO_HTTP_PORT
    assert rendered.env_of(container)["HTTP_PORT"] == str(DOJO_HTTP_PORT)
    service = rendered.get("Service", "synthmesh-gateway")
    assert service is not None and service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]}["http"] == DOJO_HTTP_PORT


@pytest.mark.parametrize("name", combinations_with("offline-llm"))
def test_the_offline_model_server_uses_its_default_port(name: str, render: Callable[[str], Rendered]) -> None:
    rendered = render(name)
    workload = rendered.workload("synthmesh-offline-llm")
    assert workload is not None
    container = server(workload)
    port = DEFAULT_PORTS["llm"][0]
    assert _ports(container)["http"] == port
    assert rendered.env_of(container)["OFFLINE_LLM_PORT"] == str(port)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] == port
    for caller in ("synthmesh-generator", "synthmesh-iterator"):
        env = rendered.env_of(server(rendered.workload(caller)))  # type: ignore[arg-type]
        assert env["LLM_OFFLINE"] == "true"
        assert env["OFFLINE_LLM_URL"] == f"http://synthmesh-offline-llm:{port}/v1"


def test_peer_addresses_point_at_peer_services(rendered: Rendered) -> None:
    for spec in SERVICES:
        workload = rendered.workload(_deployment(spec.name))
        if workload is None or not spec.peers:
            continue
        env = rendered.env_of(server(workload))
        for peer in spec.peers:
            assert env[f"{peer.upper()}_SERVICE_ADDR"] == f"{_deployment(peer)}:{DEFAULT_PORTS[peer][0]}"
            assert rendered.get("Service", _deployment(peer)) is not None, f"{spec.name} → {peer}: no Service"


def test_redis_address_follows_the_redis_choice(rendered: Rendered) -> None:
    for name in ("synthmesh-gateway", "synthmesh-generator"):
        env = rendered.env_of(server(rendered.workload(name)))  # type: ignore[arg-type]
        if "external-redis" in rendered.components:
            assert rendered.get("StatefulSet", "synthmesh-redis") is None
            assert env["REDIS_HOST"] != "synthmesh-redis"
        else:
            assert env["REDIS_HOST"] == "synthmesh-redis" and env["REDIS_PORT"] == "6379"
            assert rendered.get("Service", "synthmesh-redis") is not None


@pytest.mark.parametrize("name", combinations_with("external-redis", present=False))
def test_redis_is_durable(name: str, render: Callable[[str], Rendered]) -> None:
    redis = render(name).workload("synthmesh-redis")
    assert redis is not None
    container = server(redis)
    args = container["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
    assert [t["metadata"]["name"] for t in redis["spec"]["volumeClaimTemplates"]] == ["data"]
    maxmemory = next(v["value"] for v in container["env"] if v["name"] == "REDIS_MAXMEMORY")
    assert maxmemory.endswith("mb")
    limit = container["resources"]["limits"]["memory"]
    limit_mb = int(limit[:-2]) * (1024 if limit.endswith("Gi") else 1)
    assert int(maxmemory[:-2]) <= 0.7 * limit_mb, "leave room for AOF-rewrite copy-on-write"


def test_executor_slots_match_its_cpu_limit(rendered: Rendered) -> None:
    executor = rendered.workload("synthmesh-executor")
    assert executor is not None
    container = server(executor)
    env = rendered.env_of(container)
    cpus = container["resources"]["limits"]["cpu"]
    assert env["EXECUTOR_SLOTS"] == str(int(cpus)), "os.cpu_count() in a pod is the node's; set slots to the limit"
    assert int(env["EXECUTOR_MAX_MEMORY_MB"]) * 1024 * 1024 <= _bytes(container["resources"]["limits"]["memory"])


def _bytes(quantity: str) -> int:
    units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(quantity[: -len(suffix)]) * factor
    return int(quantity)


def test_config_files_are_env_files() -> None:
    for path in [*BASE.glob("config/*.env"), *Path(K8S / "components").glob("*/*.env")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not line or line.startswith("#") or "=" in line, f"{path}:{number}"
