#!/usr/bin/env bash
# The unmodified Azure CLI (Debian's azure-cli 2.45) against a real gangplankd: cloud register,
# service-principal login, and resource groups. Usage: az_cli_test.sh PATH_TO_GANGPLANKD
set -euo pipefail
gangplankd=$1
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; echo "--- gangplankd log" >&2; cat "$work/log" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$gangplankd" --data-dir "$work/data" --listen "127.0.0.1:$port" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  [ -f "$work/data/credentials.json" ] && python3 - "$port" "$work/data/tls/ca.crt" <<'PY' 2>/dev/null && break
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
urllib.request.urlopen(f"https://127.0.0.1:{sys.argv[1]}/healthz", context=ctx, timeout=2)
PY
  sleep 0.1
done

export AZURE_CONFIG_DIR="$work/az" REQUESTS_CA_BUNDLE="$work/data/tls/ca.crt"
export AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_ONLY_SHOW_ERRORS=1 AZURE_CORE_NO_COLOR=1
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/data/credentials.json" "$1"; }

az cloud register -n gangplank-test --endpoint-resource-manager "https://127.0.0.1:$port/" >/dev/null
az cloud set -n gangplank-test >/dev/null
az login --service-principal -u "$(field clientId)" -p "$(field clientSecret)" --tenant adfs >/dev/null \
  || fail "az login"
expect_eq "$(az account show --query id -o tsv)" "$(field subscriptionId)" "az account show"

expect_eq "$(az group create -n rg1 -l westus2 --tags team=ops --query name -o tsv)" "rg1" "group create"
expect_eq "$(az group show -n RG1 --query tags.team -o tsv)" "ops" "group show (other case)"
expect_eq "$(az group list --query 'length(@)' -o tsv)" "1" "group list"
expect_eq "$(az group exists -n rg1)" "true" "group exists"
az group delete -n rg1 --yes >/dev/null
expect_eq "$(az group exists -n rg1)" "false" "group exists after delete"
if az group show -n rg1 >"$work/out" 2>&1; then fail "group show after delete succeeded"; fi
grep -q ResourceGroupNotFound "$work/out" || fail "group show after delete: $(cat "$work/out")"

# A wrong secret is refused by the token endpoint.
if az login --service-principal -u "$(field clientId)" -p wrong --tenant adfs >"$work/out" 2>&1; then
  fail "login with a wrong secret succeeded"
fi
grep -q "unknown client or wrong secret" "$work/out" || fail "wrong secret: $(cat "$work/out")"
echo "az CLI: cloud register, login, group create/show/list/exists/delete: ok"
