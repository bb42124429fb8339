#!/usr/bin/env bash
# The README's first command as a newcomer meets it: ./scripts/demo with /run empty (no directory
# for sshd's privilege separation, as after a boot where the ssh service never ran), no earlier
# data dir, node dir or config; checks every step's result and that the demo leaves no process
# and no directory behind.
# Usage: test/fresh_machine/demo_check.sh   (as root; scripts/test --ci runs it)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "demo check: needs root: the demo's nodes run a real sshd on port 22" >&2
  exit 1
fi

if [ "${1:-}" != --inside ]; then
  # A PID namespace holds every process the demo starts, detached nodes included: what is left in
  # it afterwards is a leftover, and it all ends with the namespace even when the check fails. A
  # mount namespace gives the demo an empty /run without touching the machine's.
  exec unshare --pid --fork --kill-child --mount-proc --propagation private \
    "$0" --inside
fi

mount -t tmpfs -o mode=0755 gangplank-fresh-run /run
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
state_before=$(find /var/lib/gangplank -mindepth 1 2>/dev/null | sort || true)
links_before=$(ip -o link show | grep -oE 'gp-node-[0-9]+|gpv[0-9a-f]+' | sort || true)

failures=0
fail() { echo "demo check: FAILED: $*" >&2; failures=$((failures + 1)); }
expect() {  # expect DESCRIPTION EXTENDED-REGEX: some line of the demo's output matches
  if ! grep -Eq -- "$2" "$work/demo.log"; then fail "$1 (no line matches /$2/)"; fi
}

echo "demo check: /run is a fresh tmpfs with $(ls -A /run | wc -l) entries"
start=$(date +%s)
set +e
TMPDIR="$work/tmp" "$root/scripts/demo" </dev/null 2>&1 | tee "$work/demo.log"
status=${PIPESTATUS[0]}
set -e
echo "demo check: the demo exited $status after $(( $(date +%s) - start )) s"
[ "$status" = 0 ] || fail "./scripts/demo exited $status"

# Each step did what it says.
expect "the control plane started" '^\$ gangplank local up '
expect "the cluster was created and succeeded" '^demo +Succeeded +azureuser'
expect "--generate-ssh-keys wrote the private key 0600" '^-rw------- .* id_rsa$'
expect "--generate-ssh-keys wrote the public key 0644" '^-rw-r--r-- .* id_rsa\.pub$'
expect "a missing key file is refused" "^refused \(exit 1\): .*missing\.pub"
expect "a private key is refused" "^refused \(exit 1\): .*private key"
expect "a mistyped command gets a suggestion" "^refused \(exit 2\): .*Did you mean create"
expect "both nodes run the latest model" '^aks-nodepool1-[0-9]+-vmss00000[01] +nodepool1 +10\.[0-9.]+ +22 +Running +AKS[^ ]+ +True +LocalUser'
expect "ssh logged into a node, a machine of its own" '^logged in as azureuser on aks-nodepool1-[0-9]+-vmss00000[01] \(10\.[0-9.]+ [0-9]+ 10\.[0-9.]+ 22\), [0-9]+ processes in sight$'
expect "the old key works before the upgrade" '^old key still works until the upgrade$'
expect "the new key works after the upgrade" '^new key works$'
expect "the login audit shows an accepted login" ' azureuser +10\.[0-9.]+ +SHA256:[^ ]+ +Accepted$'
expect "az lists the pool" '^nodepool1 +2 +.* Succeeded$'
refusals=$(grep -c '^refused (exit' "$work/demo.log" || true)
[ "$refusals" = 5 ] || fail "5 refused commands expected, saw $refusals"
if grep -q 'unexpectedly accepted' "$work/demo.log"; then fail "a command that must fail succeeded"; fi
running=$(grep -Ec '^aks-nodepool1-[0-9]+-vmss[0-9]+ .*Running' "$work/demo.log" || true)
[ "$running" -ge 4 ] || fail "two nodes Running in both machine lists expected, saw $running rows"

# Nothing left behind: no process but this script, no scratch HOME, no node directory.
ps -eo pid=,stat=,args= >"$work/ps"  # not in $(…): that would list its own subshell
leftover=$(awk '$1 != 1 && $2 !~ /^Z/ && $3 != "ps"' "$work/ps" | grep -v -- "$0 --inside" || true)
if [ -n "$leftover" ]; then fail "processes left running:"$'\n'"$leftover"; fi
if [ -n "$(ls -A "$work/tmp")" ]; then fail "left in TMPDIR: $(ls -A "$work/tmp")"; fi
state_after=$(find /var/lib/gangplank -mindepth 1 2>/dev/null | sort || true)
added=$(comm -13 <(echo "$state_before") <(echo "$state_after"))
if [ -n "$added" ]; then fail "left under /var/lib/gangplank: $(echo "$added" | head -5)"; fi
# Nor anything of the nodes: no node bridge or veth, no overlay mount.
links_after=$(ip -o link show | grep -oE 'gp-node-[0-9]+|gpv[0-9a-f]+' | sort || true)
links=$(comm -13 <(echo "$links_before") <(echo "$links_after"))
if [ -n "$links" ]; then fail "network links left: $links"; fi
if grep -q '^overlay .*/bundle/rootfs ' /proc/self/mounts; then fail "a node's overlay is still mounted"; fi

if [ "$failures" -gt 0 ]; then
  echo "demo check: $failures check(s) failed" >&2
  exit 1
fi
echo "demo check: every step as expected; nothing left behind"
