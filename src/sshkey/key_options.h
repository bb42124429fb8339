// authorized_keys options (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"): parsing, checking, rendering.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "sshkey/public_key.h"

namespace gangplank::sshkey {

// True when `token` starts like an option list rather than a key type (a known option name,
// possibly followed by '=' or ',').
bool StartsWithKeyOption(std::string_view token);

// Parses the option list at the start of `text` and advances `text` past it and the whitespace
// after it. Unknown options and malformed quoting are refused, as sshd refuses the whole line.
Result<std::vector<KeyOption>> ParseKeyOptions(std::string_view& text);

std::string RenderKeyOptions(const std::vector<KeyOption>& options);

}  // namespace gangplank::sshkey
