#!/bin/sh
# EXECUTOR_CHROMIUM inside gVisor (deploy/k8s/components/gvisor). With EXECUTOR_SANDBOX=none the executor has
# no root to run services/executor/browser/chromium-launcher.sh, so Playwright starts this directly, as the
# pod's non-root uid, with Chromium's own sandbox requested. That sandbox needs new user, pid and network
# namespaces. Where the runtime grants them, keep it (defence in depth inside gVisor); where it does not,
# Chromium would abort with "No usable sandbox", so start it with --no-sandbox and say so: the isolation is
# then gVisor plus the executor's no-egress NetworkPolicy, as sandbox.md §8 expects. The proxy-blackhole
# flags Playwright passes apply either way.
set -eu
chromium="${SYNTHMESH_CHROMIUM_BINARY:-/usr/bin/chromium-headless-shell}"
if /usr/bin/unshare --user --map-root-user --pid --net --fork /usr/bin/true 2>/dev/null; then
  exec "$chromium" "$@"
fi
echo "synthmesh-chromium: no user namespaces here; starting Chromium with --no-sandbox" \
  "(isolation: the gVisor pod and its no-egress NetworkPolicy)" >&2
exec "$chromium" --no-sandbox "$@"
