#!/usr/bin/env bash
# Runs one command against a throwaway Ray cluster of N nodes on this machine, then
# stops the cluster, whatever the command did; exits with the command's status.
#
#   scripts/test/ray-local.sh [--nodes N] [--cpus C] -- COMMAND ARGS...
#
# Ray binds to the host's network address even when told --node-ip-address=127.0.0.1,
# so the cluster lives ONLY inside private namespaces (unshare): a network namespace
# whose one interface is loopback (nothing can be bound or reached but 127.0.0.1; it
# has no network at all), and a PID namespace, so `ray stop --force` sees only this
# cluster's processes and whatever is left is killed when the command ends. The
# head listens on 127.0.0.1:6390; COMMAND gets RAY_ADDRESS=127.0.0.1:6390. Each
# node gets C CPUs (default: Ray's count of this machine's). Needs Linux, root (unshare),
# `unshare` and `ip`, and .venv/bin/ray (`scripts/setup/setup.sh --with ray`, which must
# run outside: the namespace has no network).
#
#   scripts/test/ray-local.sh --check   # exit 0 if this machine can; else prints why not, exit 1
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)   # COMMAND runs in the current directory
# Why this machine cannot run the cluster, or nothing.
cannot_run() {
  if [ "$(uname -s)" != Linux ]; then
    echo "needs Linux for a private network namespace (this is $(uname -s))"
  elif [ "$(id -u)" != 0 ]; then
    echo "needs root for unshare (a private network namespace)"
  elif ! command -v unshare >/dev/null; then
    echo "needs unshare (util-linux)"
  elif ! command -v ip >/dev/null; then
    echo "needs ip (iproute2)"
  fi
}
if [ "${1-}" = --check ]; then
  why=$(cannot_run)
  [ -z "$why" ] || { echo "$why"; exit 1; }
  exit 0
fi

nodes=1 cpus=
while [ $# -gt 0 ]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: scripts/test/ray-local.sh [--nodes N] [--cpus C] -- COMMAND ARGS..." >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "ray-local: no command given" >&2; exit 2; }

if [ -z "${RAY_LOCAL_INSIDE-}" ]; then
  why=$(cannot_run)
  [ -z "$why" ] || { echo "ray-local: $why; elsewhere, run pipeline/ray/ray_run.py against a Ray cluster of your own (docs/scale-out.md)" >&2; exit 2; }
  [ -x "$repo/.venv/bin/ray" ] || { echo "ray-local: .venv/bin/ray is missing: run scripts/setup/setup.sh --with ray" >&2; exit 2; }
  RAY_LOCAL_INSIDE=1 exec unshare --net --pid --fork --mount-proc \
    bash "$0" --nodes "$nodes" ${cpus:+--cpus "$cpus"} -- "$@"
fi
unset RAY_LOCAL_INSIDE

# Inside the namespaces. Refuse to go on if any interface but loopback is here.
ip link set lo up
if ip -o link show | grep -qv ': lo:'; then
  echo "ray-local: refusing to start Ray: this namespace has an interface besides loopback" >&2
  exit 2
fi
export PATH="$repo/.venv/bin:$PATH" RAY_USAGE_STATS_ENABLED=0
tmp=$(mktemp -d /tmp/ray-local.XXXXXX)   # short: Ray's socket paths must stay < 108 bytes
stop() {
  ray stop --force >"$tmp/stop.log" 2>&1 || cat "$tmp/stop.log" >&2
  rm -rf "$tmp"
}
trap stop EXIT
start() {
  if ! ray start --node-ip-address=127.0.0.1 ${cpus:+--num-cpus="$cpus"} "$@" >"$tmp/start.log" 2>&1; then
    cat "$tmp/start.log" >&2
    echo "ray-local: ray start $* failed" >&2
    exit 1
  fi
}
start --head --port=6390 --disable-usage-stats --include-dashboard=false --temp-dir="$tmp"
for _ in $(seq 2 "$nodes"); do start --address=127.0.0.1:6390; done
echo "ray-local: $nodes-node Ray cluster at 127.0.0.1:6390 (private network namespace)" >&2
# (A driver started here warns once that it cannot reach 8.8.8.8 to learn its own
# address: expected, there is no route out of this namespace.)
export RAY_ADDRESS=127.0.0.1:6390
status=0
"$@" || status=$?
exit "$status"
