#!/usr/bin/env bash
# Whole-process comparison: `gangplank ssh-key show -o table` vs `ssh-keygen -l -f` on the same
# 10,000-line authorized_keys file; outputs must be identical line by line.
# Usage: bench/ssh_key_show_vs_ssh_keygen.sh [LINES]   (run from anywhere; builds Release first)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000}
./scripts/bootstrap
dir=${GANGPLANK_BENCH_BUILD:-$(./scripts/build --release)}
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

# compare NAME FILE: both tools on FILE, side by side in one hyperfine run; prints the medians.
compare() {
  local name=$1 file=$2
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/$name.json" \
    -n gangplank "$dir/bin/gangplank ssh-key show $file -o table" \
    -n ssh-keygen "ssh-keygen -l -f $file" >/dev/null 2>"$work/$name.err"
  python3 - "$work/$name.json" "$name" "$(wc -l <"$file")" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ours, theirs = results["gangplank"], results["ssh-keygen"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {ours['median']*1000:.1f} ms | "
      f"{theirs['median']*1000:.1f} ms | {theirs['median']/ours['median']:.1f}x |")
PY
}

echo "| file | lines | gangplank (median) | ssh-keygen -l (median) | ratio |"
echo "| --- | --- | --- | --- | --- |"
compare mixed "$work/authorized_keys"
# Per type, so the mix is not what makes the ratio: ssh-keygen validates ECDSA points expensively.
for type in ssh-ed25519 ssh-rsa ecdsa-sha2; do
  grep -e " $type" -e "^$type" "$work/authorized_keys" >"$work/only-$type"
  compare "$type only" "$work/only-$type"
done
