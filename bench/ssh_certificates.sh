#!/usr/bin/env bash
# SSH certificate issuance at the token endpoint, as az ssh asks for one (client credentials,
# token_type=ssh-cert, an RSA key in req_cnf): requests/s and p99 with wrk over TLS with
# keep-alive, each answer a signed certificate and a durable record of its serial (goal: at least
# 2,000/s on 2 cores). Usage: bench/ssh_certificates.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
source bench/simulated_env.sh
ssh-keygen -q -t rsa -b 3072 -N '' -f "$work/id_rsa"
# An identity with Virtual Machine User Login, and the form az ssh's MSAL posts for it.
python3 - "$work" "$port" <<'PY'
import base64, hashlib, json, struct, sys, urllib.parse
sys.path.insert(0, "bench")
from api_session import Session
work, port = sys.argv[1], sys.argv[2]
session = Session(work, port)
app_id, secret = session.principal("bench-ssh", "fb879df8-f326-4884-b1cf-06f3ad86be52",
                                   f"/subscriptions/{session.sub}",
                                   "0c0c0c0c-0000-4000-8000-000000000001")
blob = base64.b64decode(open(f"{work}/id_rsa.pub").read().split()[1])
fields, at = [], 0
while at < len(blob):
    (length,) = struct.unpack(">I", blob[at:at + 4]); fields.append(blob[at + 4:at + 4 + length]); at += 4 + length
e, n = base64.urlsafe_b64encode(fields[1]).decode(), base64.urlsafe_b64encode(fields[2]).decode()
kid = hashlib.sha256((n + e).encode()).hexdigest()
body = urllib.parse.urlencode({"client_id": app_id, "grant_type": "client_credentials", "client_info": "1",
    "client_secret": secret, "token_type": "ssh-cert", "key_id": kid,
    "req_cnf": json.dumps({"kty": "RSA", "n": n, "e": e, "kid": kid}),
    "scope": "https://pas.windows.net/CheckMyAccess/Linux/.default"})
first = json.loads(session.call("POST", "/adfs/oauth2/token", body, token=""))
assert first["token_type"] == "ssh-cert", first
open(f"{work}/cert.lua", "w").write(f"""
wrk.method = "POST"
wrk.body = {json.dumps(body)}
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
""")
PY
out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/cert.lua" "https://127.0.0.1:$port/adfs/oauth2/token")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
errors=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
echo "wrk -t2 -c$connections -d${seconds}s, TLS, keep-alive, gangplankd --threads 2 (SQLite)"
echo "| target | requests/s | p99 | non-2xx |"
echo "| --- | --- | --- | --- |"
echo "| SSH certificates (token_type=ssh-cert) | $rps | $p99 | ${errors:-0} |"
