#!/usr/bin/env bash
# Whole-process comparison: `gangplank ssh-key show -o table` vs `ssh-keygen -l -f` on the same
# 10,000-line authorized_keys file; outputs must be identical line by line.
# Usage: bench/ssh_key_show_vs_ssh_keygen.sh [LINES]   (run from anywhere; builds Release first)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000}
./scripts/bootstrap
dir=$(./scripts/build --release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$dir/bin/make_key_file" "$lines" "$work/authorized_keys"
echo "file: $lines lines, $(wc -c <"$work/authorized_keys") bytes;" \
  "types: $(awk '{for(i=1;i<=NF;i++) if ($i ~ /^(ssh-|ecdsa-)/) {print $i; break}}' "$work/authorized_keys" | sort | uniq -c | tr '\n' ' ')"

"$dir/bin/gangplank" ssh-key show "$work/authorized_keys" -o table >"$work/ours.txt"
ssh-keygen -l -f "$work/authorized_keys" >"$work/theirs.txt"
if ! cmp -s "$work/ours.txt" "$work/theirs.txt"; then
  diff "$work/ours.txt" "$work/theirs.txt" | head -n 10
  echo "outputs differ" >&2
  exit 1
fi
echo "outputs identical: $(wc -l <"$work/ours.txt") lines"

hyperfine -N --warmup 3 --runs 30 --export-json "$work/times.json" \
  -n gangplank "$dir/bin/gangplank ssh-key show $work/authorized_keys -o table" \
  -n ssh-keygen "ssh-keygen -l -f $work/authorized_keys"
python3 - "$work/times.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ours, theirs = results["gangplank"], results["ssh-keygen"]
print(f"median: gangplank {ours['median']*1000:.1f} ms, ssh-keygen {theirs['median']*1000:.1f} ms, "
      f"ratio {theirs['median']/ours['median']:.1f}x")
PY
