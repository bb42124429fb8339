/* What both TLS clients do alike: the session file, the loopback connection, the request. */
#pragma once
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>

static const char kRequest[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";

/* The saved session's bytes into `buffer` (0: none yet). */
static size_t ReadSession(const char* path, unsigned char* buffer, size_t size) {
  FILE* in = fopen(path, "rb");
  const size_t read = in ? fread(buffer, 1, size, in) : 0;
  if (in) fclose(in);
  return read;
}

static void WriteSession(const char* path, const void* data, size_t size) {
  FILE* out = fopen(path, "wb");
  if (out) fwrite(data, 1, size, out), fclose(out);
}

/* A TCP connection to 127.0.0.1:PORT without Nagle's delay, as the CLI opens; -1 on failure. */
static int ConnectLoopback(const char* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(port)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr*)&address, sizeof address) != 0) return perror("connect"), -1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}
