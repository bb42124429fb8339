# Sourced by the API benchmarks: builds Release, starts gangplankd with simulated nodes (2 threads,
# SQLite) in a scratch directory, and on exit stops every process in `pids` by PID and removes the
# directory. Sets: dir (the build), work, port (gangplankd's), pids; defines free_port.
./scripts/bootstrap --bench
dir=${GANGPLANK_BENCH_BUILD:-$(./scripts/build --release)}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$dir/bin/gangplankd" --data-dir "$work/data" --listen "127.0.0.1:$port" --threads 2 --nodes simulated >"$work/gangplankd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -f "$work/data/credentials.json" ] && break; sleep 0.1; done
sleep 0.5
