// Login events from sshd's log (LogLevel VERBOSE): who logged in, from where, with which key,
// accepted or refused — the audit trail of a node.
#pragma once

#include <optional>
#include <string_view>

#include "protocol/node_protocol.h"

namespace gangplank::node {

// One event for a line that records an authentication result, nullopt for any other line.
std::optional<protocol::LoginEvent> ParseLoginEvent(std::string_view line);

}  // namespace gangplank::node
