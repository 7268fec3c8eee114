"""Rendering and reading the kustomize tree under deploy/k8s, offline (kubectl kustomize, kubernetes-validate)."""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
COMPONENTS = K8S / "components"
OVERLAYS = K8S / "overlays"
VENV_BIN = ROOT / ".venv" / "bin"
KUBECTL = VENV_BIN / "kubectl"
KUBERNETES_VALIDATE = VENV_BIN / "kubernetes-validate"
# The Kubernetes version .ci/run validates against; the newest bundled schema is checked too.
MIN_KUBERNETES = "1.30.0"
# Components in the order an overlay that uses them all must list them (external-redis after network-policies).
COMPONENT_ORDER = ("gvisor", "network-policies", "prometheus", "offline-llm", "external-redis")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")

Resource = dict[str, Any]


def overlay_names() -> list[str]:
    """Every overlay directory, as .ci/run loops over them."""
    return sorted(p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").is_file())


def component_names() -> list[str]:
    """Every component directory."""
    return sorted(p.name for p in COMPONENTS.iterdir() if (p / "kustomization.yaml").is_file())


def kustomize(path: Path) -> str:
    """`kubectl kustomize path`; raises with kustomize's message on failure."""
    out = subprocess.run([str(KUBECTL), "kustomize", str(path)], capture_output=True, text=True, timeout=120,
                         check=False)
    if out.returncode != 0:
        raise AssertionError(f"kubectl kustomize {path} failed:\n{out.stderr}")
    return out.stdout


def write_combination(directory: Path, components: tuple[str, ...]) -> Path:
    """A kustomization in `directory` of base plus `components` (kustomize wants relative paths)."""
    directory.mkdir(parents=True, exist_ok=True)
    rel = functools.partial(os.path.relpath, start=directory)
    doc = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [rel(BASE)],
        "components": [rel(COMPONENTS / name) for name in components],
    }
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(doc))
    return directory


def load_all(text: str) -> list[Resource]:
    """The non-empty YAML documents of a rendered stream."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


@dataclass(frozen=True)
class Rendered:
    """One rendered combination (an overlay, or base plus components)."""

    name: str
    components: tuple[str, ...]
    text: str
    resources: tuple[Resource, ...]

    def of_kind(self, kind: str) -> list[Resource]:
        """Resources of one kind."""
        return [r for r in self.resources if r["kind"] == kind]

    def get(self, kind: str, name: str) -> Resource | None:
        """The resource of `kind` named `name`, or a generated one named `name-<hash>`."""
        for r in self.of_kind(kind):
            if r["metadata"]["name"] == name:
                return r
        return None

    def workloads(self) -> list[Resource]:
        """Deployments and StatefulSets."""
        return [r for r in self.resources if r["kind"] in WORKLOAD_KINDS]

    def workload(self, name: str) -> Resource | None:
        """The Deployment or StatefulSet called `name`."""
        return next((w for w in self.workloads() if w["metadata"]["name"] == name), None)

    def env_of(self, container: Resource) -> dict[str, str]:
        """Every variable a container gets: ConfigMap envFrom, rendered Secret envFrom, then its own env.

        Variables from a Secret that is not rendered (created by the operator) are not listed: use
        `secret_refs` for those.
        """
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                cm = self.get("ConfigMap", source["configMapRef"]["name"])
                assert cm is not None, f"envFrom names a missing ConfigMap {source['configMapRef']['name']}"
                env.update({k: str(v) for k, v in cm.get("data", {}).items()})
            elif "secretRef" in source:
                secret = self.get("Secret", source["secretRef"]["name"])
                if secret is not None:
                    keys = {**secret.get("data", {}), **secret.get("stringData", {})}
                    env.update({k: "<secret>" for k in keys})
        for var in container.get("env", []):
            env[var["name"]] = str(var.get("value", "<valueFrom>"))
        return env

    def secret_refs(self, container: Resource) -> set[str]:
        """Names of the Secrets a container takes variables from (generated names lose their hash)."""
        names = {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}
        names |= {v["valueFrom"]["secretKeyRef"]["name"] for v in container.get("env", [])
                  if "secretKeyRef" in v.get("valueFrom", {})}
        generated = {s["metadata"]["name"]: s["metadata"]["name"].rsplit("-", 1)[0] for s in self.of_kind("Secret")}
        return {generated.get(n, n) for n in names}


def labels_match(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions In/NotIn/Exists) selects `labels`."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def pod_labels(workload: Resource) -> dict[str, str]:
    """The pod template's labels."""
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def containers(workload: Resource) -> Iterator[Resource]:
    """Init and regular containers of a workload's pod template."""
    spec = workload["spec"]["template"]["spec"]
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def server(workload: Resource) -> Resource:
    """The container named `server` (every synthmesh workload has one)."""
    found: list[Resource] = [c for c in workload["spec"]["template"]["spec"]["containers"] if c["name"] == "server"]
    assert len(found) == 1, f"{workload['metadata']['name']}: expected one container named server"
    return found[0]
