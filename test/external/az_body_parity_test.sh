#!/usr/bin/env bash
# Parity with the unmodified az 2.45: the same command lines through az and through gangplank send
# the same requests with the same JSON bodies, field by field (az_body_parity.py says what may
# differ), and print the same text (az_output_parity.py). Nodes are simulated: what is compared is
# what the clients send and print.
# Usage: az_body_parity_test.sh GANGPLANKD GANGPLANK
source "$(dirname "$0")/lib.sh"
gangplankd_args=(--nodes simulated)
start_gangplankd "$1"
export HOME="$work/home"
mkdir -p "$HOME"
az_login
gangplank_login "$2"
/usr/bin/python3 "$(dirname "$0")/az_body_parity.py" "$2" "$work" || fail "body parity"
/usr/bin/python3 "$(dirname "$0")/az_output_parity.py" "$2" "$work" || fail "output parity"
