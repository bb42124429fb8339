#!/usr/bin/env bash
# Runs a Python SDK scenario (Debian's python3-azure) against a real gangplankd.
# Usage: sdk_test.sh GANGPLANKD [SCRIPT]   (default: sdk_test.py beside this file)
source "$(dirname "$0")/lib.sh"
script=${2:-sdk_test.py}
start_gangplankd "$1"
REQUESTS_CA_BUNDLE="$work/data/tls/ca.crt" /usr/bin/python3 "$(dirname "$0")/$script" "$work/data" \
  || fail "Azure SDK for Python: $script"
