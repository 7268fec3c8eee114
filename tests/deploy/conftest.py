"""Renders every kustomize combination once per session: each overlay, base alone, base with each component,
and base with every component (the CI loop in .ci/run covers the overlays only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.deploy.k8s import (
    COMPONENT_ORDER,
    OVERLAYS,
    Rendered,
    component_names,
    kustomize,
    load_all,
    overlay_names,
    write_combination,
)


def _overlay_components(path: Path) -> tuple[str, ...]:
    """The components an overlay uses, following `resources:` into parent overlays."""
    doc = yaml.safe_load((path / "kustomization.yaml").read_text())
    found: list[str] = []
    for resource in doc.get("resources", []):
        parent = (path / resource).resolve()
        if parent.parent == OVERLAYS.resolve():
            found.extend(_overlay_components(parent))
    found.extend(Path(c).name for c in doc.get("components", []))
    return tuple(found)


# name → the components it uses. Overlays render from their own directory; the others are base plus components.
COMBINATIONS: dict[str, tuple[str, ...]] = {
    **{f"overlay/{name}": _overlay_components(OVERLAYS / name) for name in overlay_names()},
    "base": (),
    **{f"base+{name}": (name,) for name in component_names()},
    "base+all": tuple(c for c in COMPONENT_ORDER if c in component_names()),
}
OVERLAY_RENDERS = [name for name in COMBINATIONS if name.startswith("overlay/")]


def combinations_with(component: str, present: bool = True) -> list[str]:
    """Combinations that use (or, with present=False, do not use) a component."""
    return [name for name, components in COMBINATIONS.items() if (component in components) == present]


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Rendered]:
    """Renders a combination by name, once."""
    cache: dict[str, Rendered] = {}
    root = tmp_path_factory.mktemp("kustomize")

    def _render(name: str) -> Rendered:
        if name not in cache:
            components = COMBINATIONS[name]
            if name.startswith("overlay/"):
                path = OVERLAYS / name.removeprefix("overlay/")
            else:
                path = write_combination(root / name.replace("/", "_"), components)
            text = kustomize(path)
            cache[name] = Rendered(name, components, text, tuple(load_all(text)))
        return cache[name]

    return _render


@pytest.fixture(scope="session", params=list(COMBINATIONS))
def rendered(request: pytest.FixtureRequest, render: Callable[[str], Rendered]) -> Rendered:
    """Every combination in turn."""
    return render(request.param)


@pytest.fixture(scope="session", params=OVERLAY_RENDERS)
def overlay(request: pytest.FixtureRequest, render: Callable[[str], Rendered]) -> Rendered:
    """Every overlay in turn."""
    return render(request.param)


@pytest.fixture(scope="session", params=combinations_with("network-policies"))
def policed(request: pytest.FixtureRequest, render: Callable[[str], Rendered]) -> Rendered:
    """Every combination with the network-policies component."""
    return render(request.param)
