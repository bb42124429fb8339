"""Drives one topology of bench/store_backends.sh: 16 clusters, wrk GETs, then durable PUTs."""
import concurrent.futures, http.client, json, os, ssl, subprocess, sys, threading, time, urllib.parse
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

data, port, seconds, name, connections = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                          sys.argv[4], int(sys.argv[5]))
replicas = [int(pid) for pid in sys.argv[6].split(",")]
creds = json.load(open(f"{data}/credentials.json"))
ctx = ssl.create_default_context(cafile=f"{data}/tls/ca.crt")
local = threading.local()


def call(method, path, body=None, token=None):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    local.conn.request(method, path, body=body, headers=headers)
    r = local.conn.getresponse()
    text = r.read().decode()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {text}")
    return text


def key():
    raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return raw.decode()


form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": creds["clientId"],
                               "client_secret": creds["clientSecret"],
                               "scope": f"https://127.0.0.1:{port}//.default"})
local.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
local.conn.request("POST", "/adfs/oauth2/v2.0/token", body=form,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
token = json.loads(local.conn.getresponse().read())["access_token"]
sub = creds["subscriptionId"]
group = f"/subscriptions/{sub}/resourceGroups/bench"
call("PUT", group + "?api-version=2021-04-01", '{"location":"westus2"}', token)
clients = 16


def cluster(i):
    return f"{group}/providers/Microsoft.ContainerService/managedClusters/c{i}?api-version=2022-11-01"


def body(k):
    return json.dumps({"location": "westus2", "properties": {
        "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": k}]}},
        "agentPoolProfiles": [{"name": "nodepool1", "count": 1, "mode": "System"}]}})


def settled(i):
    while json.loads(call("GET", cluster(i), token=token))["properties"]["provisioningState"] != "Succeeded":
        time.sleep(0.005)


with concurrent.futures.ThreadPoolExecutor(clients) as pool:
    list(pool.map(lambda i: call("PUT", cluster(i), body(key()), token), range(clients)))
    list(pool.map(settled, range(clients)))

def cpu_seconds(pids):
    """User and system time of these processes so far (/proc/PID/stat fields 14 and 15)."""
    ticks = 0
    for pid in pids:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


lua = f"{data}/get.lua"
with open(lua, "w") as f:
    f.write(f"""request = function()
  return wrk.format("GET", "{cluster(0)}", {{["Authorization"] = "Bearer {token}"}})
end
""")
cpu_before, wall_before = cpu_seconds(replicas), time.time()
out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua,
                      f"https://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
replica_cpu, wall = cpu_seconds(replicas) - cpu_before, time.time() - wall_before
requests = int(next(l.split()[0] for l in out.splitlines() if "requests in" in l))
rate = next(l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec"))
p50 = next(l.split()[1] for l in out.splitlines() if l.strip().startswith("50%"))
p99 = next(l.split()[1] for l in out.splitlines() if l.strip().startswith("99%"))
if "Non-2xx" in out:
    raise SystemExit("GETs failed: " + out)

keys = [key() for _ in range(4000)]
latencies, lock, stop = [], threading.Lock(), time.time() + seconds


def writer(i):
    done = 0
    while time.time() < stop:
        with lock:
            k = keys.pop()
        t = time.perf_counter()
        call("PUT", cluster(i), body(k), token)  # acknowledged: durable in the store
        with lock:
            latencies.append((time.perf_counter() - t) * 1000)
        settled(i)  # the next key change waits for this one's operation (409 otherwise)
        done += 1
    return done


started = time.time()
with concurrent.futures.ThreadPoolExecutor(clients) as pool:
    puts = sum(pool.map(writer, range(clients)))
elapsed = time.time() - started
latencies.sort()
print(f"{name} {rate} {p50} {p99} {requests / replica_cpu:.0f} {replica_cpu / wall:.2f} {puts / elapsed:.0f} {latencies[len(latencies) // 2]:.1f} "
      f"{latencies[int(len(latencies) * 0.99)]:.1f}")
