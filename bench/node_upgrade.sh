#!/usr/bin/env bash
# Node image upgrades with real container nodes (runc, a node image, the agent and sshd per node):
# time from upgradeNodeImageVersion until every node runs the new key, for several pool sizes and
# maxSurge values; what an idle node costs and gangplankd's memory; one bare container with sshd
# as the floor. Needs root.
# Usage: bench/node_upgrade.sh [SIZES] [SURGES]     (default: 10,50,200 and 10%,33%)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-10,50,200}
surges=${2:-10%,33%}
source bench/local_nodes_env.sh
PYTHONPATH=bench python3 bench/node_upgrade.py "$work" "$port" "$sizes" "$surges" "$pid"
