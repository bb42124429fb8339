#!/usr/bin/env bash
# gangplankd with 10,000 managed clusters (100 resource groups of 100, 3 machines each): GET of a
# random cluster and list-by-resource-group latency under wrk (TLS, keep-alive), the server's
# memory, and the time a restart takes to load the store. It measures the API and the store, not
# nodes: gangplankd runs with --nodes simulated (machine rows, no node processes, even as root).
# Usage: bench/store_10k_clusters.sh [CLUSTERS] [SECONDS] [sqlite|postgresql] [THREADS]
#   postgresql: the store is a throwaway PostgreSQL server on this machine (scripts/postgres-sandbox)
#   THREADS: gangplankd's --threads (default 2, one per core here)
set -euo pipefail
cd "$(dirname "$0")/.."
clusters=${1:-10000}
seconds=${2:-10}
backend=${3:-sqlite}
threads=${4:-2}
./scripts/bootstrap --bench
dir=${GANGPLANK_BENCH_BUILD:-$(./scripts/build --release)}
work=$(mktemp -d)
pid=
chmod 0755 "$work"
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  scripts/postgres-sandbox stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
store_args=()
if [ "$backend" = postgresql ]; then
  store_args=(--store "$(scripts/postgres-sandbox start "$work/pg")" --store-key "$work/store.key")
  (umask 077; openssl rand -base64 32 >"$work/store.key")
fi
start_server() {
  "$dir/bin/gangplankd" --data-dir "$work/data" --listen "127.0.0.1:$port" --threads "$threads" --nodes simulated \
    "${store_args[@]}" >>"$work/gangplankd.log" 2>&1 &
  pid=$!
  python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(3000):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close(); break
    except OSError: time.sleep(0.01)
PY
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status"; }

start_server
python3 - "$work" "$port" "$clusters" <<'PY'
import concurrent.futures, http.client, json, ssl, subprocess, sys, threading, time, urllib.parse
work, port, clusters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
creds = json.load(open(f"{work}/data/credentials.json"))
ctx = ssl.create_default_context(cafile=f"{work}/data/tls/ca.crt")
local = threading.local()
def call(method, path, body=None, token=None):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    headers = {"Content-Type": "application/json"}
    if token: headers["Authorization"] = "Bearer " + token
    local.conn.request(method, path, body=body, headers=headers)
    r = local.conn.getresponse(); data = r.read().decode()
    if r.status >= 300: raise SystemExit(f"{method} {path}: {r.status} {data}")
    return data
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": creds["clientId"],
                               "client_secret": creds["clientSecret"], "scope": f"https://127.0.0.1:{port}//.default"})
local.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
local.conn.request("POST", "/adfs/oauth2/v2.0/token", body=form,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
token = json.loads(local.conn.getresponse().read())["access_token"]
open(f"{work}/token", "w").write(token)
sub = creds["subscriptionId"]
groups = 100
for g in range(groups):
    call("PUT", f"/subscriptions/{sub}/resourceGroups/rg{g}?api-version=2021-04-01", '{"location":"westus2"}', token)
subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{work}/a"], check=True)
key = open(f"{work}/a.pub").read().strip()
body = json.dumps({"location": "westus2", "properties": {
    "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": key}]}},
    "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "mode": "System"}]}})
def create(i):
    call("PUT", f"/subscriptions/{sub}/resourceGroups/rg{i % groups}/providers/"
         f"Microsoft.ContainerService/managedClusters/c{i}?api-version=2022-11-01", body, token)
started = time.time()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    list(pool.map(create, range(clusters)))
print(f"created {clusters} clusters in {time.time() - started:.1f} s")
# Measure the steady state: every create operation finished (the engine runs them in order).
def state(i):
    return json.loads(call("GET", f"/subscriptions/{sub}/resourceGroups/rg{i % groups}/providers/"
                       f"Microsoft.ContainerService/managedClusters/c{i}?api-version=2022-11-01",
                       token=token))["properties"]["provisioningState"]
while state(clusters - 1) != "Succeeded" or state(0) != "Succeeded":
    time.sleep(0.5)
print(f"every create operation finished {time.time() - started:.1f} s after the first request")
with open(f"{work}/get.lua", "w") as f:
    f.write(f"""
math.randomseed(42)
request = function()
  local i = math.random(0, {clusters - 1})
  return wrk.format("GET", "/subscriptions/{sub}/resourceGroups/rg" .. (i % {groups}) ..
    "/providers/Microsoft.ContainerService/managedClusters/c" .. i .. "?api-version=2022-11-01",
    {{["Authorization"] = "Bearer {token}"}})
end
""")
with open(f"{work}/list.lua", "w") as f:
    f.write(f"""
math.randomseed(7)
request = function()
  return wrk.format("GET", "/subscriptions/{sub}/resourceGroups/rg" .. math.random(0, {groups - 1}) ..
    "/providers/Microsoft.ContainerService/managedClusters?api-version=2022-11-01",
    {{["Authorization"] = "Bearer {token}"}})
end
""")
PY
sleep 2  # let the create operations finish
measure() {  # NAME LUA CONNECTIONS
  local out
  out=$(wrk -t"$(( $3 < 2 ? $3 : 2 ))" -c"$3" -d"${seconds}s" --latency -s "$2" "https://127.0.0.1:$port")
  echo "$1 $(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1 == "50%" {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out") $(awk '/Non-2xx/ {print $5}' <<<"$out")"
}
echo "== $clusters clusters in 100 resource groups on $backend; wrk -t2 -d${seconds}s, TLS, keep-alive, --threads $threads"
measure "GET-random-cluster(c32)" "$work/get.lua" 32
measure "GET-random-cluster(c1)" "$work/get.lua" 1
measure "list-resource-group-of-$((clusters / 100))(c32)" "$work/list.lua" 32
measure "list-resource-group-of-$((clusters / 100))(c1)" "$work/list.lua" 1
echo "RSS after load: $(rss_mib) MiB"
if [ "$backend" = postgresql ]; then
  echo "database: $(du -sm "$work/pg/data" | cut -f1) MiB (the whole PostgreSQL data directory)"
else
  echo "database: $(du -m "$work/data/gangplank.db" | cut -f1) MiB"
fi
kill "$pid"; wait "$pid" || true
started=$(date +%s.%N)
start_server
echo "restart to first accepted connection: $(echo "$(date +%s.%N) - $started" | bc) s, RSS $(rss_mib) MiB"
