"""bench/metrics_scrape.sh's measurement: a pool of N simulated nodes, then gangplankd's CPU with
and without a scrape a second."""
import http.client
import json
import os
import ssl
import statistics
import sys
import time

sys.path.insert(0, "bench")
from api_session import Session  # noqa: E402

work, port, pid, nodes, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5])
session = Session(work, port)
group = f"/subscriptions/{session.sub}/resourceGroups/bench"
session.call("PUT", f"{group}?api-version=2021-04-01", '{"location":"westus2"}')
key = open(os.path.expanduser("~/.ssh/id_ed25519.pub")).read().strip() \
    if os.path.exists(os.path.expanduser("~/.ssh/id_ed25519.pub")) else \
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDmTKwK1d1zuD2y8rKa4ksdcp4HhAOl5WZnSH6ChjZ2r bench"
cluster = f"{group}/providers/Microsoft.ContainerService/managedClusters/c1"
session.call("PUT", f"{cluster}?api-version=2026-08-01", json.dumps({
    "location": "westus2", "properties": {
        "dnsPrefix": "c1", "linuxProfile": {"adminUsername": "azureuser",
                                            "ssh": {"publicKeys": [{"keyData": key}]}},
        "agentPoolProfiles": [{"name": "nodepool1", "count": nodes, "mode": "System"}]}}))
deadline = time.monotonic() + 600
while json.loads(session.call("GET", f"{cluster}?api-version=2026-08-01"))[
        "properties"]["provisioningState"] != "Succeeded":
    if time.monotonic() > deadline:
        sys.exit("the cluster did not finish")
    time.sleep(1)
time.sleep(5)  # the last reports settle


def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(scrape):
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=session.ctx)
    took, size = [], 0
    start_cpu, start = cpu_seconds(), time.monotonic()
    for second in range(seconds):
        if scrape:
            before = time.monotonic()
            connection.request("GET", "/metrics", headers={"Authorization": "Bearer " + session.token})
            reply = connection.getresponse()
            body = reply.read()
            assert reply.status == 200, body[:200]
            took.append(time.monotonic() - before)
            size = len(body)
        time.sleep(max(0.0, start + second + 1 - time.monotonic()))
    used = cpu_seconds() - start_cpu
    return used / (time.monotonic() - start) * 100, took, size


idle, _, _ = measure(False)
scraped, took, size = measure(True)
print(f"{nodes} simulated nodes, {seconds} s each, gangplankd --threads 2 (SQLite, Release)")
print("| | gangplankd CPU (% of one core) |")
print("| --- | --- |")
print(f"| idle, no scrapes | {idle:.2f}% |")
print(f"| idle, one scrape a second | {scraped:.2f}% |")
print(f"| the scrapes' cost | {scraped - idle:.2f}% |")
print(f"scrape: {size} bytes, median {statistics.median(took) * 1000:.1f} ms, "
      f"max {max(took) * 1000:.1f} ms")
