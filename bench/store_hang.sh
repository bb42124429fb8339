#!/usr/bin/env bash
# Request latency while PostgreSQL hangs (SIGSTOP of all its processes) for SECONDS, under one
# replica and under two behind HAProxy, busy and idle: p50/p99/max of GETs and PUTs during the
# hang and how long until every replica is ready again after SIGCONT. The fault experiment of
# test/faults/store_hang_test.py with a longer hang; it also checks every promise it measures.
# Usage: bench/store_hang.sh [SECONDS]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap >/dev/null
dir=${GANGPLANK_BENCH_BUILD:-$(./scripts/build --release)}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(postgres --version 2>/dev/null || /usr/lib/postgresql/*/bin/postgres --version)"
python3 test/faults/store_hang_test.py "$(realpath "$dir/bin/gangplankd")" "${1:-30}"
