"""Every kustomize combination renders offline and passes strict schema validation, as .ci/run checks it."""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes_validate import utils as kv

from tests.deploy.conftest import OVERLAY_RENDERS
from tests.deploy.k8s import (
    COMPONENT_ORDER,
    COMPONENTS,
    KUBERNETES_VALIDATE,
    MIN_KUBERNETES,
    OVERLAYS,
    ROOT,
    Rendered,
    component_names,
    kustomize,
)


@pytest.fixture(scope="module", autouse=True)
def _cached_schemas() -> Iterator[None]:
    # kubernetes-validate re-reads its multi-megabyte definitions file for every resource; the schemas never
    # change during a run, so read each once (the validation itself is unchanged).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kv, "schema_contents", functools.lru_cache(maxsize=None)(kv.schema_contents))
        yield


def test_validates_strictly_on_the_oldest_and_newest_supported_kubernetes(rendered: Rendered) -> None:
    problems = []
    for resource in rendered.resources:
        for version in (MIN_KUBERNETES, kv.latest_version()):
            try:
                kv.validate(resource, version, strict=True)
            except kv.ValidationError as exc:
                path = ".".join(str(p) for p in exc.path)
                problems.append(f"{resource['kind']}/{resource['metadata']['name']} @ {version}: {path}: {exc.message}")
            except kv.SchemaNotFoundError as exc:  # only CRDs lack a schema, and we ship none
                problems.append(exc.message)
    assert not problems, "\n".join(problems)


def test_resource_names_are_unique(rendered: Rendered) -> None:
    keys = [(r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"]) for r in rendered.resources]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", [n.removeprefix("overlay/") for n in OVERLAY_RENDERS])
def test_the_ci_command_passes(name: str, tmp_path: Path) -> None:
    # Exactly what .ci/run runs for each overlay.
    out = tmp_path / f"{name}.yaml"
    out.write_text(kustomize(OVERLAYS / name))
    result = subprocess.run([str(KUBERNETES_VALIDATE), "--strict", "-k", MIN_KUBERNETES, "--quiet", str(out)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout


def test_ci_loops_over_every_overlay_with_that_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert 'for overlay in deploy/k8s/overlays/*/; do' in script
    assert ".venv/bin/kubectl kustomize \"$overlay\"" in script
    assert f"kubernetes-validate --strict -k {MIN_KUBERNETES} --quiet" in script


def test_components_are_components_and_all_are_known() -> None:
    for name in component_names():
        doc = yaml.safe_load((COMPONENTS / name / "kustomization.yaml").read_text())
        assert doc["kind"] == "Component", name
        assert doc["apiVersion"] == "kustomize.config.k8s.io/v1alpha1", name
    # COMPONENT_ORDER is the order the combined render uses; a new component must be placed in it.
    assert sorted(COMPONENT_ORDER) == component_names()


def test_overlays_list_external_redis_after_network_policies() -> None:
    # external-redis rewrites a policy of network-policies; listed first, its patch would match nothing.
    for path in OVERLAYS.glob("*/kustomization.yaml"):
        components = [Path(c).name for c in yaml.safe_load(path.read_text()).get("components", [])]
        if "external-redis" in components and "network-policies" in components:
            assert components.index("external-redis") > components.index("network-policies"), path


def test_yaml_is_indented_with_two_spaces() -> None:
    for path in (ROOT / "deploy").rglob("*.yaml"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            indent = len(line) - len(line.lstrip(" "))
            assert "\t" not in line[:indent + 1], f"{path}:{number}: tab"
            content = line.strip()
            if content and not content.startswith("#") and not re.match(r"^\s*- ", line):
                assert indent % 2 == 0, f"{path}:{number}: odd indentation"
