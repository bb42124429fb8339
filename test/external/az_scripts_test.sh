#!/usr/bin/env bash
# Shell scripts written for az run unchanged with `az` being gangplank (a PATH entry named az):
# az_scripts/ssh_page.sh runs first with the real az 2.45 (so it is an az script), then with
# gangplank; az_scripts/ssh_key_rotation.sh needs a newer az than Debian's, and runs with gangplank.
# Usage: az_scripts_test.sh GANGPLANKD GANGPLANK
source "$(dirname "$0")/lib.sh"
scripts=$(cd "$(dirname "$0")/az_scripts" && pwd)
gangplankd_args=(--nodes simulated)
start_gangplankd "$1"

run_script() {  # NAME SCRIPT: in a fresh home and working directory
  mkdir -p "$work/$1/home" "$work/$1/cwd"
  (cd "$work/$1/cwd" && HOME="$work/$1/home" bash "$scripts/$2") >"$work/log-$1" 2>&1 \
    || fail "$2 with $1: $(tail -5 "$work/log-$1")"
  tail -1 "$work/log-$1"
}

az_login
run_script az ssh_page.sh

mkdir -p "$work/bin"
ln -s "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")" "$work/bin/az"
gangplank_login "$2"
expect_eq "$(PATH="$work/bin:$PATH" command -v az)" "$work/bin/az" "az is gangplank on the PATH"
PATH="$work/bin:$PATH" az --help | grep -q "^Usage: gangplank" || fail "az on the PATH is not gangplank"
PATH="$work/bin:$PATH" run_script gangplank ssh_page.sh
PATH="$work/bin:$PATH" run_script gangplank-rotation ssh_key_rotation.sh
