#!/usr/bin/env bash
# Runs sdk_test.py (Debian's python3-azure) against a real gangplankd. Usage: sdk_test.sh GANGPLANKD
source "$(dirname "$0")/lib.sh"
start_gangplankd "$1"
REQUESTS_CA_BUNDLE="$work/data/tls/ca.crt" /usr/bin/python3 "$(dirname "$0")/sdk_test.py" "$work/data" \
  || fail "Azure SDK for Python test"
