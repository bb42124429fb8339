// The node protocol: what a node is told to be (its desired SSH state, from the pool model it was
// provisioned from) and what it reports back, as JSON between gangplankd and gangplank-node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace gangplank::protocol {

// An identity that may log into an EntraId node now (its role assignments at the node's scope,
// read live): `name` is what its certificates name (a lower-case user principal name or an
// application id); `admin` gives it passwordless sudo.
struct IdentityLogin {
  std::string name;
  bool admin = false;
  friend bool operator==(const IdentityLogin&, const IdentityLogin&) = default;
};

// Whether a name can be an identity's login on a node: a user principal name (one '@', letters,
// digits and . _ - on either side) or a GUID (an application id), never a local account's name
// (those have neither '@' nor 36 characters), at most 100 characters.
bool IsIdentityLoginName(std::string_view name);

struct DesiredNodeState {
  std::string node_name;  // aks-<pool>-<digits>-vmss00000N
  std::string address;    // the address sshd listens on
  int port = 22;
  std::string admin_username;            // the one user sshd lets in
  std::vector<std::string> public_keys;  // authorized_keys lines, already validated upstream
  bool ssh_enabled = true;  // securityProfile.sshAccess: LocalUser or EntraId (true) | Disabled
  // sshAccess EntraId: sshd trusts the user CAs below and takes no static key at all; the
  // identities below log in as themselves.
  bool entra_id = false;
  std::vector<std::string> trusted_user_ca_keys;  // public key lines of the control plane's CAs
  std::vector<IdentityLogin> identity_logins;     // live: who may log in now
  // The SSH user CA generation that signed when the node was provisioned or last reimaged: it
  // keeps trusting a CA retired after that until its next reimage (0: before CA rotation).
  int ssh_ca_generation = 0;
  std::int64_t model_version = 0;        // the pool model the node was provisioned from
  std::string image_version;
  std::int64_t reimage_generation = 0;  // bumped by every reimage: wipe and provision again
  bool running = true;  // powerState: a stopped node runs no sshd and keeps what it has

  // Whether sshd should run, and the health a node in this state reports once it is there.
  bool ServesSsh() const { return ssh_enabled && running; }
  const char* SettledHealth() const {
    return !running ? "Stopped" : ssh_enabled ? "Healthy" : "Disabled";
  }

  friend bool operator==(const DesiredNodeState&, const DesiredNodeState&) = default;
};

// securityProfile.sshAccess as the API spells it.
inline const char* SshAccessName(bool ssh_enabled, bool entra_id) {
  return !ssh_enabled ? "Disabled" : entra_id ? "EntraId" : "LocalUser";
}

// Parses and checks a desired state: a wrong field is InvalidArgument naming it.
Result<DesiredNodeState> ParseDesiredNodeState(std::string_view json_text);
std::string DesiredNodeStateJson(const DesiredNodeState& state);

struct LoginEvent {
  std::string time;  // RFC 3339, when the agent read the line
  std::string user;
  std::string source;  // client address
  int source_port = 0;
  std::string key_type;     // ED25519, RSA, ECDSA …, empty when no key was offered
  std::string fingerprint;  // SHA256:…
  bool accepted = false;
  // The name offered is not one of the node's users, or cannot be a Linux user name at all.
  bool invalid_user = false;
  std::string method;  // publickey, password, none …
  // A certificate's: its key id (<object id>@<tenant>), serial and the CA's fingerprint.
  std::string key_id;
  std::uint64_t serial = 0;
  std::string ca_fingerprint;
  std::string reason;  // why sshd refused it, when it said (an expired certificate …)
  // The pool model the node ran when it reported the login (set by the control plane, which
  // names the change that made that model: who put the key there).
  std::int64_t model_version = 0;
};

// What one report may carry: short fields such as imageVersion (longer: 400 QuotaExceeded), and
// the status message (cut to this length).
inline constexpr std::size_t kMaxReportFieldBytes = 256;
inline constexpr std::size_t kMaxReportMessageBytes = 2000;

struct NodeStatus {
  std::int64_t applied_model_version = 0;
  std::string image_version;
  std::int64_t reimage_generation = 0;
  bool ssh_enabled = true;
  bool entra_id = false;  // sshd takes certificates of the control plane's CA, no static key
  std::vector<std::string> host_key_fingerprints;  // "ED25519 SHA256:…", "ECDSA SHA256:…"
  std::vector<std::string> host_keys;              // the public host keys, for clients' known_hosts
  // Healthy (banner answered) | Starting | Unhealthy (may pass) | Failed (will not pass by
  // waiting: sshd refuses its configuration, a missing binary, a bad model) | Disabled | Stopped
  std::string sshd_health;
  std::string message;  // why, in plain words, when not Healthy
  // With Failed: the reimage generation of the desired state that cannot be provisioned, so a
  // failure reported before a reimage never fails the reimage.
  std::int64_t failed_generation = 0;
};

std::string NodeStatusJson(const NodeStatus& status);
Result<NodeStatus> ParseNodeStatus(std::string_view json_text);

std::string LoginEventsJson(const std::vector<LoginEvent>& events);
// Lenient: entries that are not login events are skipped.
std::vector<LoginEvent> ParseLoginEvents(std::string_view json_text);

}  // namespace gangplank::protocol
