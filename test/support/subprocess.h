// Runs real programs (ssh-keygen, ssh, sshd, the gangplank binary) from tests; every child is
// stopped by its PID, also when the test fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gangplank::testing {

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal or timed out
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string stdin_data;
  std::map<std::string, std::string> env;  // added to (or replacing in) the current environment
  std::chrono::milliseconds timeout{60000};

  static RunOptions WithStdin(std::string data) {
    RunOptions options;
    options.stdin_data = std::move(data);
    return options;
  }
  static RunOptions WithTimeout(std::chrono::milliseconds limit) {
    RunOptions options;
    options.timeout = limit;
    return options;
  }
};

// Runs argv[0] (looked up in PATH) to completion, capturing stdout and stderr.
RunResult RunProgram(const std::vector<std::string>& argv, const RunOptions& options = {});

// A long-running child (a server); SIGTERM then SIGKILL on destruction.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  void Stop();

 private:
  pid_t pid_ = -1;
};

// Starts a server on 127.0.0.1:`port` and waits until this very process listens: until its log
// says "listening on https://127.0.0.1:PORT" (gangplankd's line). FreeLoopbackPort's port was
// only free a moment ago; when another test's server takes it first, this one exits, and a new
// port is tried, unless `port` was given non-zero (a restart keeps its URL). Null on failure.
std::unique_ptr<BackgroundProcess> StartListening(
    const std::function<std::vector<std::string>(int port)>& argv_for, const std::string& log_path,
    int& port, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Full path of a program in PATH or the usual sbin directories; empty if absent.
std::string FindProgram(const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// Polls until a TCP connect to 127.0.0.1:port succeeds or the timeout passes.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

}  // namespace gangplank::testing
