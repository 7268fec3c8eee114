"""NetworkPolicy semantics, evaluated on the rendered policies: the mesh's calls pass, nothing else does."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from services.cli.stack import SERVICES
from services.common.settings import DEFAULT_PORTS
from tests.deploy.conftest import combinations_with
from tests.deploy.k8s import Rendered, labels_match

Labels = dict[str, str]
# Synthetic peers outside the mesh.
KUBE_DNS: Labels = {"k8s-app": "kube-dns"}
PROMETHEUS: Labels = {"app.kubernetes.io/name": "prometheus"}
STRANGER: Labels = {"app": "something-else"}
INTERNET = "203.0.113.10"  # TEST-NET-3, stands for an LLM provider
METADATA = "169.254.169.254"
CLUSTER_IP = "10.0.0.10"
METRICS_PORTS = {name: ports[1] for name, ports in DEFAULT_PORTS.items() if ports[1]}


def pod(name: str) -> Labels:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "synthmesh"}


def _port_matches(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        if p.get("endPort") is not None and p["port"] <= port <= p["endPort"]:
            return True
        if p.get("port") == port:
            return True
    return False


def _ip_in(ip: str, block: dict[str, Any]) -> bool:
    address = ipaddress.ip_address(ip)
    network = ipaddress.ip_network(block["cidr"])
    if address.version != network.version or address not in network:
        return False
    return not any(address in ipaddress.ip_network(e) for e in block.get("except", [])
                   if ipaddress.ip_network(e).version == address.version)


def _peer_matches(peer: dict[str, Any], labels: Labels | None, same_namespace: bool, ip: str | None,
                  namespace_labels: Labels) -> bool:
    if "ipBlock" in peer:
        return ip is not None and _ip_in(ip, peer["ipBlock"])
    if labels is None:
        return False
    if "namespaceSelector" in peer:
        if not labels_match(peer["namespaceSelector"], namespace_labels):
            return False
    elif not same_namespace:
        return False
    return labels_match(peer.get("podSelector", {}), labels)


def _allowed(rendered: Rendered, direction: str, subject: Labels, other: Labels | None, port: int, *,
             protocol: str = "TCP", same_namespace: bool = True, ip: str | None = None,
             namespace_labels: Labels | None = None) -> bool:
    """Whether `subject`'s policies allow traffic to (Egress) or from (Ingress) `other` on `port`."""
    policies = [p for p in rendered.of_kind("NetworkPolicy")
                if labels_match(p["spec"]["podSelector"], subject) and direction in p["spec"]["policyTypes"]]
    if not policies:
        return True  # not isolated in this direction
    key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for policy in policies:
        for rule in policy["spec"].get(key, []):
            peers = rule.get(peers_key)
            peer_ok = not peers or any(
                _peer_matches(p, other, same_namespace, ip, namespace_labels or {}) for p in peers)
            if peer_ok and _port_matches(rule, port, protocol):
                return True
    return False


def call_allowed(rendered: Rendered, source: Labels, target: Labels, port: int) -> bool:
    """An in-namespace pod-to-pod call: the source's egress and the target's ingress must both allow it."""
    return (_allowed(rendered, "Egress", source, target, port)
            and _allowed(rendered, "Ingress", target, source, port))


def test_default_deny_both_ways(policed: Rendered) -> None:
    deny = policed.get("NetworkPolicy", "synthmesh-default-deny")
    assert deny is not None
    assert deny["spec"]["podSelector"] == {}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert not deny["spec"].get("ingress") and not deny["spec"].get("egress")


def test_every_call_of_the_mesh_is_allowed(policed: Rendered) -> None:
    for spec in SERVICES:
        for peer in spec.peers:
            assert call_allowed(policed, pod(spec.name), pod(peer), DEFAULT_PORTS[peer][0]), f"{spec.name} → {peer}"


def test_only_code_submitters_reach_the_executor(policed: Rendered) -> None:
    port = DEFAULT_PORTS["executor"][0]
    for name in ("generator", "iterator", "evaluator"):
        assert call_allowed(policed, pod(name), pod("executor"), port)
    for name in ("gateway", "redis", "offline-llm"):
        assert not call_allowed(policed, pod(name), pod("executor"), port), name
    assert not _allowed(policed, "Ingress", pod("executor"), STRANGER, port)


def test_the_executor_reaches_nothing(policed: Rendered) -> None:
    executor = pod("executor")
    for target, port in [(pod("redis"), 6379), (pod("gateway"), 5003), (pod("executor"), 50051)]:
        assert not _allowed(policed, "Egress", executor, target, port)
    assert not _allowed(policed, "Egress", executor, KUBE_DNS, 53, protocol="UDP", same_namespace=False,
                        namespace_labels={"kubernetes.io/metadata.name": "kube-system"})
    for ip in (INTERNET, METADATA, CLUSTER_IP):
        for port in (443, 80, 6379):
            assert not _allowed(policed, "Egress", executor, None, port, ip=ip, same_namespace=False)


def test_only_llm_callers_reach_https_and_never_the_metadata_endpoint(policed: Rendered) -> None:
    for name in ("generator", "iterator"):
        assert _allowed(policed, "Egress", pod(name), None, 443, ip=INTERNET, same_namespace=False), name
        assert not _allowed(policed, "Egress", pod(name), None, 443, ip=METADATA, same_namespace=False), name
        assert not _allowed(policed, "Egress", pod(name), None, 80, ip=INTERNET, same_namespace=False), name
    for name in ("gateway", "evaluator", "executor", "redis", "offline-llm"):
        assert not _allowed(policed, "Egress", pod(name), None, 443, ip=INTERNET, same_namespace=False), name


def test_dns_only_for_pods_that_resolve_names(policed: Rendered) -> None:
    kube_system = {"kubernetes.io/metadata.name": "kube-system"}
    for name in ("gateway", "generator", "iterator", "evaluator"):
        for protocol in ("UDP", "TCP"):
            assert _allowed(policed, "Egress", pod(name), KUBE_DNS, 53, protocol=protocol, same_namespace=False,
                            namespace_labels=kube_system), name
    for name in ("executor", "redis", "offline-llm"):
        assert not _allowed(policed, "Egress", pod(name), KUBE_DNS, 53, protocol="UDP", same_namespace=False,
                            namespace_labels=kube_system), name


@pytest.mark.parametrize("name", sorted(set(combinations_with("network-policies"))
                                        & set(combinations_with("external-redis", present=False))))
def test_only_pool_users_reach_redis(name: str, render: Callable[[str], Rendered]) -> None:
    policed = render(name)
    for client in ("gateway", "generator"):
        assert call_allowed(policed, pod(client), pod("redis"), 6379), client
    for other in ("iterator", "evaluator", "executor", "offline-llm"):
        assert not call_allowed(policed, pod(other), pod("redis"), 6379), other
    assert not _allowed(policed, "Egress", pod("redis"), None, 443, ip=INTERNET, same_namespace=False)


@pytest.mark.parametrize("name", sorted(set(combinations_with("network-policies"))
                                        & set(combinations_with("external-redis"))))
def test_external_redis_is_reachable_by_pool_users_only(name: str, render: Callable[[str], Rendered]) -> None:
    policed = render(name)
    assert policed.get("NetworkPolicy", "synthmesh-redis") is None
    dojo = {"app.kubernetes.io/name": "redis"}
    dojo_ns = {"kubernetes.io/metadata.name": "dojo"}
    for client in ("gateway", "generator"):
        assert _allowed(policed, "Egress", pod(client), dojo, 6379, same_namespace=False, namespace_labels=dojo_ns)
    for other in ("iterator", "evaluator", "executor"):
        assert not _allowed(policed, "Egress", pod(other), dojo, 6379, same_namespace=False,
                            namespace_labels=dojo_ns), other


def test_dojo_reaches_the_gateway_only_when_labelled(policed: Rendered) -> None:
    gateway = pod("gateway")
    labelled_ns = {"synthmesh/gateway-client": "true"}
    assert _allowed(policed, "Ingress", gateway, STRANGER, 5003, same_namespace=False, namespace_labels=labelled_ns)
    assert _allowed(policed, "Ingress", gateway, {"synthmesh/gateway-client": "true"}, 5003, same_namespace=False)
    assert not _allowed(policed, "Ingress", gateway, STRANGER, 5003, same_namespace=False)
    assert not _allowed(policed, "Ingress", gateway, STRANGER, 50055, same_namespace=False,
                        namespace_labels=labelled_ns)


def test_prometheus_scrapes_every_metrics_port(policed: Rendered) -> None:
    for name, port in METRICS_PORTS.items():
        assert _allowed(policed, "Ingress", pod(name), PROMETHEUS, port, same_namespace=False), name
        assert not _allowed(policed, "Ingress", pod(name), STRANGER, port, same_namespace=False), name


@pytest.mark.parametrize("name", combinations_with("gvisor"))
def test_the_executor_has_no_egress_even_without_network_policies(name: str,
                                                                  render: Callable[[str], Rendered]) -> None:
    # The gvisor component (which turns the in-pod sandbox off) brings its own no-egress policy.
    rendered = render(name)
    for ip in (INTERNET, METADATA, CLUSTER_IP):
        assert not _allowed(rendered, "Egress", pod("executor"), None, 443, ip=ip, same_namespace=False)
    assert not _allowed(rendered, "Egress", pod("executor"), pod("redis"), 6379)
