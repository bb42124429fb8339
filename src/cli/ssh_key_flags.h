// The three SSH key flags of `aks create` / `aks update`, with az's spellings, on any command.
#pragma once

#include <CLI/App.hpp>

#include "sshkey/resolve.h"

namespace gangplank::cli {

// Adds --ssh-key-value, --generate-ssh-keys (also --generate-ssh-key) and --no-ssh-key, filling
// `flags`; resolution happens later with sshkey::ResolveSshKey so nothing is sent before it.
void AddSshKeyFlags(CLI::App& command, sshkey::SshKeyFlags& flags);

}  // namespace gangplank::cli
