// The real-host agent: a drop-in config, the user's authorized_keys, the host's sshd commands.
#include "node/host_agent.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "common/file_io.h"
#include "common/process.h"
#include "node/login_events.h"
#include "node/sshd_process.h"
#include "node/user_files.h"
#include "sshkey/fingerprint.h"
#include "sshkey/parse.h"

namespace gangplank::node {
namespace fs = std::filesystem;

namespace {

fs::path Under(const fs::path& root, const fs::path& path) {
  return root == "/" ? path : root / path.relative_path();
}

// Only the settings Gangplank owns; the host's own sshd_config keeps the rest (Debian's includes
// sshd_config.d/*.conf first, and the first value of a setting wins).
std::string RenderDropIn(const protocol::DesiredNodeState& state) {
  return "# Managed by gangplank-node (model " + std::to_string(state.model_version) +
         "); it is rewritten on every change.\n"
         "PubkeyAuthentication yes\n"
         "PasswordAuthentication no\n"
         "KbdInteractiveAuthentication no\n"
         "PermitRootLogin no\n"
         "AllowUsers " +
         state.admin_username + "\nLogLevel VERBOSE\n";
}

}  // namespace

HostAgent::HostAgent(HostAgentOptions options) : options_(std::move(options)) {
  if (auto text = ReadFile(options_.state_dir / "applied.json", 1 << 20)) {
    if (auto state = protocol::ParseDesiredNodeState(*text)) applied_ = *state;
  }
  if (!options_.sshd_log.empty()) sshd_log_.emplace(options_.sshd_log, true);
}

fs::path HostAgent::DropIn() const {
  return Under(options_.root, "/etc/ssh/sshd_config.d/50-gangplank.conf");
}

fs::path HostAgent::AuthorizedKeys(const std::string& user) const {
  if (options_.root != "/") return options_.root / "home" / user / ".ssh" / "authorized_keys";
  const passwd* entry = ::getpwnam(user.c_str());
  const std::string home = entry ? entry->pw_dir : "/home/" + user;
  return fs::path(home) / ".ssh" / "authorized_keys";
}

void HostAgent::Log(const std::string& line) {
  AppendLogLine(options_.state_dir / "agent.log", line);
}

Status HostAgent::Run(const std::string& command, const std::string& what) {
  const int status = RunToCompletion({"/bin/sh", "-c", command});
  if (status == 0) return OkStatus();
  return MakeError(StatusCode::kUnavailable, "SshdCommandFailed",
                   "'" + command + "' (" + what + ") failed with status " + std::to_string(status));
}

protocol::NodeStatus HostAgent::Reconcile(const protocol::DesiredNodeState& desired) {
  protocol::NodeStatus status;
  const auto fail = [&](const std::string& what, const Error& error) {
    Log(what + ": " + error.message);
    status.sshd_health = "Unhealthy";
    status.message = what + ": " + error.message;
    return status;
  };
  // A real host keeps its host keys: report the ones sshd serves.
  for (const char* type : {"ed25519", "ecdsa", "rsa"}) {
    auto text = ReadFile(
        Under(options_.root, std::string("/etc/ssh/ssh_host_") + type + "_key.pub"), 64 * 1024);
    if (!text) continue;
    if (auto key = sshkey::ParseSinglePublicKey(*text)) {
      status.host_key_fingerprints.push_back(std::string(key->algorithm->label) + " " +
                                             sshkey::Fingerprint(*key));
      status.host_keys.push_back(key->ToPublicKeyLine());
    }
  }
  if (desired.entra_id) {
    // The host's own sshd and accounts are the administrator's: they are not rewritten.
    status.sshd_health = "Failed";
    status.failed_generation = desired.reimage_generation;
    status.message = "sshAccess EntraId is not available on host nodes (gangplank-node --host): "
                     "use LocalUser or Disabled for this pool";
    Log(status.message);
    return status;
  }
  if (options_.create_users && desired.ServesSsh()) {
    if (Status user = EnsureLocalUser(desired.admin_username); !user.ok())
      return fail("admin user", user.error());
  }
  const bool changed = !applied_ || *applied_ != desired;
  if (changed && desired.ServesSsh()) {
    const passwd* entry = ::getpwnam(desired.admin_username.c_str());
    if (entry == nullptr)
      return fail("admin user", MakeError(StatusCode::kNotFound, "AdminUserMissing",
                                          desired.admin_username + " does not exist"));
    // ~/.ssh 0700 and authorized_keys 0600, both the user's, written without following links.
    // The home is there on a real host (useradd made it); under a test root it is made here.
    const fs::path keys = AuthorizedKeys(desired.admin_username);
    const bool test_root = options_.root != "/";
    if (test_root) {
      if (Status homes = EnsureDirectory(keys.parent_path().parent_path().parent_path(), 0755);
          !homes.ok())
        return fail("authorized_keys", homes.error());
    }
    if (Status written = WriteAuthorizedKeys(
            {entry->pw_uid, entry->pw_gid, keys.parent_path().parent_path()},
            RenderAuthorizedKeys(desired), test_root);
        !written.ok())
      return fail("authorized_keys", written.error());
    if (Status dir = EnsureDirectory(DropIn().parent_path(), 0755); !dir.ok())
      return fail("sshd drop-in", dir.error());
    if (Status written =
            WriteFileAtomically(DropIn(), RenderDropIn(desired), 0644, IfExists::kReplace);
        !written.ok())
      return fail("sshd drop-in", written.error());
    // What systemd's unit does before a reload (sshd -t): a drop-in sshd refuses never reaches the
    // running sshd. The check also makes sshd's privilege separation directory where the ssh
    // service never ran (a fresh host's /run is empty).
    const std::string sshd = options_.sshd_path.empty() ? FindSshd() : options_.sshd_path;
    if (Status checked = CheckSshdConfig(sshd, options_.root / "etc/ssh/sshd_config");
        !checked.ok())
      return fail("sshd", checked.error());
    const bool was_disabled = applied_ && !applied_->ServesSsh();
    if (Status applied = Run(was_disabled ? options_.start_command : options_.reload_command,
                             was_disabled ? "start sshd" : "reload sshd");
        !applied.ok())
      return fail("sshd", applied.error());
    Log("applied model " + std::to_string(desired.model_version) + " with " +
        std::to_string(desired.public_keys.size()) + " authorized key(s)");
  } else if (changed) {
    if (Status stopped = Run(options_.stop_command, "stop sshd"); !stopped.ok())
      return fail("sshd", stopped.error());
    Log(desired.running ? "sshd stopped: SSH access is Disabled" : "sshd stopped: the node is stopped");
  }
  if (changed) {
    if (Status dir = EnsureDirectory(options_.state_dir, 0700); !dir.ok())
      return fail("state", dir.error());
    if (Status saved = WriteFileAtomically(options_.state_dir / "applied.json",
                                           protocol::DesiredNodeStateJson(desired), 0600, IfExists::kReplace);
        !saved.ok())
      return fail("state", saved.error());
    applied_ = desired;
  }
  status.applied_model_version = desired.model_version;
  status.image_version = desired.image_version;
  status.reimage_generation = desired.reimage_generation;
  status.ssh_enabled = desired.ssh_enabled;
  if (!desired.ServesSsh()) {
    status.sshd_health = desired.SettledHealth();
  } else {
    bool answers = false;
    for (int i = 0; i < 100 && !answers; ++i) {
      answers = Listening(desired.address, desired.port) &&
                SshBannerAnswers(desired.address, desired.port, std::chrono::milliseconds(500));
      if (!answers) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    status.sshd_health = answers ? "Healthy" : "Unhealthy";
    if (!answers) status.message = "the host's sshd does not answer on " + desired.address;
  }
  return status;
}

std::vector<protocol::LoginEvent> HostAgent::TakeLoginEvents() {
  std::vector<protocol::LoginEvent> events;
  if (!sshd_log_) return events;
  for (const std::string& line : sshd_log_->Take()) {
    if (auto event = login_reader_.Read(line)) {
      event->time = NowRfc3339();
      events.push_back(std::move(*event));
    }
  }
  return events;
}

void HostAgent::StopSshd() { (void)Run(options_.stop_command, "stop sshd"); }

}  // namespace gangplank::node
