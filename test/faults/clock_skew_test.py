#!/usr/bin/env python3
"""One replica's clock 5 s ahead of the other's (faketime), both on one PostgreSQL with real
nodes (root): leases are read by the database's clock, so the replica that runs ahead takes no
live lease. Through a node image upgrade run by the replica whose clock is right, and then one
run by the replica ahead, the operation keeps its one owner from start to end and the node
controller keeps its leader; the upgrade finishes with every node on the new image.
Usage: clock_skew_test.py PATH_TO_GANGPLANKD"""
import os
import sys
import time

import faultlib
from clusterlib import created_cluster, psql, publish_image, replicas_on_postgres, test_key
from faultlib import expect

IMAGE = "AKSUbuntu-2204gen2containerd-209915.01."
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"  # Debian's faketime


def holders(lab, name):
    row = psql(lab, "SELECT COALESCE(body::json->'work'->>'owner', ''), body::json->>'status' "
                    f"FROM resources WHERE kind = 'operation' AND body::json->>'name' = '{name}'")
    owner, status = (row.split("|") + ["", ""])[:2]
    leader = psql(lab, "SELECT body::json->>'owner' FROM resources WHERE kind = 'lease' "
                       "AND key LIKE '%/node-controller'")
    return owner, status, leader


def upgrade_through(lab, cluster, replica, round_no):
    publish_image(lab, IMAGE + str(round_no))
    status, headers, body, _ = lab.call(
        "POST", lab.replicas[replica]["port"],
        f"{cluster.path}/agentPools/nodepool1/upgradeNodeImageVersion?api-version=2024-07-01")
    expect(status == 202, f"upgrade: {status} {body}")
    name = headers["Azure-AsyncOperation"].split("?")[0].rstrip("/").split("/")[-1]
    owners, leaders = [], []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        owner, state, leader = holders(lab, name)
        if owner and (not owners or owners[-1] != owner):
            owners.append(owner)
        if leader and (not leaders or leaders[-1] != leader):
            leaders.append(leader)
        if state and state != "InProgress":
            expect(state == "Succeeded", f"the upgrade ended {state}")
            break
        time.sleep(0.05)
    else:
        raise faultlib.Broken("the upgrade did not finish")
    expect(len(owners) == 1, f"the upgrade changed hands with no replica down: {owners}")
    expect(len(leaders) == 1, f"the node controller changed hands with no replica down: {leaders}")
    cluster.expect_nodes_match(f"after the upgrade through replica {replica}", IMAGE + str(round_no))
    print(f"clock skew +5 s: the upgrade through replica {replica} kept one owner and one "
          "node-controller leader")


def main(factory):
    expect(os.geteuid() == 0, "real nodes are containers: run as root")
    # Replica 1's clock runs 5 s ahead of replica 0's: libfaketime preloaded into gangplankd
    # itself, as faketime(1) does (which would leave a process of its own between), and a
    # sanitizer build told not to insist on coming first.
    asan = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    ahead = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": "+5s", "ASAN_OPTIONS": asan.lstrip(":")}
    lab = replicas_on_postgres(factory, sys.argv[1], 2, (None, ahead))
    cluster = created_cluster(lab, "skew", 4, test_key())
    time.sleep(7)  # longer than a lease: a replica ahead would have taken the leader's by now
    upgrade_through(lab, cluster, 0, 1)
    upgrade_through(lab, cluster, 1, 2)
    print("clock skew: leases by the database's clock, none taken early: ok")


if __name__ == "__main__":
    faultlib.run(main)
