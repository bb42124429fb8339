#!/usr/bin/env bash
# What a Prometheus scrape a second costs gangplankd: a pool of NODES simulated nodes, gangplankd's
# CPU over SECONDS without scrapes and then over SECONDS with one GET /metrics a second (a
# keep-alive TLS connection, as Prometheus keeps one), side by side in one run; plus the size
# and time of a scrape (goal: under 0.5% of a core). Usage: bench/metrics_scrape.sh [NODES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-1000}
seconds=${2:-30}
source bench/simulated_env.sh
python3 bench/metrics_scrape.py "$work" "$port" "${pids[0]}" "$nodes" "$seconds"
