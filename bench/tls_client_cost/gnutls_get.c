/* One HTTPS GET with GnuTLS, resuming the TLS session kept in a file, as the CLI does. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  if (argc != 4) return fprintf(stderr, "usage: %s CA PORT SESSION_FILE\n", argv[0]), 2;
  gnutls_certificate_credentials_t credentials;
  gnutls_certificate_allocate_credentials(&credentials);
  gnutls_session_t session;
  gnutls_init(&session, GNUTLS_CLIENT);
  gnutls_set_default_priority(session);
  unsigned char saved[16384];
  const size_t saved_size = ReadSession(argv[3], saved, sizeof saved);
  if (saved_size == 0 || gnutls_session_set_data(session, saved, saved_size) != 0) {
    gnutls_certificate_set_x509_trust_file(credentials, argv[1], GNUTLS_X509_FMT_PEM);
    gnutls_session_set_verify_cert(session, "127.0.0.1", 0);
  }
  gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, credentials);
  const int fd = ConnectLoopback(argv[2]);
  if (fd < 0) return 1;
  gnutls_transport_set_int(session, fd);
  int result;
  do result = gnutls_handshake(session);
  while (result < 0 && !gnutls_error_is_fatal(result));
  if (result < 0) return fprintf(stderr, "handshake: %s\n", gnutls_strerror(result)), 1;
  gnutls_record_send(session, kRequest, sizeof kRequest - 1);
  char reply[4096];
  ssize_t got;
  do got = gnutls_record_recv(session, reply, sizeof reply);
  while (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED);
  if (got <= 0) return fprintf(stderr, "no reply: %s\n", gnutls_strerror((int)got)), 1;
  printf("resumed=%d\n", gnutls_session_is_resumed(session));
  gnutls_datum_t data;
  if (!gnutls_session_is_resumed(session) && gnutls_session_get_data2(session, &data) == 0) {
    WriteSession(argv[3], data.data, data.size);
  }
  fflush(stdout);
  _exit(0); /* as the CLI ends: no cleanup */
}
