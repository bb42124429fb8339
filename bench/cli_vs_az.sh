#!/usr/bin/env bash
# The gangplank CLI against the unmodified az CLI, side by side in one run against the same
# gangplankd: whole-process wall time (hyperfine medians) of
#   1. gangplank aks show          vs  az aks show
#   2. gangplank aks nodepool list  vs  az aks nodepool list
# (goal: gangplank at least 100x faster; the token and the TLS session of the warm-up runs are
# reused, as in a script that runs commands one after another), plus the CLI's binary size and
# both clients' peak memory.
# Usage: bench/cli_vs_az.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
./scripts/bootstrap --bench
dir=${GANGPLANK_BENCH_BUILD:-$(./scripts/build --release)}
gangplank="$PWD/$dir/bin/gangplank"
work=$(mktemp -d)
gangplankd_pid=
cleanup() {
  if [ -n "$gangplankd_pid" ]; then kill "$gangplankd_pid" 2>/dev/null || true; wait "$gangplankd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Simulated nodes: the CLIs read the same documents either way, and no sshd competes for the CPU.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PWD/$dir/bin/gangplankd" --data-dir "$work/data" --listen "127.0.0.1:$port" --nodes simulated \
  >"$work/gangplankd.log" 2>&1 &
gangplankd_pid=$!
for _ in $(seq 100); do [ -f "$work/data/credentials.json" ] && break; sleep 0.1; done

export HOME="$work/home" GANGPLANK_CONFIG_DIR="$work/gangplank"
mkdir -p "$HOME"
for _ in $(seq 50); do "$gangplank" login --data-dir "$work/data" 2>/dev/null && break; sleep 0.1; done
"$gangplank" group create -n bench -o none
"$gangplank" aks create -g bench -n c1 -c 3 --generate-ssh-keys -o none 2>/dev/null
"$gangplank" aks nodepool add -g bench --cluster-name c1 -n tools -c 2 -o none

export AZURE_CONFIG_DIR="$work/az" REQUESTS_CA_BUNDLE="$work/data/tls/ca.crt"
export AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_ONLY_SHOW_ERRORS=1 AZURE_CORE_NO_COLOR=1
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/data/credentials.json" "$1"; }
az cloud register -n gangplank-bench --endpoint-resource-manager "https://127.0.0.1:$port/" >/dev/null
az cloud set -n gangplank-bench >/dev/null
az login --service-principal -u "$(field clientId)" -p "$(field clientSecret)" --tenant adfs >/dev/null

# Both clients must give the same answer before their times mean anything.
[ "$("$gangplank" aks show -g bench -n c1 --query name -o tsv)" = "$(az aks show -g bench -n c1 --query name -o tsv)" ]
[ "$("$gangplank" aks nodepool list -g bench --cluster-name c1 --query '[].name' -o tsv | sort)" = \
  "$(az aks nodepool list -g bench --cluster-name c1 --query '[].name' -o tsv | sort)" ]

hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$work/show.json" \
  -n "gangplank aks show" "$gangplank aks show -g bench -n c1 -o json" \
  -n "az aks show" "az aks show -g bench -n c1 -o json"
hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$work/list.json" \
  -n "gangplank aks nodepool list" "$gangplank aks nodepool list -g bench --cluster-name c1 -o json" \
  -n "az aks nodepool list" "az aks nodepool list -g bench --cluster-name c1 -o json"

# Peak memory: the child's maximum resident set, from wait4's rusage (median of 5 runs).
python3 - "$gangplank" "$work" <<'PY'
import json, os, statistics, subprocess, sys
gangplank, work = sys.argv[1], sys.argv[2]
def peak_kib(argv):
    samples = []
    for _ in range(5):
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        assert status == 0, argv
        samples.append(usage.ru_maxrss)
    return statistics.median(samples)
def median_ms(path, name):
    for result in json.load(open(path))["results"]:
        if result["command"] == name:
            return result["median"] * 1000
print()
for label, path, ours, theirs in (
        ("aks show", f"{work}/show.json", "gangplank aks show", "az aks show"),
        ("aks nodepool list", f"{work}/list.json", "gangplank aks nodepool list", "az aks nodepool list")):
    g, a = median_ms(path, ours), median_ms(path, theirs)
    print(f"{label:18} gangplank {g:8.1f} ms   az {a:8.1f} ms   ratio {a / g:6.1f}x  (goal >= 100x)")
show = ["aks", "show", "-g", "bench", "-n", "c1", "-o", "json"]
g_mem, a_mem = peak_kib([gangplank] + show), peak_kib(["az"] + show)
print(f"peak RSS of aks show: gangplank {g_mem / 1024:.1f} MiB, az {a_mem / 1024:.1f} MiB")
PY
stripped="$work/gangplank.stripped"
strip -o "$stripped" "$gangplank"
echo "gangplank binary: $(stat -c %s "$gangplank") bytes as built, $(stat -c %s "$stripped") bytes stripped"
echo "dynamic libraries: $(ldd "$gangplank" | wc -l)"
