#!/usr/bin/env bash
# What one HTTPS GET on a resumed TLS session costs a new process, with OpenSSL 3 (what the CLI
# uses) and with GnuTLS (Debian's other maintained TLS library): instructions (callgrind, exact)
# and wall time (hyperfine), against `openssl s_server` on loopback. Also what loading each
# library (and Mbed TLS, the smallest TLS library Debian maintains) costs a program that does
# nothing: instructions and page faults (perf stat; on a VM a fault costs more than the
# instructions suggest).
# Usage: bench/tls_client_cost.sh [RUNS]     (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
./scripts/bootstrap --bench
work=$(mktemp -d /tmp/tls-client-cost-XXXXXX)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
src=bench/tls_client_cost
gcc -O2 -o "$work/openssl_get" "$src/openssl_get.c" -lssl -lcrypto
gcc -O2 -o "$work/gnutls_get" "$src/gnutls_get.c" -lgnutls
# The same GnuTLS client in a program that also loads OpenSSL (the CLI needs libcrypto for keys).
gcc -O2 -o "$work/gnutls_get_with_libcrypto" "$src/gnutls_get.c" -Wl,--no-as-needed -lgnutls -lcrypto
echo 'int main(void) { return 0; }' >"$work/empty.c"
gcc -O2 -o "$work/empty" "$work/empty.c"
gcc -O2 -o "$work/empty_openssl" "$work/empty.c" -Wl,--no-as-needed -lssl -lcrypto
gcc -O2 -o "$work/empty_gnutls" "$work/empty.c" -Wl,--no-as-needed -lgnutls
gcc -O2 -o "$work/empty_libcrypto" "$work/empty.c" -Wl,--no-as-needed -lcrypto
gcc -O2 -o "$work/empty_mbedtls" "$work/empty.c" -Wl,--no-as-needed -lmbedtls -lmbedx509 -lmbedcrypto

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert "$work/cert.pem" -key "$work/key.pem" -www \
  -quiet >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    awk '/Collected/ {print $NF}'
}
echo "machine: $(nproc) cores, $(uname -r), $(openssl version), GnuTLS $(dpkg-query -W -f='${Version}' libgnutls30)"
echo
echo "| program | instructions | resumed |"
echo "| --- | --- | --- |"
for client in openssl_get gnutls_get gnutls_get_with_libcrypto; do
  session="$work/$client.session"
  "$work/$client" "$work/cert.pem" "$port" "$session" >/dev/null  # a full handshake keeps a session
  resumed=$("$work/$client" "$work/cert.pem" "$port" "$session")
  echo "| $client (one GET, resumed session) | $(instructions "$work/$client" "$work/cert.pem" "$port" "$session") | ${resumed#resumed=} |"
done
for program in empty empty_openssl empty_gnutls; do
  echo "| $program (loading only) | $(instructions "$work/$program") | |"
done
echo
echo "| loading only | page faults (perf stat, 40 runs) |"
echo "| --- | --- |"
for program in empty empty_mbedtls empty_libcrypto empty_openssl empty_gnutls; do
  faults=$(perf stat -x, -r 40 -e page-faults "$work/$program" 2>&1 >/dev/null | awk -F, '/page-faults/ {print $1}')
  echo "| $program | $faults |"
done
echo
hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$work/times.md" \
  -n openssl_get "$work/openssl_get $work/cert.pem $port $work/openssl_get.session" \
  -n gnutls_get "$work/gnutls_get $work/cert.pem $port $work/gnutls_get.session" \
  -n gnutls_get_with_libcrypto \
  "$work/gnutls_get_with_libcrypto $work/cert.pem $port $work/gnutls_get_with_libcrypto.session" \
  >/dev/null
cat "$work/times.md"
