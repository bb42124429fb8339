// Level-based reconciliation of one node: files, host keys, users, sshd.
#include "node/node_agent.h"

#include <algorithm>
#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/file_io.h"
#include "common/process.h"
#include "node/identity_accounts.h"
#include "node/log_tail.h"
#include "node/login_events.h"

namespace gangplank::node {
namespace fs = std::filesystem;

Status EnsureLocalUser(const std::string& name) {
  if (::getpwnam(name.c_str()) != nullptr) return OkStatus();
  if (::geteuid() != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "AdminUserMissing",
                     "the admin user '" + name +
                         "' does not exist and only root can create it; run gangplank-node as "
                         "root or create the user");
  }
  const int status = RunToCompletion(
      {"/usr/sbin/useradd", "--create-home", "--shell", "/bin/bash", "--password", "*", name});
  // Another node may have created the same user a moment ago (useradd then exits 9).
  if (::getpwnam(name.c_str()) != nullptr) return OkStatus();
  // 2 and 3: useradd refuses its arguments (a name it does not take); trying again cannot help.
  const bool refused = status == 2 || status == 3;
  return MakeError(refused ? StatusCode::kInvalidArgument : StatusCode::kUnavailable,
                   "AdminUserNotCreated",
                   "useradd could not create the admin user '" + name + "' (exit status " +
                       std::to_string(status) + ")");
}

Status EnsureMachineAdminUser(const std::string& name, const fs::path& record,
                              const fs::path& sudoers_dir) {
  auto created = ReadFile(record, 4096);
  const bool ours = created && *created == name + "\n";
  if (const passwd* entry = ::getpwnam(name.c_str()); entry != nullptr && !ours) {
    return MakeError(StatusCode::kFailedPrecondition, "AdminUserIsSystemAccount",
                     "the admin user name '" + name + "' is an account of the node image (uid " +
                         std::to_string(entry->pw_uid) +
                         "); choose another adminUsername for the cluster");
  }
  if (!ours || ::getpwnam(name.c_str()) == nullptr) {
    if (Status made = EnsureLocalUser(name); !made.ok()) return made;
    if (Status recorded = WriteFileAtomically(record, name + "\n", 0600, IfExists::kReplace);
        !recorded.ok())
      return recorded;
  }
  // As on AKS, the admin user is root on its node when it asks (passwordless sudo): the node is
  // built to contain root, not to keep it out (seccomp, capabilities, cgroups, its own disk and
  // network; docs/security.md). sudo reads only files of mode 0440 owned by root.
  return WriteFileAtomically(sudoers_dir / "90-gangplank-admin",
                             name + " ALL=(ALL:ALL) NOPASSWD:ALL\n", 0440, IfExists::kReplace);
}

Status EnsureHostsEntry(const fs::path& hosts) {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return OkStatus();
  const std::string hostname = name;
  auto text = ReadFile(hosts, 1 << 20);
  std::string content = text ? *text : "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  std::istringstream lines(content);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string field;
    fields >> field;  // the address
    while (fields >> field)
      if (field == hostname) return OkStatus();
  }
  if (!content.empty() && content.back() != '\n') content += '\n';
  return WriteFileAtomically(hosts, content + "127.0.1.1\t" + hostname + "\n", 0644,
                             IfExists::kReplace);
}

NodeAgent::NodeAgent(NodeAgentOptions options)
    : options_(std::move(options)),
      sshd_(options_.sshd_path.empty() ? FindSshd() : options_.sshd_path, options_.layout),
      sshd_log_(options_.layout.sshd_log(), true) {
  if (auto text = ReadFile(options_.layout.applied_state(), 1 << 20)) {
    if (auto state = protocol::ParseDesiredNodeState(*text)) applied_ = *state;
  }
  // On a machine of its own sshd never outlives the agent (the node ends with it), so sshd can
  // log into a pipe the agent reads as it comes: no inotify instance (a host-wide limit, 128 by
  // default) and no polling of the log file.
  if (options_.whole_machine && ::pipe2(log_pipe_, O_CLOEXEC | O_NONBLOCK) == 0) {
    ::fcntl(log_pipe_[1], F_SETFL, 0);  // sshd's end blocks as a normal stderr does
    ::fcntl(log_pipe_[0], F_SETPIPE_SZ, 1 << 20);
    sshd_.LogTo(log_pipe_[1]);
  }
}

NodeAgent::~NodeAgent() {
  for (const int fd : log_pipe_)
    if (fd >= 0) ::close(fd);
}

void NodeAgent::DrainLogPipe() {
  if (log_pipe_[0] < 0) return;
  std::string text;
  char buffer[16384];
  for (ssize_t n; (n = ::read(log_pipe_[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<std::size_t>(n));
  if (text.empty()) return;
  (void)EnsureDirectory(options_.layout.sshd_log().parent_path(), 0700);
  const int log = ::open(options_.layout.sshd_log().c_str(),
                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) return;
  (void)!::write(log, text.data(), text.size());
  ::close(log);
}

void NodeAgent::Log(const std::string& line) {
  (void)EnsureDirectory(options_.layout.agent_log().parent_path(), 0700);
  AppendLogLine(options_.layout.agent_log(), line);
}

protocol::NodeStatus NodeAgent::Report(const protocol::DesiredNodeState& desired, const Error* problem) {
  protocol::NodeStatus status;
  if (applied_) {
    status.applied_model_version = applied_->model_version;
    status.image_version = applied_->image_version;
    status.reimage_generation = applied_->reimage_generation;
    status.ssh_enabled = applied_->ssh_enabled;
    status.entra_id = applied_->entra_id;
  }
  status.host_key_fingerprints = host_keys_.fingerprints;
  status.host_keys = host_keys_.public_keys;
  if (problem) {
    status.message = problem->message;
    if (WaitingMayHelp(problem->code)) {
      status.sshd_health = "Unhealthy";
    } else {
      status.sshd_health = "Failed";  // the operation waiting on this node fails at once
      status.failed_generation = desired.reimage_generation;
    }
  } else if (!desired.ServesSsh()) {
    status.sshd_health = desired.SettledHealth();
  } else if (sshd_.Running() && Listening(desired.address, desired.port)) {
    // The sshd that `sshd -t` passed on this configuration, listening: it has loaded its host
    // keys and accepts. Asked of the socket table, not by connecting: each connection costs sshd
    // a fork and a re-exec (20 ms of CPU, 8% of what a new node costs the host).
    status.sshd_health = "Healthy";
  } else {
    status.sshd_health = "Starting";
    status.message =
        "sshd is not listening on " + desired.address + ":" + std::to_string(desired.port) + " yet";
  }
  return status;
}

protocol::NodeStatus NodeAgent::Reconcile(const protocol::DesiredNodeState& desired) {
  // Steady state: nothing changed since the last full pass and sshd runs (or not) as it should.
  // The loop calls this on every event (a log write, a heartbeat); a full pass (files, host keys,
  // sshd's socket) runs on a change and at least every kFullPassInterval, so a file changed
  // behind the agent's back is repaired.
  const auto now = std::chrono::steady_clock::now();
  const bool unchanged =
      applied_ && *applied_ == desired && sshd_.Running() == desired.ServesSsh();
  if (last_good_ && unchanged && now - last_full_pass_ < kFullPassInterval) return *last_good_;
  if (starting_ && unchanged && now < next_starting_look_) return *starting_;
  if (options_.whole_machine && options_.machine_generation >= 0 &&
      desired.reimage_generation != options_.machine_generation) {
    // What the last full pass found (no look at sshd: this machine is about to go).
    protocol::NodeStatus replaced = last_good_ ? *last_good_ : applied_ ? Report(*applied_) : protocol::NodeStatus{};
    if (!applied_) {
      replaced.sshd_health = "Starting";
      replaced.message = "this machine is being replaced by a new one from the node image";
    }
    return replaced;
  }
  last_good_.reset();
  const auto fail = [&](const std::string& what, Error error) {
    error.message = what + ": " + error.message;
    Log(error.message);
    return Report(desired, &error);
  };
  if (!applied_ || applied_->reimage_generation != desired.reimage_generation) {
    // A reimage: nothing of the old provisioning survives but the logs.
    Log("provisioning generation " + std::to_string(desired.reimage_generation) + " from model " +
        std::to_string(desired.model_version) + ", image " + desired.image_version);
    sshd_.Stop();
    std::error_code ec;
    fs::remove_all(options_.layout.ssh_dir(), ec);
    fs::remove(options_.layout.applied_state(), ec);
    applied_.reset();
    host_keys_ = {};
  }
  if (Status secure = CheckSecurePath(options_.layout.dir); !secure.ok())
    return fail("node directory", secure.error());
  if (options_.whole_machine) {
    if (Status named = EnsureHostsEntry("/etc/hosts"); !named.ok())
      return fail("/etc/hosts", named.error());
  }
  if (options_.create_users && desired.ServesSsh()) {
    if (Status user = options_.whole_machine
                          ? EnsureMachineAdminUser(desired.admin_username,
                                                   options_.layout.dir / "admin-user",
                                                   "/etc/sudoers.d")
                          : EnsureLocalUser(desired.admin_username);
        !user.ok())
      return fail("admin user", user.error());
  }
  auto fingerprints = EnsureHostKeys(options_.layout);
  if (!fingerprints) return fail("host keys", fingerprints.error());
  host_keys_ = *fingerprints;
  auto changed = WriteSshdFiles(desired, options_.layout);
  if (!changed) return fail("sshd files", changed.error());
  if (Status identities = ReconcileIdentityLogins(desired); !identities.ok())
    return fail("identity logins", identities.error());
  if (desired.ServesSsh()) {
    if (*changed || !sshd_.Running()) {
      if (Status valid = sshd_.CheckConfig(); !valid.ok()) return fail("sshd", valid.error());
      if (Status started = *changed ? sshd_.Restart() : sshd_.EnsureRunning(); !started.ok())
        return fail("sshd", started.error());
      Log(std::string(*changed ? "sshd (re)started" : "sshd started") + " on " + desired.address +
          ":" + std::to_string(desired.port) + " with " +
          std::to_string(desired.public_keys.size()) + " authorized key(s)");
      // A fresh sshd takes a few milliseconds to listen; report it as it will be, not as
      // Starting. Watch the socket table, not the port: each connection costs sshd a re-exec.
      for (int i = 0; i < 400 && !Listening(desired.address, desired.port); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  } else if (sshd_.Running() || !applied_ || applied_->ServesSsh()) {
    sshd_.Stop();
    Log(desired.running ? "sshd stopped: SSH access is Disabled for this pool"
                        : "sshd stopped: the node is stopped");
  }
  if (!applied_ || *applied_ != desired) {
    if (Status saved = WriteFileAtomically(options_.layout.applied_state(),
                                           protocol::DesiredNodeStateJson(desired), 0600, IfExists::kReplace);
        !saved.ok())
      return fail("applied state", saved.error());
    applied_ = desired;
    Log("applied model " + std::to_string(desired.model_version));
  }
  protocol::NodeStatus status = Report(desired);
  starting_.reset();
  if (status.sshd_health == desired.SettledHealth()) {
    last_good_ = status;
    last_full_pass_ = now;
    starting_pause_ = std::chrono::milliseconds(0);
  } else if (status.sshd_health == "Starting") {
    starting_ = status;
    starting_pause_ = std::clamp(starting_pause_ * 2, std::chrono::milliseconds(200),
                                 std::chrono::milliseconds(3200));
    next_starting_look_ = now + starting_pause_;
  }
  return status;
}

Status NodeAgent::ReconcileIdentityLogins(const protocol::DesiredNodeState& desired) {
  const IdentityAccountPaths paths{.principals = options_.layout.principals_dir()};
  if (!desired.entra_id || !desired.ServesSsh()) {
    if (!options_.whole_machine || !applied_ || !applied_->entra_id) return OkStatus();
    return RemoveIdentityLogins(paths);
  }
  if (!options_.whole_machine) {
    return MakeError(StatusCode::kFailedPrecondition, "EntraIdNeedsWholeMachine",
                     "sshAccess EntraId makes an account per identity: it needs a node that is a "
                     "machine of its own (gangplankd's local nodes), not a shared host");
  }
  const bool changed = !applied_ || applied_->identity_logins != desired.identity_logins;
  GP_RETURN_IF_ERROR(WriteIdentityAccounts(desired.identity_logins, paths));
  if (changed) {
    const auto admins = std::count_if(desired.identity_logins.begin(),
                                      desired.identity_logins.end(),
                                      [](const auto& login) { return login.admin; });
    Log(std::to_string(desired.identity_logins.size()) + " identit" +
        (desired.identity_logins.size() == 1 ? "y" : "ies") + " may log in (" +
        std::to_string(admins) + " as administrators)");
  }
  return OkStatus();
}

bool NodeAgent::Supervise() {
  if (!applied_ || !applied_->ServesSsh() || sshd_.Running()) return false;
  if (!sshd_.EnsureRunning().ok()) return false;
  Log("sshd had stopped; started it again");
  return true;
}

std::vector<protocol::LoginEvent> NodeAgent::TakeLoginEvents() {
  DrainLogPipe();
  std::vector<protocol::LoginEvent> events;
  for (const std::string& line : sshd_log_.Take()) {
    if (auto event = login_reader_.Read(line)) {
      event->time = NowRfc3339();
      events.push_back(std::move(*event));
    }
  }
  // sshd appends to its log through an open descriptor: keep the newer half beside it and empty
  // the file in place (a rename would leave sshd writing to the old file).
  if (sshd_log_.offset() > kMaxLogBytes) {
    std::error_code ec;
    fs::copy_file(options_.layout.sshd_log(), options_.layout.sshd_log().string() + ".1",
                  fs::copy_options::overwrite_existing, ec);
    fs::resize_file(options_.layout.sshd_log(), 0, ec);
    sshd_log_.Restart();
  }
  return events;
}

}  // namespace gangplank::node
