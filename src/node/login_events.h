// Login events from sshd's log (LogLevel VERBOSE): who logged in, from where, with which key,
// accepted or refused — the audit trail of a node.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/node_protocol.h"

namespace gangplank::node {

// One event for a line that records an authentication result, nullopt for any other line. A
// certificate's key id, serial and CA come from the end of the line sshd writes for it.
std::optional<protocol::LoginEvent> ParseLoginEvent(std::string_view line);

// ParseLoginEvent over a log read in order, which also keeps why sshd refused a certificate:
// sshd says it on the line just before ("Certificate invalid: expired", "Certificate does not
// contain an authorized principal"); a refused certificate with no such line was not signed by a
// CA the node trusts.
class LoginEventReader {
 public:
  std::optional<protocol::LoginEvent> Read(std::string_view line);

 private:
  std::string reason_;  // from the line before, for the line after only
};

}  // namespace gangplank::node
