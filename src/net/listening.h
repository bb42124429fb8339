// Whether something listens on an address and port, from the kernel's socket tables: no
// connection is made (a connection to sshd makes it fork and re-exec itself).
#pragma once

#include <string>

namespace gangplank::net {

// True when a socket listens on ADDRESS:PORT (from /proc/net/tcp{,6}).
bool Listening(const std::string& address, int port);

}  // namespace gangplank::net
