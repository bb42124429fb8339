# Shared by the external-client tests: starts a real gangplankd in a scratch directory, logs the
# unmodified az CLI in, and stops everything by PID on exit (also on failure).
# Usage (sourced): start_gangplankd PATH_TO_GANGPLANKD; az_login; gangplank_login PATH_TO_GANGPLANK
# Set gangplankd_args=(…) before start_gangplankd for more flags (--nodes simulated).
# With GANGPLANK_TEST_REPLICAS=N (N ≥ 2), start_gangplankd starts a throwaway PostgreSQL server,
# N gangplankd replicas on it and HAProxy in front of them (health checks on /readyz); the
# clients then talk to HAProxy only.
set -euo pipefail
work=$(mktemp -d)
chmod 0755 "$work"
gangplankd_pid=
gangplankd_bin=
replica_pids=()
gangplankd_args=("${gangplankd_args[@]}")
replica_ports=()
haproxy_pid=
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Local nodes (as root) are containers in a nodes directory of the test's own; each control plane
# picks a node network (a bridge and a /16) no other one on this host uses.
mkdir -p /var/lib/gangplank-test 2>/dev/null && chmod 0755 /var/lib/gangplank-test 2>/dev/null || true
nodes_dir=/var/lib/gangplank-test/ext-$$-$RANDOM
cleanup() {
  if [ -n "$haproxy_pid" ]; then
    kill "$haproxy_pid" 2>/dev/null || true
    wait "$haproxy_pid" 2>/dev/null || true
  fi
  for pid in $gangplankd_pid "${replica_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -d "$work/pg" ]; then "$source_dir/scripts/postgres-sandbox" stop "$work/pg" >/dev/null 2>&1 || true; fi
  if [ -n "$gangplankd_bin" ]; then
    "$gangplankd_bin" stop-nodes --nodes-dir "$nodes_dir" --remove >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/log*; do
    echo "--- $log" >&2
    cat "$log" >&2 || true
  done
  exit 1
}
# Node containers that run: the first process runc started is alive and in the node's cgroup.
running_nodes() {
  local count=0 dir uid pid
  for dir in "$nodes_dir"/*-*-*-*-*; do
    [ -f "$dir/init.pid" ] || continue
    uid=$(basename "$dir")
    pid=$(cat "$dir/init.pid")
    grep -q "/gangplank/$uid" "/proc/$pid/cgroup" 2>/dev/null && count=$((count + 1))
  done
  echo "$count"
}
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
# Runs COMMAND until it prints EXPECTED or SECONDS have passed (a node may take long to start when
# the whole suite runs beside it); the caller's expect_eq then says what it printed last.
wait_for_output() {
  local seconds=$1 expected=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$("$@" 2>/dev/null)" = "$expected" ] && return 0
    sleep 0.2
  done
}
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/data/credentials.json" "$1"; }

# The port was free a moment ago; if another test's server takes it first, gangplankd exits and
# a new port is tried (its /healthz is checked against its own CA, so no other server passes).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# True once https://127.0.0.1:PORT/healthz answers, verified against CA.
healthy() {
  python3 - "$1" "$2" 2>/dev/null <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
urllib.request.urlopen(f"https://127.0.0.1:{sys.argv[1]}/healthz", context=ctx, timeout=2)
PY
}

# N replicas on one PostgreSQL behind HAProxy; `port` is HAProxy's, data dir $work/data is the
# first replica's (its credentials.json names HAProxy's URL).
start_replicas() {
  gangplankd_bin=$1
  local count=$2 uri i
  replica_ports=()
  uri=$("$source_dir/scripts/postgres-sandbox" start "$work/pg") || fail "PostgreSQL did not start"
  echo "$uri" >"$work/pg.uri"
  openssl rand -base64 32 >"$work/store.key"
  chmod 600 "$work/store.key"
  port=$(free_port)
  local ports=()
  for i in $(seq 1 "$count"); do
    local dir="$work/data"
    [ "$i" = 1 ] || dir="$work/data$i"
    ports+=("$(free_port)")
    replica_ports+=("${ports[-1]}")
    "$1" --data-dir "$dir" --listen "127.0.0.1:${ports[-1]}" --public-url "https://127.0.0.1:$port/" \
      --store "$uri" --store-key "$work/store.key" --nodes-dir "$nodes_dir" >>"$work/log$i" 2>&1 &
    replica_pids+=($!)
    for _ in $(seq 200); do
      kill -0 "${replica_pids[-1]}" 2>/dev/null || fail "replica $i exited"
      if [ -f "$dir/tls/ca.crt" ] && healthy "${ports[-1]}" "$dir/tls/ca.crt"; then break; fi
      sleep 0.1
    done
  done
  {
    printf 'global\n  maxconn 2000\ndefaults\n  mode tcp\n  timeout connect 2s\n'
    printf '  timeout client 300s\n  timeout server 300s\n'
    printf 'frontend api\n  bind 127.0.0.1:%s\n  default_backend replicas\n' "$port"
    printf 'backend replicas\n  balance roundrobin\n  option httpchk GET /readyz\n  option allbackups\n'
    printf '  http-check expect status 200\n'
    for i in "${!ports[@]}"; do
      printf '  server r%s 127.0.0.1:%s check check-ssl verify required ca-file %s inter 500 fall 2 rise 1\n' \
        "$i" "${ports[$i]}" "$work/data/tls/ca.crt"
      # No replica ready (the store is away): clients get a replica's own 503 + Retry-After.
      printf '  server b%s 127.0.0.1:%s backup\n' "$i" "${ports[$i]}"
    done
  } >"$work/haproxy.cfg"
  haproxy -f "$work/haproxy.cfg" -db >>"$work/log-haproxy" 2>&1 &
  haproxy_pid=$!
  for _ in $(seq 100); do
    healthy "$port" "$work/data/tls/ca.crt" && return 0
    sleep 0.1
  done
  fail "HAProxy in front of the replicas did not answer /healthz"
}

start_gangplankd() {
  if [ "${GANGPLANK_TEST_REPLICAS:-1}" -ge 2 ]; then
    start_replicas "$1" "$GANGPLANK_TEST_REPLICAS"
    return 0
  fi
  gangplankd_bin=$1
  for _attempt in 1 2 3 4 5; do
    port=$(free_port)
    "$1" --data-dir "$work/data" --listen "127.0.0.1:$port" --nodes-dir "$nodes_dir" \
      "${gangplankd_args[@]}" >>"$work/log" 2>&1 &
    gangplankd_pid=$!
    for _ in $(seq 200); do
      kill -0 "$gangplankd_pid" 2>/dev/null || break
      if [ -f "$work/data/credentials.json" ] && healthy "$port" "$work/data/tls/ca.crt"; then return 0; fi
      sleep 0.1
    done
    wait "$gangplankd_pid" 2>/dev/null || true
    gangplankd_pid=
  done
  fail "gangplankd did not answer /healthz"
}

az_login() {
  export AZURE_CONFIG_DIR="$work/az" REQUESTS_CA_BUNDLE="$work/data/tls/ca.crt"
  export AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_ONLY_SHOW_ERRORS=1 AZURE_CORE_NO_COLOR=1
  # No recommendations from Microsoft's service after an error: nothing leaves this machine.
  export AZURE_CORE_ERROR_RECOMMENDATION=off
  az cloud register -n gangplank-test --endpoint-resource-manager "https://127.0.0.1:$port/" >/dev/null
  az cloud set -n gangplank-test >/dev/null
  az login --service-principal -u "$(field clientId)" -p "$(field clientSecret)" --tenant adfs >/dev/null \
    || fail "az login"
}

# az_login, then Microsoft Graph on the same server (az 2.45 has no flag for its endpoint: only
# --cloud-config sets it); sets base (the server's URL) and sub (the subscription).
az_login_with_graph() {
  az_login
  base="https://127.0.0.1:$port"
  az cloud update -n gangplank-test --cloud-config \
    "{\"endpoints\": {\"microsoftGraphResourceId\": \"$base/\"}}" >/dev/null
  sub=$(az account show --query id -o tsv)
}

# Logs the gangplank CLI in to the same server, with a config dir of the test's own.
gangplank_login() {
  export GANGPLANK_CONFIG_DIR="$work/gangplank"
  "$1" login --data-dir "$work/data" >/dev/null || fail "gangplank login"
}
