#!/usr/bin/env bash
# SSH by identity at scale: an EntraId pool of real container nodes, an identity with Virtual
# Machine User Login and a certificate for it; then its role assignment is deleted and the time
# is taken until every node refuses it (its principals file, which sshd reads at every login,
# gone on every node's disk), checked with the real ssh on the last node. Three rounds. Needs
# root. Usage: bench/entra_id_revocation.sh [NODES]      (default: 100; goal: under 2 s)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-100}
source bench/local_nodes_env.sh
PYTHONPATH=bench python3 bench/entra_id_revocation.py "$work" "$port" "$nodes"
