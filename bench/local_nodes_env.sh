# Sourced by the node benchmarks: builds Release, starts gangplankd with local container nodes in
# a scratch directory, builds its node image, prints the machine, and on exit stops gangplankd and
# removes every node by PID. Sets: dir (the build), work, port, pid (gangplankd's).
[ "$(id -u)" = 0 ] || { echo "$(basename "$0"): local nodes need root" >&2; exit 1; }
./scripts/bootstrap --bench
# GANGPLANK_BENCH_BUILD=build measures an existing build tree instead of building Release.
dir=${GANGPLANK_BENCH_BUILD:-$(./scripts/build --release)}
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
