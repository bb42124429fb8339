#!/usr/bin/env bash
# Idle container nodes: gangplankd's CPU and every node's (cgroup CPU time) over a window with
# nothing to do, and what one idle node costs the host in memory. Needs root.
# Usage: bench/node_idle.sh [SIZES] [SECONDS]     (default: 100,1000 and 60)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-100,1000}
window=${2:-60}
[ "$(id -u)" = 0 ] || { echo "node_idle.sh: local nodes need root" >&2; exit 1; }
./scripts/bootstrap --bench
dir=$(./scripts/build --release)
mkdir -p /var/lib/gangplank-bench && chmod 0755 /var/lib/gangplank-bench
work=$(mktemp -d /var/lib/gangplank-bench/run-XXXXXX)
chmod 0755 "$work"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  "$dir/bin/gangplankd" stop-nodes --nodes-dir "$work/nodes" --remove >/dev/null 2>&1 || true
  rm -rf "$work"
  rmdir /var/lib/gangplank-bench 2>/dev/null || true  # when no other run uses it
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$dir/bin/gangplankd" --data-dir "$work/data" --listen "127.0.0.1:$port" --threads 2 --nodes local \
  --nodes-dir "$work/nodes" --node-timeout 600 >"$work/gangplankd.log" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -f "$work/data/credentials.json" ] && break; sleep 0.05; done
sleep 0.3
"$dir/bin/gangplankd" node-image build --data-dir "$work/data" >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(runc --version | head -1)"
PYTHONPATH=bench python3 bench/node_idle.py "$work" "$port" "$sizes" "$window" "$pid"
