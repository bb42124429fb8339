/* One HTTPS GET with OpenSSL 3, resuming the TLS session kept in a file, as the CLI does. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <unistd.h>

#include "common.h"

static SSL_SESSION* fresh;
static int on_new_session(SSL* ssl, SSL_SESSION* session) {
  (void)ssl;
  if (fresh) SSL_SESSION_free(fresh);
  fresh = session;
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 4) return fprintf(stderr, "usage: %s CA PORT SESSION_FILE\n", argv[0]), 2;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  SSL* ssl = SSL_new(ctx);
  unsigned char saved[16384];
  const size_t saved_size = ReadSession(argv[3], saved, sizeof saved);
  const unsigned char* at = saved;
  SSL_SESSION* session = saved_size ? d2i_SSL_SESSION(NULL, &at, (long)saved_size) : NULL;
  if (session) {
    SSL_set_session(ssl, session);
    SSL_SESSION_free(session);
  } else {
    SSL_CTX_load_verify_locations(ctx, argv[1], NULL);
    SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  }
  const int fd = ConnectLoopback(argv[2]);
  if (fd < 0) return 1;
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) return ERR_print_errors_fp(stderr), 1;
  SSL_write(ssl, kRequest, sizeof kRequest - 1);
  char reply[4096];
  if (SSL_read(ssl, reply, sizeof reply) <= 0) return fprintf(stderr, "no reply\n"), 1;
  printf("resumed=%d\n", SSL_session_reused(ssl));
  if (!SSL_session_reused(ssl) && fresh) {
    unsigned char der[16384], *out = der;
    int size = i2d_SSL_SESSION(fresh, NULL);
    if (size > 0 && size <= (int)sizeof der && i2d_SSL_SESSION(fresh, &out) == size) {
      WriteSession(argv[3], der, (size_t)size);
    }
  }
  fflush(stdout);
  _exit(0); /* as the CLI ends: no cleanup */
}
