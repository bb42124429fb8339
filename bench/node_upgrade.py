#!/usr/bin/env python3
"""Node image upgrade timing with real local nodes (run by bench/node_upgrade.sh, as root).

For each pool size and maxSurge: create a cluster with key A, rotate to key B, then time
upgradeNodeImageVersion until the operation reports every node on the new model, check with the
real ssh that key B opens every node and key A none, and record memory. Also times the floor: a
bare sshd start until its SSH banner answers.
"""
import concurrent.futures, json, os, socket, ssl, statistics, subprocess, sys, time
import http.client, urllib.parse

work, port, sizes, surges, gangplankd_pid = (sys.argv[1], int(sys.argv[2]),
                                              [int(n) for n in sys.argv[3].split(",")],
                                              sys.argv[4].split(","), int(sys.argv[5]))
creds = json.load(open(f"{work}/data/credentials.json"))
ctx = ssl.create_default_context(cafile=f"{work}/data/tls/ca.crt")
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)


def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=body, headers=headers)
    reply = conn.getresponse()
    return reply.status, reply.read().decode()


form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": creds["clientId"],
                               "client_secret": creds["clientSecret"],
                               "scope": f"https://127.0.0.1:{port}//.default"})
conn.request("POST", "/adfs/oauth2/v2.0/token", body=form,
             headers={"Content-Type": "application/x-www-form-urlencoded"})
token = json.loads(conn.getresponse().read())["access_token"]
sub = creds["subscriptionId"]
V = "?api-version=2026-08-01"  # the newest stable: it has the machines API
call("PUT", f"/subscriptions/{sub}/resourceGroups/bench?api-version=2021-04-01",
     '{"location":"westus2"}', token)
for name in ("a", "b"):
    if not os.path.exists(f"{work}/{name}"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{work}/{name}"],
                       check=True)
key = {n: open(f"{work}/{n}.pub").read().strip() for n in ("a", "b")}


def cluster_body(k, count, surge):
    return json.dumps({"location": "westus2", "properties": {
        "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": key[k]}]}},
        "agentPoolProfiles": [{"name": "nodepool1", "count": count, "mode": "System",
                               "upgradeSettings": {"maxSurge": surge}}]}})


def wait(path, limit=600):
    deadline = time.time() + limit
    while time.time() < deadline:
        status, body = call("GET", path + V, token=token)
        if status == 404:
            return "NotFound"
        state = json.loads(body)["properties"]["provisioningState"]
        if state in ("Succeeded", "Failed"):
            return state
        time.sleep(0.05)
    return "timeout"


def machines(cluster):
    _, body = call("GET", f"{cluster}/agentPools/nodepool1/machines{V}", token=token)
    return json.loads(body)["value"]


def ssh_ok(identity, machine):
    address = machine["properties"]["network"]["ipAddresses"][0]["ip"]
    known = f"{work}/known_hosts_{address}"
    with open(known, "w") as f:
        for host_key in machine["properties"]["hostKeys"]:
            f.write(f"{address} {host_key}\n")
    result = subprocess.run(["ssh", "-F", "/dev/null", "-i", identity, "-o", "IdentitiesOnly=yes",
                             "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                             "-o", f"UserKnownHostsFile={known}", "-o", "ConnectTimeout=10",
                             f"azureuser@{address}", "true"], capture_output=True)
    return result.returncode == 0


def node_memory_kib():
    """PSS (shared pages split fairly) of every gangplank-node agent and node sshd, and of gangplankd."""
    agents = sshds = 0
    count = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            if f"{work}/nodes/" not in cmdline:
                continue
            pss = next(int(line.split()[1]) for line in open(f"/proc/{pid}/smaps_rollup")
                       if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
        if "gangplank-node" in cmdline:
            agents += pss
            count += 1
        elif "sshd" in cmdline:
            sshds += pss
    cp = next(int(line.split()[1]) for line in open(f"/proc/{gangplankd_pid}/smaps_rollup")
              if line.startswith("Pss:"))
    return count, agents, sshds, cp


def sshd_floor(runs=20):
    """A bare sshd start (the one thing a reimage cannot avoid) until its banner answers."""
    d = f"{work}/floor"
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(f"{d}/hk"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/hk"], check=True)
    with open(f"{d}/cfg", "w") as f:
        f.write(f"ListenAddress 127.29.0.1:22\nHostKey {d}/hk\nPidFile {d}/pid\nUsePAM no\n")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", f"{d}/cfg"])
        while True:
            try:
                with socket.create_connection(("127.29.0.1", 22), timeout=1) as s:
                    if s.recv(8).startswith(b"SSH-2.0"):
                        break
            except OSError:
                time.sleep(0.001)
        times.append(time.perf_counter() - started)
        proc.terminate()
        proc.wait()
    return statistics.median(times)


rows = []
floor = sshd_floor()
for size in sizes:
    for surge in surges:
        cluster = (f"/subscriptions/{sub}/resourceGroups/bench/providers/"
                   f"Microsoft.ContainerService/managedClusters/n{size}s{surge.rstrip('%')}")
        started = time.time()
        call("PUT", cluster + V, cluster_body("a", size, surge), token)
        state = wait(cluster)
        provisioned = time.time() - started
        assert state == "Succeeded", f"create of {size} nodes: {state}"
        call("PUT", cluster + V, cluster_body("b", size, surge), token)
        assert wait(cluster) == "Succeeded"
        count, agents, sshds, cp = node_memory_kib()
        started = time.time()
        status, body = call("POST", f"{cluster}/agentPools/nodepool1/upgradeNodeImageVersion{V}",
                            token=token)
        assert status == 202, body
        state = wait(f"{cluster}/agentPools/nodepool1")
        upgraded = time.time() - started
        assert state == "Succeeded", f"upgrade of {size} nodes: {state}"
        nodes = machines(cluster)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            b_ok = sum(pool.map(lambda m: ssh_ok(f"{work}/b", m), nodes))
            a_ok = sum(pool.map(lambda m: ssh_ok(f"{work}/a", m), nodes))
        rows.append((size, surge, provisioned, upgraded, b_ok, a_ok, count, agents, sshds, cp))
        print(f"{size} nodes, maxSurge {surge}: provisioned in {provisioned:.2f} s, upgrade "
              f"{upgraded:.2f} s; key B opens {b_ok}/{size}, key A {a_ok}/{size}; "
              f"PSS per node: agent {agents / max(count, 1):.0f} KiB + sshd "
              f"{sshds / max(count, 1):.0f} KiB; gangplankd {cp / 1024:.1f} MiB", flush=True)
        call("DELETE", cluster + V, token=token)
        assert wait(cluster) == "NotFound"

print()
print(f"bare sshd start until its banner answers (the floor): {floor * 1000:.1f} ms (median of 20)")
print()
print("| nodes | maxSurge | create (s) | upgrade until every node has the new key (s) | "
      "batches | per batch (s) | key B opens | key A opens | PSS per idle node (agent + sshd) | "
      "gangplankd PSS |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for size, surge, provisioned, upgraded, b_ok, a_ok, count, agents, sshds, cp in rows:
    batch = max(1, -(-size * int(surge.rstrip('%')) // 100)) if surge.endswith('%') else int(surge)
    batches = -(-size // batch)
    print(f"| {size} | {surge} | {provisioned:.2f} | {upgraded:.2f} | {batches} | "
          f"{upgraded / batches:.2f} | {b_ok}/{size} | {a_ok}/{size} | "
          f"{agents / max(count, 1) / 1024:.1f} + {sshds / max(count, 1) / 1024:.1f} MiB | "
          f"{cp / 1024:.1f} MiB |")
