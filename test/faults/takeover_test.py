#!/usr/bin/env python3
"""kill -9 of the replica running a cluster's operation, at several moments of a create, a node
image upgrade and a delete, at two pool sizes. Two replicas on one PostgreSQL with real nodes
(root), started as docs/reference.md starts them (no --nodes-dir: replicas on one host share their
nodes). Each time the other replica finishes the operation, and then the machines the API lists
are exactly the node containers running: none lost, none doubled, no orphan on the host.
Usage: takeover_test.py PATH_TO_GANGPLANKD"""
import os
import signal
import sys
import time

import faultlib
from clusterlib import (Cluster, cluster_body, nodes_dir, node_dirs, psql, publish_image,
                        replicas_on_postgres, running_containers, test_key)
from faultlib import expect

IMAGE = "AKSUbuntu-2204gen2containerd-209912.01."


def operation_row(lab, headers):
    """(status, owner host:pid:port, percentComplete) of the operation a response started."""
    name = (headers.get("Azure-AsyncOperation") or headers["Location"]).split("?")[0]
    name = name.rstrip("/").split("/")[-1]
    row = psql(lab, "SELECT body::json->>'status', COALESCE(body::json->'work'->>'owner', ''), "
                    "COALESCE(body::json->>'percentComplete', '0') FROM resources WHERE kind = "
                    f"'operation' AND body::json->>'name' = '{name}'")
    status, owner, progress = (row.split("|") + ["", "", "0"])[:3]
    return status, owner, int(progress or "0")


LANDED = []  # (what, whether the kill came while the operation was in progress)


def kill_owner(lab, headers, moment, what):
    """kill -9 of the replica holding the operation's lease, at `moment` (early: as soon as it
    is taken; mid: once it has made progress; late: 0.4 s after it was taken); returns the
    index of the replica killed. An operation that ends before the moment comes is recorded as
    missed, and the replica that ran it is killed all the same."""
    deadline = time.monotonic() + 60
    owner, status = "", ""
    while time.monotonic() < deadline:
        status, now_owner, progress = operation_row(lab, headers)
        owner = now_owner or owner
        if status and status != "InProgress":
            break  # over before the moment came: a missed kill
        if now_owner and (moment != "mid" or progress > 0):
            break
        time.sleep(0.01)
    if moment == "late" and status == "InProgress":
        time.sleep(0.4)
    pids = [r["proc"].pid for r in lab.replicas]
    pid = int(owner.split(":")[1]) if owner else pids[0]  # whoever ran it, or the first
    index = pids.index(pid)
    os.kill(pid, signal.SIGKILL)
    lab.replicas[index]["proc"].wait()
    LANDED.append((what, operation_row(lab, headers)[0] == "InProgress"))
    return index


def scenario(lab, count, moments, key):
    cluster = Cluster(lab, f"c{count}", count, key)
    # Create, and kill the replica running it.
    status, headers, reply, _ = cluster.call("PUT", "", cluster_body(cluster.name, count, key))
    expect(status == 201, f"create: {status} {reply}")
    killed = kill_owner(lab, headers, moments[0], f"create {count} {moments[0]}")
    mark = time.monotonic()
    cluster.wait_operation(headers, f"create of {count} nodes after kill -9 ({moments[0]})")
    print(f"create of {count}: done {time.monotonic() - mark:.1f} s after kill -9 ({moments[0]})")
    cluster.expect_nodes_match(f"after the create's takeover ({moments[0]})")
    lab.start_replica(killed)

    # A node image upgrade, one node at a time, and kill the replica running it.
    image = IMAGE + str(count)
    publish_image(lab, image)
    status, headers, reply, _ = cluster.call("POST", "/agentPools/nodepool1/upgradeNodeImageVersion")
    expect(status == 202, f"upgrade: {status} {reply}")
    killed = kill_owner(lab, headers, moments[1], f"upgrade {count} {moments[1]}")
    mark = time.monotonic()
    cluster.wait_operation(headers, f"upgrade of {count} nodes after kill -9 ({moments[1]})")
    print(f"upgrade of {count}: done {time.monotonic() - mark:.1f} s after kill -9 ({moments[1]})")
    cluster.expect_nodes_match(f"after the upgrade's takeover ({moments[1]})", image)
    lab.start_replica(killed)

    # Delete, and kill the replica running it: nothing of the cluster is left on the host.
    directory = nodes_dir(lab)
    status, headers, reply, _ = cluster.call("DELETE")
    expect(status == 202, f"delete: {status} {reply}")
    killed = kill_owner(lab, headers, moments[2], f"delete {count} {moments[2]}")
    mark = time.monotonic()
    cluster.wait_operation(headers, f"delete after kill -9 ({moments[2]})")
    print(f"delete of {count}: done {time.monotonic() - mark:.1f} s after kill -9 ({moments[2]})")
    status, _, _, _ = cluster.call("GET")
    expect(status == 404, f"the cluster is still there after its delete: {status}")
    expect(not running_containers(directory) and not node_dirs(directory),
           f"nodes left after the delete: {node_dirs(directory)}")
    lab.start_replica(killed)


def main(factory):
    expect(os.geteuid() == 0, "real nodes are containers: run as root")
    lab = replicas_on_postgres(factory, sys.argv[1])
    key = test_key()
    started = time.monotonic()
    scenario(lab, 3, ("early", "mid", "early"), key)
    scenario(lab, 8, ("late", "early", "late"), key)
    landed = [what for what, in_progress in LANDED if in_progress]
    print(f"kills that landed mid-operation: {len(landed)} of {len(LANDED)} ({', '.join(landed)})")
    expect(len(landed) >= len(LANDED) - 2,
           f"too few kills landed while an operation ran: {LANDED}")
    print(f"takeover: kill -9 of the acting replica during create, upgrade and delete at 3 and 8 "
          f"nodes, each finished by the other replica with machines = containers, no orphan "
          f"({time.monotonic() - started:.0f} s): ok")


if __name__ == "__main__":
    faultlib.run(main)
