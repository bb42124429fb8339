#!/usr/bin/env python3
"""Node image upgrade timing with real container nodes (run by bench/node_upgrade.sh, as root).

For each pool size and maxSurge: create a cluster with key A, rotate to key B, then time
upgradeNodeImageVersion until the operation reports every node on the new model (every node a
fresh container from the image), check with the real ssh that key B opens every node and key A
none, and record what an idle node costs. The floor: one bare container from the same image with
only sshd, until its banner answers.
"""
import concurrent.futures, sys, time

from node_bench_lib import V, Api, container_floor, machine_busy_seconds, node_cost, pss_kib, ssh_ok

work, port, sizes, surges, gangplankd_pid = (sys.argv[1], int(sys.argv[2]),
                                              [int(n) for n in sys.argv[3].split(",")],
                                              sys.argv[4].split(","), int(sys.argv[5]))
api = Api(work, port)
rows = []
for size in sizes:
    for surge in surges:
        cluster = api.cluster(f"n{size}s{surge.rstrip('%')}")
        started = time.time()
        api.call("PUT", cluster + V, api.cluster_body("a", size, surge))
        state = api.wait(cluster)
        provisioned = time.time() - started
        assert state == "Succeeded", f"create of {size} nodes: {state}"
        api.call("PUT", cluster + V, api.cluster_body("b", size, surge))
        assert api.wait(cluster) == "Succeeded"
        count, pss, memory, _ = node_cost(f"{work}/nodes")
        started, busy = time.time(), machine_busy_seconds()
        status, body = api.call("POST", f"{cluster}/agentPools/nodepool1/upgradeNodeImageVersion{V}")
        assert status == 202, body
        state = api.wait(f"{cluster}/agentPools/nodepool1")
        upgraded = time.time() - started
        cpu_per_node = (machine_busy_seconds() - busy) / size
        assert state == "Succeeded", f"upgrade of {size} nodes: {state}"
        nodes = api.machines(cluster)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            b_ok = sum(pool.map(lambda m: ssh_ok(work, f"{work}/b", m), nodes))
            a_ok = sum(pool.map(lambda m: ssh_ok(work, f"{work}/a", m), nodes))
        cp = pss_kib(gangplankd_pid)
        rows.append((size, surge, provisioned, upgraded, cpu_per_node, b_ok, a_ok, count, pss, memory,
                     cp))
        print(f"{size} nodes, maxSurge {surge}: provisioned in {provisioned:.2f} s, upgrade "
              f"{upgraded:.2f} s ({cpu_per_node * 1000:.0f} ms of the machine's CPU per node); "
              f"key B opens {b_ok}/{size}, key A {a_ok}/{size}; per node: "
              f"PSS {pss / max(count, 1):.0f} KiB, cgroup {memory / max(count, 1):.0f} KiB; "
              f"gangplankd {cp / 1024:.1f} MiB", flush=True)
        api.call("DELETE", cluster + V)
        assert api.wait(cluster) == "NotFound"

floor = container_floor(work)
print()
print(f"one bare container from the node image with only sshd, until its banner answers (the "
      f"floor): {floor * 1000:.1f} ms (median of 10)")
print()
print("| nodes | maxSurge | create (s) | upgrade until every node has the new key (s) | "
      "batches | per batch (s) | per node (ms) | machine CPU per node (ms) | key B opens | "
      "key A opens | per idle node: PSS / cgroup memory | gangplankd PSS |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for size, surge, provisioned, upgraded, cpu_per_node, b_ok, a_ok, count, pss, memory, cp in rows:
    batch = max(1, -(-size * int(surge.rstrip('%')) // 100)) if surge.endswith('%') else int(surge)
    batches = -(-size // batch)
    print(f"| {size} | {surge} | {provisioned:.2f} | {upgraded:.2f} | {batches} | "
          f"{upgraded / batches:.2f} | {upgraded / size * 1000:.0f} | {cpu_per_node * 1000:.0f} | "
          f"{b_ok}/{size} | {a_ok}/{size} | {pss / max(count, 1) / 1024:.1f} / {memory / max(count, 1) / 1024:.1f} "
          f"MiB | {cp / 1024:.1f} MiB |")
