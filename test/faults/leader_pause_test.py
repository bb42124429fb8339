#!/usr/bin/env python3
"""SIGSTOP of the replica that leads the node controller, long enough for the other to take the
lease over, then SIGCONT: the paused replica never acts on what it read before the pause. Three
times, at three moments (a node image upgrade just started, a scale-out just started, idle),
two replicas on one PostgreSQL with real nodes (root). After each continue, for several seconds,
no node container is restarted or removed that should not be, and the machines the API lists
are the containers running, every one on the pool's latest image.
Usage: leader_pause_test.py PATH_TO_GANGPLANKD [PAUSE_SECONDS]"""
import os
import signal
import sys
import time

import faultlib
from clusterlib import (created_cluster, nodes_dir, psql, publish_image, replicas_on_postgres,
                        running_containers, test_key)
from faultlib import Broken, expect

IMAGE = "AKSUbuntu-2204gen2containerd-209913.01."


def leader_index(lab):
    owner = psql(lab, "SELECT body::json->>'owner' FROM resources WHERE kind = 'lease' "
                      "AND key LIKE '%/node-controller'")
    expect(owner, "no replica leads the node controller")
    pids = [r["proc"].pid for r in lab.replicas]
    return pids.index(int(owner.split(":")[1]))


def watch_for_restarts(directory, before, seconds):
    """Samples the running containers for `seconds`: every one of `before` keeps its first
    process the whole time, and none comes or goes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = running_containers(directory)
        expect(now == before, f"node containers changed after the paused leader continued: "
                              f"before {sorted(before.items())}, now {sorted(now.items())}")
        time.sleep(0.1)


def cycle(lab, cluster, moment, pause, round_no):
    paused = leader_index(lab)
    pid = lab.replicas[paused]["proc"].pid
    headers = None
    if moment == "upgrade":
        publish_image(lab, IMAGE + str(round_no))
        status, headers, body, _ = cluster.call("POST", "/agentPools/nodepool1/upgradeNodeImageVersion")
        expect(status == 202, f"upgrade: {status} {body}")
    elif moment == "scale":
        cluster.count += 1
        status, headers, body, _ = cluster.call(
            "PUT", "/agentPools/nodepool1",
            {"properties": {"count": cluster.count, "mode": "System", "osType": "Linux",
                            "type": "VirtualMachineScaleSets", "vmSize": "Standard_DS2_v2",
                            "upgradeSettings": {"maxSurge": "1"}}})
        expect(status in (200, 201), f"scale: {status} {body}")
    os.kill(pid, signal.SIGSTOP)
    lab.replicas[paused]["paused"] = True  # clients go to the other replica meanwhile
    stopped_at = time.monotonic()
    try:
        # The other replica takes the node controller (and any operation) over and finishes it.
        if headers:
            cluster.wait_operation(headers, f"the {moment} while the leader is paused", 120)
        remaining = pause - (time.monotonic() - stopped_at)
        if remaining > 0:
            time.sleep(remaining)
        cluster.expect_nodes_match(f"{moment}: before the paused leader continues",
                                   IMAGE + str(round_no) if moment == "upgrade" else None)
        expect(leader_index(lab) != paused, "the paused replica still leads after its lease ran out")
        before = running_containers(nodes_dir(lab))
    finally:
        os.kill(pid, signal.SIGCONT)
        lab.replicas[paused]["paused"] = False
    paused_for = time.monotonic() - stopped_at
    watch_for_restarts(nodes_dir(lab), before, 6.0)
    cluster.expect_nodes_match(f"{moment}: after the paused leader continued")
    print(f"leader paused {paused_for:.1f} s ({moment}): no node restarted or removed after it "
          f"continued")


def main(factory):
    expect(os.geteuid() == 0, "real nodes are containers: run as root")
    pause = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
    lab = replicas_on_postgres(factory, sys.argv[1])
    cluster = created_cluster(lab, "paused", 3, test_key())
    for round_no, moment in enumerate(("upgrade", "scale", "idle"), start=1):
        cycle(lab, cluster, moment, pause, round_no)
    print("leader pause: a paused and continued node-controller leader acted on nothing it read "
          "before the pause: ok")


if __name__ == "__main__":
    faultlib.run(main)
