#!/usr/bin/env python3
"""What idle container nodes cost (run by bench/node_idle.sh, as root): for each size, a cluster
of that many nodes is created and left alone; over the measuring window, the CPU time of
gangplankd and of every node's cgroup (dumb-init, the agent, sshd), and per node its processes' PSS and
its memory cgroup's usage."""
import os, subprocess, sys, time

from node_bench_lib import V, Api, cpu_seconds, node_cost, pss_kib

work, port, sizes, window, gangplankd_pid = (sys.argv[1], int(sys.argv[2]),
                                             [int(n) for n in sys.argv[3].split(",")],
                                             float(sys.argv[4]), int(sys.argv[5]))
SETTLE = 120  # seconds between the create's end and the window
api = Api(work, port)
rows = []
for size in sizes:
    cluster = api.cluster(f"idle{size}")
    started = time.time()
    api.call("PUT", cluster + V, api.cluster_body("a", size))
    state = api.wait(cluster)
    created = time.time() - started
    assert state == "Succeeded", f"create of {size} nodes: {state}"
    # The first nodes of a large create wait out their start-up pauses and first heartbeats
    # while the last ones start: the window opens once a node's slowest pace (the long poll's
    # renewal) has passed for all of them.
    time.sleep(SETTLE)
    cp_before = cpu_seconds(gangplankd_pid)
    _, _, _, nodes_before = node_cost(f"{work}/nodes")
    profile = os.environ.get("GANGPLANK_BENCH_PERF")  # where gangplankd's profile goes
    perf = profile and subprocess.Popen(
        ["perf", "record", "-q", "-g", "-F", "499", "-o", f"{profile}.{size}", "-p",
         str(gangplankd_pid), "--", "sleep", str(window)])
    time.sleep(window)
    if perf:
        perf.wait()  # its file is whole once it has exited
    cp_cpu = (cpu_seconds(gangplankd_pid) - cp_before) / window
    count, pss, memory, nodes_after = node_cost(f"{work}/nodes")
    nodes_cpu = (nodes_after - nodes_before) / window
    cp = pss_kib(gangplankd_pid)
    rows.append((size, created, cp_cpu, nodes_cpu, count, pss, memory, cp))
    print(f"{size} idle nodes (created in {created:.1f} s): gangplankd {cp_cpu * 100:.2f}% of a "
          f"core, all nodes {nodes_cpu * 100:.2f}%; per node PSS {pss / count:.0f} KiB, cgroup "
          f"{memory / count:.0f} KiB; gangplankd PSS {cp / 1024:.1f} MiB", flush=True)
    api.call("DELETE", cluster + V)
    assert api.wait(cluster) == "NotFound"

print()
print(f"| idle nodes | create (s) | gangplankd CPU (% of a core) | all nodes' CPU (% of a core) | "
      f"per node: PSS / cgroup memory | gangplankd PSS |")
print("| --- | --- | --- | --- | --- | --- |")
for size, created, cp_cpu, nodes_cpu, count, pss, memory, cp in rows:
    print(f"| {size} | {created:.1f} | {cp_cpu * 100:.2f} | {nodes_cpu * 100:.2f} | "
          f"{pss / count / 1024:.1f} / {memory / count / 1024:.1f} MiB | {cp / 1024:.1f} MiB |")
