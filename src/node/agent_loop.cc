// The agent loop, its watcher thread, and its two sources of desired state.
#include "node/agent_loop.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <ostream>
#include <thread>

#include "common/clock.h"
#include "common/file_io.h"
#include "node/log_tail.h"

namespace gangplank::node {
namespace json = boost::json;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxLogPerReport = 32 * 1024;
constexpr std::size_t kMaxUnsentLogins = 200;  // what the control plane keeps per machine too

// The new lines of a log, each marked with where it came from.
std::string Prefixed(LogTail& tail, const std::string& prefix, std::size_t limit) {
  std::string text;
  for (const auto& line : tail.Take(limit)) text += prefix + line + "\n";
  return text;
}

std::string ContentTag(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return std::to_string(hash);
}

// A descriptor closed when it goes out of scope.
struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int value) : fd(value) {}
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() { Reset(-1); }
  void Reset(int value) {
    if (fd >= 0) ::close(fd);
    fd = value;
  }
};

// What the watcher thread hands the loop: the newest desired state or why there is none.
class Mailbox {
 public:
  Mailbox() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  int fd() const { return event_.fd; }

  void Put(Result<DesiredReply> reply) {
    {
      std::lock_guard lock(mutex_);
      if (!reply) {
        error_ = reply.error();
      } else {
        error_.reset();
        if (reply->state) state_ = std::move(reply->state);
      }
    }
    const std::uint64_t one = 1;
    (void)!::write(event_.fd, &one, sizeof one);
  }

  // The latest state (kept across calls) and the latest error.
  void Take(std::optional<protocol::DesiredNodeState>& state, std::optional<Error>& error) {
    std::uint64_t count = 0;
    (void)!::read(event_.fd, &count, sizeof count);
    std::lock_guard lock(mutex_);
    state = state_;
    error = error_;
  }

  // Blocks until the first answer (--once).
  void AwaitFirst() {
    pollfd entry{event_.fd, POLLIN, 0};
    ::poll(&entry, 1, -1);
  }

 private:
  OwnedFd event_;
  std::mutex mutex_;
  std::optional<protocol::DesiredNodeState> state_;
  std::optional<Error> error_;
};

// The watcher's pause between two asks, which the loop's end cuts short. It used to sleep in
// 50 ms ticks to look at `stop`: the 2,000 agents of a deleted pool, each waiting 5 s between
// asks that its machine is gone, woke 40,000 times a second and kept the host's run queue at 400.
class Pause {
 public:
  void For(std::chrono::milliseconds length) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, length, [this] { return ended_; });
  }
  void End() {
    {
      std::lock_guard lock(mutex_);
      ended_ = true;
    }
    wake_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool ended_ = false;
};

// Asks the source for changes until `stop`: a long poll when the source can wait, otherwise a
// poll every interval; a failure is retried after a growing pause (up to 5 s).
void WatchDesiredState(DesiredStateSource& source, const AgentLoopOptions& options,
                       const std::atomic<bool>& stop, Mailbox& mailbox, Pause& pause_between) {
  std::string known;
  auto pause = std::chrono::milliseconds(100);
  while (!stop) {
    const auto started = SteadyClock::now();
    auto reply = source.Fetch(known, options.once ? std::chrono::seconds(0) : options.wait);
    const bool failed = !reply;
    const bool unchanged = reply && !reply->state;
    if (reply && reply->state) known = reply->etag;
    mailbox.Put(std::move(reply));
    if (options.once || stop) return;
    auto sleep = std::chrono::milliseconds(0);
    if (failed) {
      sleep = pause;
      pause = std::min(pause * 2, std::chrono::milliseconds(5000));
    } else {
      pause = std::chrono::milliseconds(100);
      const auto took =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
      if (unchanged && took < options.interval) sleep = options.interval - took;
    }
    if (sleep.count() > 0 && !stop) pause_between.For(sleep);
  }
}

// The events the loop sleeps on besides the mailbox: writes in the directories of the logs it
// reads (login events) and the exit of sshd (a pidfd).
class AgentEvents {
 public:
  AgentEvents(const std::vector<fs::path>& logs, int log_fd)
      : inotify_(logs.empty() ? -1 : ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)),
        log_fd_(log_fd),
        logs_(!logs.empty()) {
    for (const fs::path& log : logs) {
      std::error_code ec;
      fs::create_directories(log.parent_path(), ec);
      ::inotify_add_watch(inotify_.fd, log.parent_path().c_str(),
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO);
    }
  }

  void FollowPid(pid_t pid) {
    if (pid == pid_) return;
    pid_ = pid;
    pidfd_.Reset(pid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)) : -1);
  }

  void Wait(int mailbox, std::chrono::milliseconds timeout) {
    // Without inotify (fs.inotify.max_user_instances, 128 by default, is shared by every root
    // process on the host, nodes included), the logs are looked at every second instead.
    if (logs_ && inotify_.fd < 0) timeout = std::min(timeout, std::chrono::milliseconds(1000));
    // Negative descriptors (no inotify, no log pipe, no sshd) are ignored by poll().
    pollfd entries[4] = {{mailbox, POLLIN, 0},
                         {inotify_.fd, POLLIN, 0},
                         {log_fd_, POLLIN, 0},
                         {pidfd_.fd, POLLIN, 0}};
    ::poll(entries, 4, static_cast<int>(timeout.count()));
    if (entries[1].revents != 0) {
      char buffer[4096];
      while (::read(inotify_.fd, buffer, sizeof buffer) > 0) {
      }
    }
    if (pidfd_.fd >= 0 && entries[3].revents != 0) FollowPid(-1);  // exited: Supervise acts
  }

 private:
  OwnedFd inotify_;
  int log_fd_;  // the agent's: readable when sshd logged (the agent drains it)
  bool logs_;   // there are logs to watch (with inotify, or every second without)
  OwnedFd pidfd_{-1};
  pid_t pid_ = -1;
};

}  // namespace

ControlPlaneSource::ControlPlaneSource(std::unique_ptr<net::HttpClient> watch_client,
                                       std::unique_ptr<net::HttpClient> report_client,
                                       std::string token, std::string token_file,
                                       const Clock& clock)
    : watch_client_(std::move(watch_client)),
      report_client_(std::move(report_client)),
      clock_(clock),
      token_(std::move(token)),
      token_file_(std::move(token_file)) {}

std::string ControlPlaneSource::Token() {
  std::lock_guard lock(token_mutex_);
  return token_;
}

void ControlPlaneSource::RenewIfDue() {
  const auto now = clock_.Monotonic();
  if (now < renew_at_) return;
  renew_at_ = now + std::chrono::minutes(1);  // unless the renewal below says later
  auto reply = watch_client_->Send("POST", "/gangplank/node/v1/token", "",
                                   {{"Authorization", "Bearer " + Token()}});
  if (reply && reply->status == 429) {  // too young to renew: the answer says when
    long long wait = 0;
    const std::string& after = reply->headers["retry-after"];
    std::from_chars(after.data(), after.data() + after.size(), wait);
    renew_at_ = now + std::chrono::seconds(std::clamp(wait, 60LL, 86400LL));
    return;
  }
  if (!reply || reply->status != 200) return;
  boost::system::error_code ec;
  const json::value doc = json::parse(reply->body, ec);
  const json::value* token =
      !ec && doc.is_object() ? doc.get_object().if_contains("token") : nullptr;
  const json::value* expires =
      !ec && doc.is_object() ? doc.get_object().if_contains("expiresOn") : nullptr;
  if (!token || !token->is_string() || !expires || !expires->is_int64()) return;
  {
    std::lock_guard lock(token_mutex_);
    token_ = std::string(token->get_string());
  }
  const long long left = expires->get_int64() - UnixSeconds(clock_.Now());
  renew_at_ = now + std::chrono::seconds(std::max(60LL, left / 2));
  // For the next start of the agent, where the file may be written (on a node it is read-only:
  // gangplankd writes it).
  if (!token_file_.empty())
    (void)WriteFileAtomically(token_file_, std::string(token->get_string()) + "\n", 0600,
                              IfExists::kReplace);
}

bool ControlPlaneSource::ReloadTokenFile() {
  if (token_file_.empty()) return false;
  auto text = ReadSecretFile(token_file_, 4096);
  if (!text) return false;
  std::string token(text->data(), text->size());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  std::lock_guard lock(token_mutex_);
  if (token.empty() || token == token_) return false;
  token_ = std::move(token);
  return true;
}

Result<DesiredReply> ControlPlaneSource::Fetch(const std::string& known,
                                               std::chrono::seconds wait) {
  RenewIfDue();
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + Token()}};
  if (!known.empty()) headers["If-None-Match"] = known;
  auto reply = watch_client_->Send(
      "GET", "/gangplank/node/v1/desired?wait=" + std::to_string(wait.count()), "", headers);
  if (!reply) return reply.error();
  if (reply->status == 304) return DesiredReply{std::nullopt, known};
  if (reply->status == 410) {
    return MakeError(StatusCode::kNotFound, "MachineGone", "this node's machine was deleted");
  }
  if (reply->status == 401 && ReloadTokenFile()) return Fetch(known, wait);
  if (reply->status != 200) {
    return MakeError(reply->status == 401 ? StatusCode::kUnauthenticated : StatusCode::kUnavailable,
                     "DesiredStateUnavailable",
                     "the control plane answered " + std::to_string(reply->status) + ": " +
                         reply->body.substr(0, 300));
  }
  auto state = protocol::ParseDesiredNodeState(reply->body);
  if (!state) return state.error();
  return DesiredReply{std::move(*state), reply->headers["etag"]};
}

Status ControlPlaneSource::Report(const protocol::NodeStatus& status, const std::vector<protocol::LoginEvent>& logins,
                                  const std::string& new_log_lines) {
  const std::string body =
      json::serialize(json::object{{"status", json::parse(protocol::NodeStatusJson(status))},
                                   {"loginEvents", json::parse(protocol::LoginEventsJson(logins))},
                                   {"log", new_log_lines}});
  auto send = [&] {
    return report_client_->Send(
        "POST", "/gangplank/node/v1/status", body,
        {{"Authorization", "Bearer " + Token()}, {"Content-Type", "application/json"}});
  };
  auto reply = send();
  if (reply && reply->status == 401 && ReloadTokenFile()) reply = send();
  if (!reply) return reply.error();
  if (reply->status / 100 != 2) {
    return MakeError(StatusCode::kUnavailable, "ReportRefused",
                     "the control plane answered " + std::to_string(reply->status) + ": " +
                         reply->body.substr(0, 300));
  }
  return OkStatus();
}

FileSource::FileSource(std::string desired_file, std::string status_file)
    : desired_file_(std::move(desired_file)), status_file_(std::move(status_file)) {}

Result<DesiredReply> FileSource::Fetch(const std::string& known, std::chrono::seconds) {
  auto text = ReadFile(desired_file_, 1 << 20);
  if (!text) return text.error();
  const std::string tag = ContentTag(*text);
  if (tag == known) return DesiredReply{std::nullopt, known};
  auto state = protocol::ParseDesiredNodeState(*text);
  if (!state) return state.error();
  return DesiredReply{std::move(*state), tag};
}

Status FileSource::Report(const protocol::NodeStatus& status, const std::vector<protocol::LoginEvent>& logins,
                          const std::string&) {
  const std::string doc =
      json::serialize(json::object{{"status", json::parse(protocol::NodeStatusJson(status))},
                                   {"loginEvents", json::parse(protocol::LoginEventsJson(logins))}});
  return WriteFileAtomically(status_file_, doc + "\n", 0644, IfExists::kReplace);
}

int RunAgentLoop(Agent& agent, const NodeLayout& layout, DesiredStateSource& source,
                 const AgentLoopOptions& options, const std::atomic<bool>& stop,
                 std::ostream& err) {
  LogTail agent_log(layout.agent_log());
  LogTail sshd_log(layout.sshd_log());
  Mailbox mailbox;
  // Signals (SIGTERM) go to this thread, whose poll they end, not to the watcher.
  sigset_t all, previous;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  Pause watcher_pause;
  std::thread watcher([&] { WatchDesiredState(source, options, stop, mailbox, watcher_pause); });
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (options.once) mailbox.AwaitFirst();
  AgentEvents events(agent.LogsToWatch(), agent.LogEventFd());
  std::string last_status, last_error;
  std::vector<protocol::LoginEvent> unsent_logins;
  std::string unsent_log;
  auto last_report = SteadyClock::time_point{};
  bool gone = false;
  int code = 0;
  while (!stop) {
    if (!gone) agent.Supervise();  // a deleted machine's sshd stays stopped
    std::optional<protocol::DesiredNodeState> desired;
    std::optional<Error> error;
    mailbox.Take(desired, error);
    if (error) {
      if (error->message != last_error) {
        err << "gangplank-node: " << error->message << std::endl;
        last_error = error->message;
      }
      if (error->reason == "MachineGone" && !gone) {
        agent.StopSshd();  // a deleted machine must not keep letting people in
        gone = true;
      }
      if (options.once) {
        code = 1;
        break;
      }
      // Logins go on while the control plane cannot be reached: keep them (the newest few
      // hundred) for the next report. Reading them also empties sshd's log pipe, which would
      // otherwise wake this loop at once, again and again.
      for (auto& event : agent.TakeLoginEvents()) unsent_logins.push_back(std::move(event));
      if (unsent_logins.size() > kMaxUnsentLogins)
        unsent_logins.erase(unsent_logins.begin(), unsent_logins.end() - kMaxUnsentLogins);
    } else if (desired) {
      gone = false;
      last_error.clear();
      const protocol::NodeStatus status = agent.Reconcile(*desired);
      for (auto& event : agent.TakeLoginEvents()) unsent_logins.push_back(std::move(event));
      unsent_log += Prefixed(agent_log, "agent: ", kMaxLogPerReport);
      unsent_log += Prefixed(sshd_log, "sshd: ", kMaxLogPerReport);
      const std::string status_json = protocol::NodeStatusJson(status);
      const auto now = SteadyClock::now();
      if (status_json != last_status || !unsent_logins.empty() || !unsent_log.empty() ||
          now - last_report > options.heartbeat) {
        if (source.Report(status, unsent_logins, unsent_log).ok()) {
          last_status = status_json;
          unsent_logins.clear();
          unsent_log.clear();
          last_report = now;
        } else if (unsent_log.size() > 4 * kMaxLogPerReport) {
          unsent_log.erase(0, unsent_log.size() - 4 * kMaxLogPerReport);  // bounded while offline
        }
      }
      if (options.once) {
        code = status.sshd_health == "Unhealthy" ? 1 : 0;
        break;
      }
      // Not yet settled (sshd starting, a report refused): look again soon.
      if (status.sshd_health != desired->SettledHealth() || status_json != last_status) {
        events.FollowPid(agent.SupervisedPid());
        events.Wait(mailbox.fd(), std::chrono::milliseconds(200));
        continue;
      }
    }
    events.FollowPid(agent.SupervisedPid());
    events.Wait(mailbox.fd(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                  error ? std::chrono::seconds(1) : options.heartbeat));
  }
  source.Interrupt();
  watcher_pause.End();
  watcher.join();
  return code;
}

}  // namespace gangplank::node
