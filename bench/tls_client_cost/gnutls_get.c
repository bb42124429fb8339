/* One HTTPS GET with GnuTLS, resuming the TLS session kept in a file, as the CLI does. */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) return fprintf(stderr, "usage: %s CA PORT SESSION_FILE\n", argv[0]), 2;
  gnutls_certificate_credentials_t credentials;
  gnutls_certificate_allocate_credentials(&credentials);
  gnutls_session_t session;
  gnutls_init(&session, GNUTLS_CLIENT);
  gnutls_set_default_priority(session);
  unsigned char saved[16384];
  FILE* in = fopen(argv[3], "rb");
  size_t saved_size = in ? fread(saved, 1, sizeof saved, in) : 0;
  if (in) fclose(in);
  if (saved_size == 0 || gnutls_session_set_data(session, saved, saved_size) != 0) {
    gnutls_certificate_set_x509_trust_file(credentials, argv[1], GNUTLS_X509_FMT_PEM);
    gnutls_session_set_verify_cert(session, "127.0.0.1", 0);
  }
  gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, credentials);
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2])),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr*)&address, sizeof address) != 0) return perror("connect"), 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  gnutls_transport_set_int(session, fd);
  int result;
  do result = gnutls_handshake(session);
  while (result < 0 && !gnutls_error_is_fatal(result));
  if (result < 0) return fprintf(stderr, "handshake: %s\n", gnutls_strerror(result)), 1;
  static const char request[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  gnutls_record_send(session, request, sizeof request - 1);
  char reply[4096];
  ssize_t got;
  do got = gnutls_record_recv(session, reply, sizeof reply);
  while (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED);
  if (got <= 0) return fprintf(stderr, "no reply: %s\n", gnutls_strerror((int)got)), 1;
  printf("resumed=%d\n", gnutls_session_is_resumed(session));
  gnutls_datum_t data;
  if (!gnutls_session_is_resumed(session) && gnutls_session_get_data2(session, &data) == 0) {
    FILE* file = fopen(argv[3], "wb");
    if (file) fwrite(data.data, 1, data.size, file), fclose(file);
  }
  fflush(stdout);
  _exit(0); /* as the CLI ends: no cleanup */
}
