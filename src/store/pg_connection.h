// One libpq connection with deadlines: every call either answers in time or drops the
// connection (the next call reconnects), so a stalled server never hangs a request.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

struct pg_conn;
struct pg_result;

namespace gangplank::store {

// A query's rows, as text.
class PgRows {
 public:
  explicit PgRows(pg_result* result);
  ~PgRows();
  PgRows(PgRows&& other) noexcept;
  PgRows& operator=(PgRows&& other) noexcept;
  PgRows(const PgRows&) = delete;

  int size() const;
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;
  std::int64_t Int(int row, int column) const;
  bool Bool(int row, int column) const;

 private:
  pg_result* result_;
};

class PgConnection {
 public:
  // A request waits on one statement at most this long: with the store hung, a request is
  // answered (503) well within the six seconds a client is promised.
  static constexpr std::chrono::seconds kDefaultTimeout{3};

  explicit PgConnection(std::string uri) : uri_(std::move(uri)) {}
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with text parameters ($1…). Unavailable when the server cannot be reached
  // or does not answer within `timeout`; Aborted on serialisation conflicts; Internal otherwise.
  Result<PgRows> Exec(std::string_view sql, const std::vector<std::string>& params = {},
                      std::chrono::milliseconds timeout = kDefaultTimeout);
  // The same for a statement run often: prepared once per connection under `name` (parsed and
  // planned once, not on every call).
  Result<PgRows> ExecPrepared(const std::string& name, std::string_view sql,
                              const std::vector<std::string>& params,
                              std::chrono::milliseconds timeout = kDefaultTimeout);
  // Ends the transaction in progress, if the connection still has one: a connection dropped
  // on a timeout has none, and reconnecting only to roll back would wait on a hung server again.
  void Rollback();
  // Connects now if not connected (LISTEN needs a live connection before anything is sent).
  Status Connect();
  void Disconnect();
  // The socket, for waiting on notifications; -1 when not connected.
  int Socket() const;
  // Reads what the server sent and returns the notifications since the last call.
  struct Notification {
    std::string channel;
    std::string payload;
  };
  Result<std::vector<Notification>> TakeNotifications();

 private:
  Status WaitFor(bool write, std::chrono::steady_clock::time_point deadline);

  Result<PgRows> Await(std::chrono::steady_clock::time_point deadline);

  std::string uri_;
  pg_conn* conn_ = nullptr;
  std::set<std::string> prepared_;  // on this connection; forgotten when it is dropped
};

// Redacts the password of a libpq URI or key=value string, for messages.
std::string RedactedUri(std::string_view uri);

}  // namespace gangplank::store
