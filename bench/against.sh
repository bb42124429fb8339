#!/usr/bin/env bash
# Runs a benchmark for an earlier commit and for this tree, one after the other, ROUNDS times:
# on a shared machine only figures measured side by side compare.
# Usage: bench/against.sh REV [ROUNDS] -- BENCH [ARGS...]
#   e.g. bench/against.sh 2ed4a49 2 -- bench/node_upgrade.sh 200 33%
# REV is built (Release, without tests) in a worktree under /var/tmp, kept for the next run;
# this tree is built with scripts/build --release. This tree's benchmark runs against both builds
# (every benchmark takes the build to measure from GANGPLANK_BENCH_BUILD).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '4,5p' "$0" >&2; exit 2; }
rev=$(git rev-parse --short "$1^{commit}") || { echo "against: $1 is not a commit" >&2; exit 2; }
shift
rounds=1
if [ "$1" != "--" ]; then rounds=$1; shift; fi
[ "${1:-}" = "--" ] || { echo "against: put -- before the benchmark's command" >&2; exit 2; }
shift

before=/var/tmp/gangplank-against-$rev
if [ ! -d "$before" ]; then git worktree add --detach "$before" "$rev" >/dev/null; fi
cmake -S "$before" -B "$before/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGANGPLANK_TESTS=OFF >/dev/null
cmake --build "$before/build-release" -j2 >/dev/null
after=$(./scripts/build --release)

for round in $(seq "$rounds"); do
  for build in "$before/build-release" "$PWD/$after"; do
    echo "== round $round: $([ "$build" = "$before/build-release" ] && echo "$rev" || echo "this tree") ($(date +%T))"
    GANGPLANK_BENCH_BUILD=$build "$@"
  done
done
echo "(the worktree of $rev stays in $before: git worktree remove $before)"
