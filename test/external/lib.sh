# Shared by the external-client tests: starts a real gangplankd in a scratch directory, logs the
# unmodified az CLI in, and stops everything by PID on exit (also on failure).
# Usage (sourced): start_gangplankd PATH_TO_GANGPLANKD; az_login
set -euo pipefail
work=$(mktemp -d)
gangplankd_pid=
gangplankd_bin=
# Local nodes (as root) live where sshd's StrictModes accepts them, on a loopback /16 of their own
# so that tests running side by side do not share addresses.
mkdir -p /var/lib/gangplank-test 2>/dev/null && chmod 0755 /var/lib/gangplank-test 2>/dev/null || true
nodes_dir=/var/lib/gangplank-test/ext-$$-$RANDOM
# Claimed like test/support/node_network.cc does: a directory per /16 in use.
network_claim=
mkdir -p /var/lib/gangplank-test/networks 2>/dev/null || true
start=$((RANDOM % 140))
for i in $(seq 0 139); do
  octet=$((60 + (start + i) % 140))
  if mkdir "/var/lib/gangplank-test/networks/$octet" 2>/dev/null; then
    network_claim=/var/lib/gangplank-test/networks/$octet
    break
  fi
done
node_network="127.${octet}.0.0/16"
cleanup() {
  if [ -n "$gangplankd_pid" ]; then
    kill "$gangplankd_pid" 2>/dev/null || true
    wait "$gangplankd_pid" 2>/dev/null || true
  fi
  if [ -n "$gangplankd_bin" ]; then
    "$gangplankd_bin" stop-nodes --nodes-dir "$nodes_dir" --remove >/dev/null 2>&1 || true
  fi
  if [ -n "$network_claim" ]; then rmdir "$network_claim" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- gangplankd log" >&2
  cat "$work/log" >&2 || true
  exit 1
}
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/data/credentials.json" "$1"; }

# The port was free a moment ago; if another test's server takes it first, gangplankd exits and
# a new port is tried (its /healthz is checked against its own CA, so no other server passes).
start_gangplankd() {
  gangplankd_bin=$1
  for _attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$1" --data-dir "$work/data" --listen "127.0.0.1:$port" --nodes-dir "$nodes_dir" \
      --node-network "$node_network" >>"$work/log" 2>&1 &
    gangplankd_pid=$!
    for _ in $(seq 200); do
      kill -0 "$gangplankd_pid" 2>/dev/null || break
      if [ -f "$work/data/credentials.json" ] && python3 - "$port" "$work/data/tls/ca.crt" 2>/dev/null <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
urllib.request.urlopen(f"https://127.0.0.1:{sys.argv[1]}/healthz", context=ctx, timeout=2)
PY
      then return 0; fi
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
  az cloud register -n gangplank-test --endpoint-resource-manager "https://127.0.0.1:$port/" >/dev/null
  az cloud set -n gangplank-test >/dev/null
  az login --service-principal -u "$(field clientId)" -p "$(field clientSecret)" --tenant adfs >/dev/null \
    || fail "az login"
}
