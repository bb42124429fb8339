#!/usr/bin/env bash
# Idle container nodes: gangplankd's CPU and every node's (cgroup CPU time) over a window with
# nothing to do, and what one idle node costs the host in memory. Needs root.
# Usage: bench/node_idle.sh [SIZES] [SECONDS]     (default: 100,1000 and 60)
# With GANGPLANK_BENCH_PERF=FILE, gangplankd's profile over each window goes to FILE.SIZE
# (perf record -g; read it with perf report -i FILE.SIZE).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-100,1000}
window=${2:-60}
source bench/local_nodes_env.sh
PYTHONPATH=bench python3 bench/node_idle.py "$work" "$port" "$sizes" "$window" "$pid"
