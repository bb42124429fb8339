// Finds or starts the tests' PostgreSQL server; one scratch database per test.
#include "support/postgres_server.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <cstdlib>
#include <fstream>
#include <mutex>

#include "common/random.h"
#include "support/subprocess.h"

namespace gangplank::testing {
namespace {

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// A server this process started; stopped (by the PID in its postmaster.pid) at exit.
struct OwnSandbox {
  std::string dir;
  Result<std::string> uri = MakeError(StatusCode::kUnavailable, "NotStarted", "not started");
  OwnSandbox() {
    // Servers of test processes that were killed before they could stop theirs.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
      const std::string name = entry.path().filename().string();
      constexpr std::string_view kPrefix = "gangplank-test-postgres-";
      if (!name.starts_with(kPrefix)) continue;
      const long owner = std::strtol(name.c_str() + kPrefix.size(), nullptr, 10);
      if (owner > 0 && ::kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH) {
        RunProgram({GANGPLANK_SOURCE_DIR "/scripts/postgres-sandbox", "stop", entry.path().string()},
                   RunOptions::WithTimeout(std::chrono::seconds(30)));
      }
    }
    dir = "/tmp/gangplank-test-postgres-" + std::to_string(::getpid());
    RunResult started = RunProgram({GANGPLANK_SOURCE_DIR "/scripts/postgres-sandbox", "start", dir},
                                   RunOptions::WithTimeout(std::chrono::seconds(120)));
    if (started.exit_code == 0) {
      uri = Trim(started.out);
    } else {
      uri = MakeError(StatusCode::kUnavailable, "NoPostgres",
                      "scripts/postgres-sandbox start failed: " + started.err);
    }
  }
  ~OwnSandbox() {
    RunProgram({GANGPLANK_SOURCE_DIR "/scripts/postgres-sandbox", "stop", dir},
               RunOptions::WithTimeout(std::chrono::seconds(30)));
  }
};

// The URI with another database name in place of the admin one.
std::string WithDatabase(const std::string& admin_uri, const std::string& name) {
  return admin_uri.substr(0, admin_uri.rfind('/') + 1) + name;
}

RunResult Psql(const std::string& uri, const std::string& sql) {
  return RunProgram({"psql", "-v", "ON_ERROR_STOP=1", "-qAt", "-d", uri, "-c", sql},
                    RunOptions::WithTimeout(std::chrono::seconds(60)));
}

}  // namespace

Result<std::string> TestPostgresAdminUri() {
  if (const char* dir = std::getenv("GANGPLANK_TEST_POSTGRES_DIR"); dir && *dir) {
    std::ifstream file(std::string(dir) + "/uri");
    std::string uri;
    if (std::getline(file, uri) && !uri.empty()) return uri;
    return MakeError(StatusCode::kUnavailable, "NoPostgres",
                     std::string("ctest's postgres fixture left no server URI in ") + dir +
                         "/uri; see the postgres_sandbox_start test's output");
  }
  static OwnSandbox sandbox;
  return sandbox.uri;
}

ScratchDatabase::ScratchDatabase() {
  auto admin = TestPostgresAdminUri();
  if (!admin) {
    error_ = admin.error().message;
    return;
  }
  std::string suffix = NewUuid().substr(0, 8);
  name_ = "test_" + suffix;
  RunResult created = Psql(*admin, "CREATE DATABASE " + name_);
  if (created.exit_code != 0) {
    error_ = "CREATE DATABASE failed: " + created.err;
    return;
  }
  uri_ = WithDatabase(*admin, name_);
}

ScratchDatabase::~ScratchDatabase() {
  if (uri_.empty()) return;
  if (auto admin = TestPostgresAdminUri()) Psql(*admin, "DROP DATABASE " + name_ + " WITH (FORCE)");
}

}  // namespace gangplank::testing
