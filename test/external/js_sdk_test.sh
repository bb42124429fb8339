#!/usr/bin/env bash
# Runs the seed page's flow with the newest official Azure JavaScript SDK (test/external/js, put
# there by scripts/bootstrap) against a real gangplankd. Usage: js_sdk_test.sh GANGPLANKD
source "$(dirname "$0")/lib.sh"
js="$(cd "$(dirname "$0")/js" && pwd)"
[ -d "$js/node_modules/@azure/arm-containerservice" ] || fail "the JavaScript SDK is not installed: run scripts/bootstrap"
start_gangplankd "$1"
NODE_EXTRA_CA_CERTS="$work/data/tls/ca.crt" node "$js/seed_flow_test.mjs" "$work/data" \
  || fail "JavaScript SDK seed flow"
