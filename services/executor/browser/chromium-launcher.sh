#!/bin/sh
# Playwright starts this script (as root) in place of Chromium. It joins the browser's memory and pids cgroup,
# hands Playwright's freshly made profile folder to the unprivileged browser uid, moves into a new, empty network
# namespace, drops to that uid with no capabilities and an empty environment, and becomes Chromium, whose own
# sandbox then works (it needs a non-root uid). Playwright talks to Chromium over inherited pipes (fds 3 and 4),
# which survive every exec here; a TCP DevTools endpoint would not cross the network namespace, which is the point.
set -eu
uid="${SYNTHMESH_BROWSER_UID:?}"
home="${SYNTHMESH_BROWSER_HOME:?}"
chromium="${SYNTHMESH_CHROMIUM:-/usr/bin/chromium-headless-shell}"
# The cgroup.procs files of the browser's group: joined before anything of Chromium starts, so every process it
# ever runs is under the browser's caps.
for procs in ${SYNTHMESH_BROWSER_CGROUP:?}; do
  echo $$ > "$procs"
done
for arg in "$@"; do
  case "$arg" in
    --user-data-dir=*) chown -R "$uid:$uid" "${arg#--user-data-dir=}" ;;
  esac
done
exec /usr/bin/unshare --net -- /usr/bin/setpriv --reuid="$uid" --regid="$uid" --clear-groups \
  --inh-caps=-all --bounding-set=-all --no-new-privs -- \
  /usr/bin/env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$chromium" "$@"
