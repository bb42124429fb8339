#!/usr/bin/env python3
"""Takeover after kill -9, measured: two replicas on a throwaway PostgreSQL with real nodes
(root), a pool of N nodes, a node image upgrade (maxSurge 33%) and kill -9 of the replica running
it once it has made progress. Prints how long until the other replica holds the operation and
until the upgrade is done, and checks that the machines are the containers running.
Usage: bench/takeover.py [SIZES]   (default 20,200; build/bin/gangplankd)"""
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "faults"))
import faultlib  # noqa: E402
from clusterlib import Cluster, create_group, new_key, psql, publish_image  # noqa: E402
from faultlib import expect  # noqa: E402

GANGPLANKD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin",
                          "gangplankd")


def owner_and_progress(lab, name):
    row = psql(lab, "SELECT COALESCE(body::json->'work'->>'owner', ''), COALESCE(body::json->>"
                    "'percentComplete', '0'), body::json->>'status' FROM resources WHERE kind = "
                    f"'operation' AND body::json->>'name' = '{name}'")
    owner, progress, status = (row.split("|") + ["", "0", ""])[:3]
    return owner, int(progress or "0"), status


def measure(factory, count, key):
    lab = factory(GANGPLANKD)
    lab.start_postgres()
    lab.lb_port = faultlib.free_port()
    lab.extra_args = ["--node-timeout", "300"]
    for _ in range(2):
        lab.start_replica()
    create_group(lab)
    cluster = Cluster(lab, f"t{count}", count, key)
    body = {"location": "westus2", "properties": {
        "dnsPrefix": cluster.name,
        "linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": key}]}},
        "agentPoolProfiles": [{"name": "nodepool1", "count": count, "mode": "System",
                               "osType": "Linux", "type": "VirtualMachineScaleSets",
                               "upgradeSettings": {"maxSurge": "33%"}}]}}
    status, headers, reply, _ = cluster.call("PUT", "", body)
    expect(status == 201, f"create: {status} {reply}")
    cluster.wait_operation(headers, "create", 600)
    publish_image(lab, f"AKSUbuntu-2204gen2containerd-209914.{count}.0")
    status, headers, reply, _ = cluster.call("POST", "/agentPools/nodepool1/upgradeNodeImageVersion")
    expect(status == 202, f"upgrade: {status} {reply}")
    name = headers["Azure-AsyncOperation"].split("?")[0].rstrip("/").split("/")[-1]
    while True:
        owner, progress, state = owner_and_progress(lab, name)
        if owner and progress > 0:
            break
        expect(state == "InProgress", f"the upgrade ended before the kill: {state}")
        time.sleep(0.01)
    pid = int(owner.split(":")[1])
    index = [r["proc"].pid for r in lab.replicas].index(pid)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    lab.replicas[index]["proc"].wait()
    taken = None
    while taken is None:
        now_owner, _, state = owner_and_progress(lab, name)
        if (now_owner and now_owner != owner) or state != "InProgress":
            taken = time.monotonic() - killed
        time.sleep(0.02)
    cluster.wait_operation(headers, "upgrade after the takeover", 900)
    done = time.monotonic() - killed
    cluster.expect_nodes_match("after the takeover")
    print(f"{count} nodes, maxSurge 33%, kill -9 at {progress}%: the other replica held the "
          f"upgrade {taken:.1f} s later (lease 6 s), upgrade done {done:.1f} s after the kill; "
          f"machines = containers running")
    lab.close()


def main(factory):
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "20,200").split(",")]
    with tempfile.TemporaryDirectory() as keys:
        key = new_key(keys)
    for count in sizes:
        measure(factory, count, key)


if __name__ == "__main__":
    faultlib.run(main)
