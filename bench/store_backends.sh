#!/usr/bin/env bash
# One gangplankd on SQLite against one, two and three replicas on one PostgreSQL (HAProxy in
# front of two or more), side by side in one run on this machine: GET of a cluster under wrk
# (TLS, keep-alive, 16 connections) and durable PUTs with a new SSH key (16 clients, each on its
# own cluster, each waiting for its operation to finish before the next PUT). Nodes are simulated:
# this measures the API, the store and the operations engine.
# Each GET row also says what the replicas' CPU served: GETs per CPU-second of gangplankd (all
# replicas together), so replicas that share two cores with wrk and HAProxy are compared per core.
# Usage: bench/store_backends.sh [SECONDS] [CONNECTIONS] [TOPOLOGIES]
#   TOPOLOGIES: STORE:REPLICAS:THREADS,... (default: every row of docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-16}
topologies=${3:-sqlite:1:2,sqlite:1:16,postgresql:1:2,postgresql:1:16,postgresql:2:16,postgresql:3:16}
./scripts/bootstrap --bench
dir=${GANGPLANK_BENCH_BUILD:-$(./scripts/build --release)}
work=$(mktemp -d)
chmod 0755 "$work"
pids=()
replica_pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  scripts/postgres-sandbox stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "store_backends: nothing listens on $1" >&2; exit 1
}
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
  replica_pids=()
}

# start STORE REPLICAS THREADS: gangplankd replicas (and HAProxy for two or more); sets $front
# and $data.
start() {
  local store=$1 count=$2 threads=$3 i ports=() uri=""
  rm -rf "$work/run" && mkdir -p "$work/run"
  front=$(free_port)
  if [ "$store" = postgresql ]; then
    scripts/postgres-sandbox stop "$work/pg" >/dev/null 2>&1 || true
    uri=$(scripts/postgres-sandbox start "$work/pg")
    (umask 077; openssl rand -base64 32 >"$work/run/store.key")
  fi
  for i in $(seq 1 "$count"); do
    local port=$front
    [ "$count" -gt 1 ] && port=$(free_port)
    ports+=("$port")
    local args=(--data-dir "$work/run/data$i" --listen "127.0.0.1:$port" --threads "$threads" --nodes simulated)
    [ -n "$uri" ] && args+=(--store "$uri" --store-key "$work/run/store.key" --public-url "https://127.0.0.1:$front/")
    "$dir/bin/gangplankd" "${args[@]}" >>"$work/run/log$i" 2>&1 &
    pids+=($!)
    replica_pids+=($!)
    wait_port "$port"
  done
  data="$work/run/data1"
  if [ "$count" -gt 1 ]; then
    {
      printf 'global\n  maxconn 4000\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n'
      printf 'frontend api\n  bind 127.0.0.1:%s\n  default_backend replicas\nbackend replicas\n  balance roundrobin\n' "$front"
      for i in "${!ports[@]}"; do printf '  server r%s 127.0.0.1:%s\n' "$i" "${ports[$i]}"; done
    } >"$work/run/haproxy.cfg"
    haproxy -f "$work/run/haproxy.cfg" -db >>"$work/run/log-haproxy" 2>&1 &
    pids+=($!)
    wait_port "$front"
  fi
}

measure() {  # NAME
  local replicas
  replicas=$(IFS=,; echo "${replica_pids[*]}")
  python3 bench/store_backends.py "$data" "$front" "$seconds" "$1" "$connections" "$replicas"
}

echo "== GET of a cluster (wrk -t2 -c$connections -d${seconds}s) and durable PUTs with a new key (16 clients)"
echo "store:replicas:threads GET/s GET-p50 GET-p99 GETs-per-replica-CPU-second replicas-CPU-cores PUT/s PUT-accept-p50-ms PUT-accept-p99-ms"
# --threads 2 is one I/O thread per core (the default); 16 shows what more threads change.
for topology in ${topologies//,/ }; do
  IFS=: read -r store replicas threads <<<"$topology"
  start "$store" "$replicas" "$threads"
  measure "$topology"
  stop_all
done
