#!/usr/bin/env python3
"""A dead node is seen at once and brought back: kill -9 of a node's first process, and of its
agent, on a real node (root). The machines API shows the node not ready, the node's log says it
stopped by itself, and it runs again (a new first process) with the same host keys; the other
nodes are untouched. Run against one gangplankd and against two replicas (the leader's runtime
watches the nodes it adopted). Times are printed, not asserted (docs/benchmarks.md).
Usage: dead_node_test.py PATH_TO_GANGPLANKD"""
import os
import signal
import sys
import tempfile
import time

import faultlib
from clusterlib import (Cluster, cluster_body, create_group, new_key, nodes_dir,
                        replicas_on_postgres, running_containers)
from faultlib import Broken, children_of, expect


def agent_of(init_pid):
    for pid in children_of(init_pid):
        try:
            if b"gangplank-node" in open(f"/proc/{pid}/cmdline", "rb").read():
                return pid
        except OSError:
            continue
    raise Broken(f"no agent under the node's first process {init_pid}")


def by_uid(cluster):
    """machine name -> (fingerprints, state); the machines API names nodes, the host knows uids."""
    return {m["name"]: (tuple(m["properties"]["hostKeyFingerprints"]), m["properties"]["state"])
            for m in cluster.machines()}


def kill_and_watch(cluster, directory, what, victim_of):
    before = running_containers(directory)
    machines = by_uid(cluster)
    uid = sorted(before)[0]
    target = victim_of(before[uid])
    os.kill(target, signal.SIGKILL)
    killed = time.monotonic()
    unready_at = back_at = None
    deadline = killed + 60
    while time.monotonic() < deadline:
        now = by_uid(cluster)
        states = {name: state for name, (_, state) in now.items()}
        if unready_at is None and any(state != "Running" for state in states.values()):
            unready_at = time.monotonic()
        running = running_containers(directory)
        if uid in running and running[uid] != before[uid] and set(states.values()) == {"Running"}:
            back_at = time.monotonic()
            break
        time.sleep(0.05)
    expect(back_at, f"{what}: the node did not come back: {by_uid(cluster)}")
    after = by_uid(cluster)
    expect({n: f for n, (f, _) in after.items()} == {n: f for n, (f, _) in machines.items()},
           f"{what}: host keys changed: {machines} -> {after}")
    others = {u: p for u, p in running_containers(directory).items() if u != uid}
    expect(others == {u: p for u, p in before.items() if u != uid},
           f"{what}: another node was touched")
    logs = [cluster.call("GET", f"/agentPools/nodepool1/machines/{name}/logs")[2] for name in after]
    expect(any("stopped by itself" in (entry or {}).get("logs", "") for entry in logs),
           f"{what}: no node log says it stopped by itself")
    seen = f"{unready_at - killed:.2f} s" if unready_at else "not sampled (back first)"
    print(f"dead node ({what}): shown not ready after {seen}, running again with its host keys "
          f"after {back_at - killed:.2f} s")


def experiment(lab, key, grouped=False):
    if not grouped:
        create_group(lab)
    cluster = Cluster(lab, "dead", 2, key)
    status, headers, body, _ = cluster.call("PUT", "", cluster_body("dead", 2, key))
    expect(status == 201, f"create: {status} {body}")
    cluster.wait_operation(headers, "create")
    cluster.expect_nodes_match("after the create")
    directory = nodes_dir(lab)
    kill_and_watch(cluster, directory, "first process killed", lambda init: init)
    kill_and_watch(cluster, directory, "agent killed", agent_of)


def main(factory):
    expect(os.geteuid() == 0, "real nodes are containers: run as root")
    with tempfile.TemporaryDirectory() as keys:
        key = new_key(keys)
    # One gangplankd (SQLite), its nodes in a directory of the test's own.
    lab = factory(sys.argv[1])
    os.makedirs("/var/lib/gangplank-test", mode=0o755, exist_ok=True)
    nodes = f"/var/lib/gangplank-test/fault-{os.getpid()}"
    lab.extra_args = ["--nodes-dir", nodes]
    lab.start_replica()
    experiment(lab, key)
    lab.close()
    # Two replicas: whichever leads watches the nodes.
    experiment(replicas_on_postgres(factory, sys.argv[1]), key, grouped=True)
    print("dead nodes: seen at once, shown not ready, started again with their host keys: ok")


if __name__ == "__main__":
    faultlib.run(main)
