// The files a node's sshd runs from: sshd_config and authorized_keys rendered from the desired
// state, host keys generated once per provisioning, and the node directory's layout.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "protocol/node_protocol.h"

namespace gangplank::node {

// Everything a node keeps, under one directory. `ssh/` is wiped by a reimage.
struct NodeLayout {
  std::filesystem::path dir;

  std::filesystem::path ssh_dir() const { return dir / "ssh"; }
  std::filesystem::path sshd_config() const { return ssh_dir() / "sshd_config"; }
  std::filesystem::path authorized_keys() const { return ssh_dir() / "authorized_keys"; }
  // EntraId: the CAs sshd trusts, and per account the one principal it takes (principals/NAME).
  std::filesystem::path trusted_user_ca_keys() const { return ssh_dir() / "trusted_user_ca_keys"; }
  std::filesystem::path principals_dir() const { return ssh_dir() / "principals"; }
  std::filesystem::path host_key(std::string_view type) const {
    return ssh_dir() / ("ssh_host_" + std::string(type) + "_key");
  }
  std::filesystem::path sshd_pid() const { return dir / "sshd.pid"; }
  std::filesystem::path sshd_log() const { return dir / "logs" / "sshd.log"; }
  std::filesystem::path agent_log() const { return dir / "logs" / "agent.log"; }
  std::filesystem::path applied_state() const { return dir / "applied.json"; }
};

// Public-key auth only, no passwords, no root, only the admin user, on the node's address. An
// EntraId node instead takes certificates of the trusted CAs only, no static key at all, for an
// account whose principals file names the certificate's principal (the agent keeps one for
// each identity that may log in now and removes it when that ends).
std::string RenderSshdConfig(const protocol::DesiredNodeState& state, const NodeLayout& layout);
// One validated key per line; a node whose model has no key gets an empty file (nobody gets in).
std::string RenderAuthorizedKeys(const protocol::DesiredNodeState& state);

// sshd's StrictModes refuses files whose directories a user other than root (or the file's user)
// could change; this says which component would fail, before sshd does.
Status CheckSecurePath(const std::filesystem::path& path);

struct HostKeys {
  std::vector<std::string> fingerprints;  // "ED25519 SHA256:…" style
  std::vector<std::string> public_keys;   // "ssh-ed25519 AAAA… root@gangplank-node"
};

// Generates the ed25519 and ECDSA host keys that are missing (0600, public halves 0644) and
// returns all of them.
Result<HostKeys> EnsureHostKeys(const NodeLayout& layout);

// Writes sshd_config and authorized_keys atomically (0644, files owned by root pass StrictModes);
// returns true when either changed.
Result<bool> WriteSshdFiles(const protocol::DesiredNodeState& state, const NodeLayout& layout);

}  // namespace gangplank::node
