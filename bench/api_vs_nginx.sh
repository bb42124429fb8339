#!/usr/bin/env bash
# gangplankd over TLS with keep-alive against nginx serving the same cluster JSON as a static file
# over TLS (the practical ceiling on this machine), side by side in one run with wrk:
#   1. GET of a managed cluster at api-version 2022-11-01 and at the newest, 2026-08-01 (goal: at
#      least 50% of nginx's requests/s; p99 reported)
#   2. the same GET by a service principal that holds Reader on the resource group (not the
#      bootstrap Owner): authorization decided from the role index (goal: at least 95% of the
#      Owner's GET requests/s)
#   3. PUTs that change a cluster's SSH key (each a durable SQLite commit; requests/s and p99)
# It measures the API and the store, not nodes: gangplankd runs with --nodes simulated, so no node
# process starts even as root (1,024 three-node clusters would otherwise start 3,072 real nodes).
# Usage: bench/api_vs_nginx.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
source bench/simulated_env.sh
api_port=$port

# Token, resource group, 1,024 clusters (the PUT benchmark rotates over them so that each PUT finds
# its cluster's previous operation finished), and the GET target's JSON for nginx.
python3 - "$work" "$api_port" <<'PY'
import json, subprocess, sys, time
sys.path.insert(0, "bench")
from api_session import Session
work, port = sys.argv[1], sys.argv[2]
session = Session(work, port)
call, token, sub = session.call, session.token, session.sub
open(f"{work}/token", "w").write(token)
call("PUT", f"/subscriptions/{sub}/resourceGroups/bench?api-version=2021-04-01", '{"location":"westus2"}', token)
keys = []
for name in ("a", "b"):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{work}/{name}"], check=True)
    keys.append(open(f"{work}/{name}.pub").read().strip())
def body(key):
    return json.dumps({"location": "westus2", "properties": {"dnsPrefix": "bench",
        "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": key}]}},
        "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "mode": "System"}]}})
prefix = f"/subscriptions/{sub}/resourceGroups/bench/providers/Microsoft.ContainerService/managedClusters"
for i in range(1024):
    call("PUT", f"{prefix}/c{i}?api-version=2022-11-01", body(keys[0]), token)
time.sleep(1)
open(f"{work}/cluster.json", "w").write(call("GET", f"{prefix}/c0?api-version=2022-11-01", token=token))
# A reader: an application, its secret and service principal through Graph, Reader on the group.
reader = session.principal("bench-reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7",
                           f"/subscriptions/{sub}/resourceGroups/bench",
                           "0b0b0b0b-0000-4000-8000-000000000001")
open(f"{work}/reader_token", "w").write(session.token_for(*reader))
open(f"{work}/get_path", "w").write(f"{prefix}/c0?api-version=2022-11-01")
open(f"{work}/get_path_newest", "w").write(f"{prefix}/c0?api-version=2026-08-01")
# wrk's two threads each run this script with their own counter: thread 0 takes the even
# clusters and thread 1 the odd ones, so they never PUT the same cluster at the same moment.
open(f"{work}/put.lua", "w").write(f"""
local bodies = {{ {json.dumps(body(keys[1]))}, {json.dumps(body(keys[0]))} }}
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local counter = 0
request = function()
  counter = counter + 1
  local cluster = (counter * 2 + (id or 0)) % 1024
  local body = bodies[(math.floor(counter / 512) % 2) + 1]
  return wrk.format("PUT", "{prefix}/c" .. cluster .. "?api-version=2022-11-01",
                    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
""")
PY

nginx_port=$(free_port)
mkdir -p "$work/nginx/logs" "$work/www"
cp "$work/cluster.json" "$work/www/cluster.json"
# nginx workers run as www-data: they must be able to read the file (mktemp -d makes 0700).
chmod 0755 "$work" "$work/www"
chmod 0644 "$work/www/cluster.json"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/data/tls/server.crt;
    ssl_certificate_key $work/data/tls/server.key;
    root $work/www;
    default_type application/json;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
sleep 0.5

token=$(cat "$work/token")
reader_token=$(cat "$work/reader_token")
get_path=$(cat "$work/get_path")
get_path_newest=$(cat "$work/get_path_newest")
measure() {  # NAME, then wrk arguments; prints "NAME rps 2xx-rps p99 non-2xx"
  local name=$1; shift
  local out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@")
  local rps p99 errors total
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$name $rps $(python3 -c "print($rps * (1 - ${errors:-0} / $total))") $p99 ${errors:-0}"
}
echo "wrk -t2 -c$connections -d${seconds}s, TLS, keep-alive, gangplankd --threads 2, nginx worker_processes 2"
{
  measure nginx-static-GET "https://127.0.0.1:$nginx_port/cluster.json" -H "Authorization: Bearer $token"
  measure gangplankd-GET "https://127.0.0.1:$api_port$get_path" -H "Authorization: Bearer $token"
  measure gangplankd-GET-2026-08-01 "https://127.0.0.1:$api_port$get_path_newest" -H "Authorization: Bearer $token"
  measure gangplankd-GET-as-Reader "https://127.0.0.1:$api_port$get_path" -H "Authorization: Bearer $reader_token"
  measure gangplankd-PUT-new-key -s "$work/put.lua" "https://127.0.0.1:$api_port"
} | tee "$work/results"
python3 - "$work/results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, ok_rps, p99, errors = line.split()
    rows[name] = (float(rps), float(ok_rps), p99, int(errors))
print()
print("| target | requests/s | 2xx/s | p99 | non-2xx |")
print("| --- | --- | --- | --- | --- |")
for name, (rps, ok_rps, p99, errors) in rows.items():
    print(f"| {name} | {rps:,.0f} | {ok_rps:,.0f} | {p99} | {errors} |")
print()
for name in ("gangplankd-GET", "gangplankd-GET-2026-08-01", "gangplankd-GET-as-Reader"):
    print(f"{name} / nginx static GET = {rows[name][0] / rows['nginx-static-GET'][0]:.0%}")
print(f"GET as Reader / GET as Owner = "
      f"{rows['gangplankd-GET-as-Reader'][1] / rows['gangplankd-GET'][1]:.0%} (2xx/s)")
PY
