"""Security and operability rules on every rendered workload (style.md §2.7, sandbox.md §8)."""

from __future__ import annotations

from typing import Any

from tests.deploy.k8s import (
    Rendered,
    containers,
    labels_match,
    pod_labels,
    server,
)

PART_OF = {"app.kubernetes.io/part-of": "synthmesh"}
# Workloads without a Prometheus endpoint: Redis (no exporter shipped) and the offline model server
# (DEFAULT_PORTS["llm"] has no metrics port).
NO_METRICS = {"synthmesh-redis", "synthmesh-offline-llm"}


def _pod(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def _name(resource: dict[str, Any]) -> str:
    name: str = resource["metadata"]["name"]
    return name


def test_every_resource_is_labelled_part_of_synthmesh(rendered: Rendered) -> None:
    for resource in rendered.resources:
        assert resource["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "synthmesh", (
            f"{resource['kind']}/{_name(resource)}")


def test_workloads_carry_the_standard_labels_and_select_their_own_pods(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        labels = pod_labels(workload)
        assert labels.get("app.kubernetes.io/part-of") == "synthmesh"
        assert labels.get("app.kubernetes.io/name"), _name(workload)
        assert labels_match(workload["spec"]["selector"], labels), _name(workload)
        assert _name(workload) == f"synthmesh-{labels['app.kubernetes.io/name']}"


def test_pods_are_restricted(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        pod, where = _pod(workload), _name(workload)
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True, where
        assert security["runAsUser"] > 0 and security["runAsGroup"] > 0, where
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert pod["automountServiceAccountToken"] is False, where
        assert pod["enableServiceLinks"] is False, where
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(host), f"{where}: {host}"
        assert not any("hostPath" in v for v in pod.get("volumes", [])), f"{where}: hostPath volume"
        account = rendered.get("ServiceAccount", pod["serviceAccountName"])
        assert account is not None, f"{where}: missing ServiceAccount"
        assert account["automountServiceAccountToken"] is False, where


def test_containers_are_restricted(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        for container in containers(workload):
            where = f"{_name(workload)}/{container['name']}"
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where  # and nothing added
            assert not security.get("privileged"), where
            assert security.get("runAsUser", 1) != 0, where
            assert security.get("procMount", "Default") == "Default", where


def test_resources_are_bounded(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        for container in containers(workload):
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{_name(workload)}: {kind}"


def test_tmp_is_a_bounded_emptydir_and_tmpdir_points_at_it(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        pod, container = _pod(workload), server(workload)
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts, _name(workload)
        volume = next(v for v in pod["volumes"] if v["name"] == mounts["/tmp"])
        assert volume["emptyDir"].get("sizeLimit"), _name(workload)
        assert rendered.env_of(container).get("TMPDIR") == "/tmp", _name(workload)
        for v in pod["volumes"]:
            if "emptyDir" in v:
                assert v["emptyDir"].get("sizeLimit"), f"{_name(workload)}: emptyDir {v['name']} unbounded"


def test_the_container_is_named_server_and_declares_a_metrics_port(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        ports = {p["name"]: p["containerPort"] for p in server(workload)["ports"]}
        if _name(workload) not in NO_METRICS:
            assert "metrics" in ports, _name(workload)


def test_probes_exist_and_grpc_probes_use_numeric_ports(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        container = server(workload)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert probe in container, f"{_name(workload)}: no {probe}"
            grpc = container[probe].get("grpc")
            if grpc is not None:
                assert isinstance(grpc["port"], int), f"{_name(workload)}: named gRPC probe port"
                assert "service" in grpc, f"{_name(workload)}: {probe} must name its health service"


def test_termination_grace_outlasts_drain_and_grace(rendered: Rendered) -> None:
    for workload in rendered.workloads():
        env = rendered.env_of(server(workload))
        if "GRACE_SECONDS" not in env:
            continue  # not a services.common.server process (Redis, the offline model server)
        drain, grace = float(env["DRAIN_SECONDS"]), float(env["GRACE_SECONDS"])
        period = _pod(workload)["terminationGracePeriodSeconds"]
        # Some seconds beyond drain + grace for the service's own cleanup (browsers, Redis pools).
        assert period >= drain + grace + 5, f"{_name(workload)}: {period} s ≤ {drain} + {grace} + 5"
        # Draining must last at least one readiness period, or endpoints outlive the listener.
        assert drain >= server(workload)["readinessProbe"]["periodSeconds"], _name(workload)


def test_multi_replica_workloads_have_a_pdb_and_single_ones_do_not(rendered: Rendered) -> None:
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in rendered.of_kind("HorizontalPodAutoscaler")}
    pdbs = rendered.of_kind("PodDisruptionBudget")
    for workload in rendered.workloads():
        name = _name(workload)
        hpa = hpas.get(name)
        minimum = hpa["spec"]["minReplicas"] if hpa else workload["spec"].get("replicas", 1)
        covering = [p for p in pdbs if labels_match(p["spec"]["selector"], pod_labels(workload))]
        if minimum > 1:
            assert len(covering) == 1, f"{name}: {minimum} replicas need one PodDisruptionBudget"
            # Unready pods may go: readiness follows dependencies, and drains must not wait on a Redis outage.
            assert covering[0]["spec"] == {"minAvailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow",
                                           "selector": covering[0]["spec"]["selector"]}
            # A PDB does not help when a node fails: the replicas spread over nodes where they can.
            spread = _pod(workload).get("topologySpreadConstraints", [])
            assert any(c["topologyKey"] == "kubernetes.io/hostname" and c["whenUnsatisfiable"] == "ScheduleAnyway"
                       and labels_match(c["labelSelector"], pod_labels(workload)) for c in spread), name
        else:
            # minAvailable 1 on a single replica would block every node drain.
            assert not covering, f"{name}: single replica with a PodDisruptionBudget"
        if hpa:
            assert "replicas" not in workload["spec"], f"{name}: replicas fights the HPA"
            assert hpa["spec"]["maxReplicas"] >= minimum


def test_workers_autoscale(rendered: Rendered) -> None:
    names = {h["spec"]["scaleTargetRef"]["name"] for h in rendered.of_kind("HorizontalPodAutoscaler")}
    assert {"synthmesh-executor", "synthmesh-generator", "synthmesh-iterator", "synthmesh-evaluator"} <= names
    for hpa in rendered.of_kind("HorizontalPodAutoscaler"):
        target = rendered.workload(hpa["spec"]["scaleTargetRef"]["name"])
        assert target is not None and target["kind"] == hpa["spec"]["scaleTargetRef"]["kind"]
        for container in containers(target):  # CPU utilisation needs CPU requests
            assert container["resources"]["requests"]["cpu"]


def test_services_select_pods_and_target_declared_ports(rendered: Rendered) -> None:
    for service in rendered.of_kind("Service"):
        matching = [w for w in rendered.workloads() if labels_match({"matchLabels": service["spec"]["selector"]},
                                                                    pod_labels(w))]
        assert len(matching) == 1, _name(service)
        declared = {p["containerPort"] for p in server(matching[0])["ports"]}
        for port in service["spec"]["ports"]:
            assert isinstance(port["targetPort"], int) and port["targetPort"] in declared, _name(service)
            assert port["port"] == port["targetPort"], f"{_name(service)}: same number inside and out"


def test_the_executor_never_holds_a_token_secret_or_egress(rendered: Rendered) -> None:
    executor = rendered.workload("synthmesh-executor")
    assert executor is not None
    container = server(executor)
    assert not rendered.secret_refs(container), "the executor must see no Secret"
    assert not any("secretKeyRef" in v.get("valueFrom", {}) for v in container.get("env", []))
    assert not any("secret" in v or "projected" in v for v in _pod(executor).get("volumes", []))
    policies = [p for p in rendered.of_kind("NetworkPolicy")
                if labels_match(p["spec"]["podSelector"], pod_labels(executor))]
    for policy in policies:
        if "Egress" in policy["spec"]["policyTypes"]:
            assert not policy["spec"].get("egress"), f"{_name(policy)} opens egress for the executor"


def test_the_executor_runs_unsandboxed_only_under_gvisor(rendered: Rendered) -> None:
    executor = rendered.workload("synthmesh-executor")
    assert executor is not None
    mode = rendered.env_of(server(executor))["EXECUTOR_SANDBOX"]
    runtime = _pod(executor).get("runtimeClassName")
    if "gvisor" in rendered.components:
        assert (mode, runtime) == ("none", "gvisor")
        runtime_class = rendered.get("RuntimeClass", "gvisor")
        assert runtime_class is not None and runtime_class["handler"] == "runsc"
        # The component that turns the in-pod sandbox off also brings the executor's no-egress policy.
        assert rendered.get("NetworkPolicy", "synthmesh-executor-no-egress") is not None
    else:
        # Without gVisor the executor keeps bwrap and, in a restricted pod, refuses to start (fail-closed).
        assert (mode, runtime) == ("bwrap", None)


def test_images_are_pinned_in_overlays(overlay: Rendered) -> None:
    for workload in overlay.workloads():
        for container in containers(workload):
            image = container["image"]
            assert "@sha256:" in image or (":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")), image


def test_namespaces_enforce_pod_security_restricted(overlay: Rendered) -> None:
    namespaces = overlay.of_kind("Namespace")
    assert len(namespaces) == 1
    labels = namespaces[0]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for resource in overlay.resources:
        if resource["kind"] not in ("Namespace", "RuntimeClass"):
            assert resource["metadata"]["namespace"] == _name(namespaces[0]), _name(resource)
