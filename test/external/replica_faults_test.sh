#!/usr/bin/env bash
# A write through one replica is read through the other at once (no load balancer between).
# PostgreSQL goes away under two replicas: requests get 503 with an ARM error and Retry-After at
# once (no hang, no crash); acknowledged writes survive kill -9 of PostgreSQL and of a replica;
# the replicas reconnect by themselves when PostgreSQL is back.
# Usage: replica_faults_test.sh PATH_TO_GANGPLANKD
export GANGPLANK_TEST_REPLICAS=2
source "$(dirname "$0")/lib.sh"
start_gangplankd "$1"
az_login
az group create -n kept -l westus2 -o none || fail "group create"
token=$(az account get-access-token --query accessToken -o tsv)
sub=$(az account show --query id -o tsv)
url="https://127.0.0.1:$port/subscriptions/$sub/resourcegroups/kept?api-version=2021-04-01"
call() {  # prints "STATUS RETRY-AFTER SECONDS" of one GET through HAProxy
  curl -sS -o "$work/body" -D "$work/headers" -w '%{http_code} %{time_total}' --max-time 30 \
    --cacert "$work/data/tls/ca.crt" -H "Authorization: Bearer $token" "$url"
}

# Created through one replica, read through the other at once, many times over.
direct() {  # METHOD PORT PATH [BODY]: prints the status
  curl -sS -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$work/data/tls/ca.crt" \
    -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${4:+--data "$4"} "https://127.0.0.1:$2/subscriptions/$sub/resourcegroups/$3?api-version=2021-04-01"
}
for i in $(seq 20); do
  expect_eq "$(direct PUT "${replica_ports[0]}" "seen$i" '{"location":"westus2"}')" "201" "PUT through replica 1"
  expect_eq "$(direct GET "${replica_ports[1]}" "seen$i")" "200" "GET through replica 2 right after"
done

# kill -9 of PostgreSQL.
pg_pid=$(head -1 "$work/pg/data/postmaster.pid")
kill -9 "$pg_pid"
for _ in $(seq 50); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
read -r status seconds <<<"$(call)"
expect_eq "$status" "503" "GET while PostgreSQL is down"
grep -qi '^retry-after:' "$work/headers" || fail "503 without Retry-After"
python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['error']; assert e['code'] and e['message']" \
  "$work/body" || fail "503 without an ARM error body: $(cat "$work/body")"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 10 else 1)" "$seconds" \
  || fail "the 503 took ${seconds}s (a hang)"
# A write while it is down is refused whole, and nothing of it appears later.
az group create -n never -l westus2 -o none 2>/dev/null && fail "a write was accepted without a store"
for pid in "${replica_pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a replica exited"; done

# PostgreSQL back (its own crash recovery): the replicas reconnect by themselves.
port_pg=$(sed -E 's#.*:([0-9]+)/.*#\1#' "$work/pg.uri")
"$source_dir/scripts/postgres-sandbox" restart "$work/pg" "$port_pg" || fail "PostgreSQL restart"
ok=
for _ in $(seq 100); do
  read -r status seconds <<<"$(call)"
  [ "$status" = 200 ] && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "the replicas did not reconnect: $status $(cat "$work/body")"
expect_eq "$(az group exists -n kept)" "true" "an acknowledged write after kill -9 of PostgreSQL"
expect_eq "$(az group exists -n never)" "false" "a refused write"

# kill -9 of a replica right after a write it acknowledged: the other one serves it.
az group create -n after -l westus2 -o none || fail "group create after the restart"
kill -9 "${replica_pids[0]}"
for _ in $(seq 50); do
  [ "$(az group exists -n after 2>/dev/null)" = "true" ] && break
  sleep 0.2
done
expect_eq "$(az group exists -n after)" "true" "an acknowledged write after kill -9 of its replica"
echo "replicas: read through one what was written through the other; PostgreSQL down gives 503 + Retry-After; writes survive kill -9; reconnects: ok"
