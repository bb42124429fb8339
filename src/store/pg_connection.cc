// libpq with deadlines: asynchronous sends, poll(2) on the socket, a dropped connection on timeout.
#include "store/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cstdlib>

namespace gangplank::store {
namespace {

Error Unavailable(std::string message) {
  return MakeError(StatusCode::kUnavailable, "StoreUnavailable",
                   "the PostgreSQL store is unavailable: " + std::move(message));
}

std::string Trimmed(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string RedactedUri(std::string_view uri) {
  std::string out(uri);
  // postgresql://user:secret@host → postgresql://user:***@host
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  if (const auto password = out.find("password="); password != std::string::npos) {
    auto end = out.find_first_of(" &", password);
    out.replace(password + 9, (end == std::string::npos ? out.size() : end) - password - 9, "***");
  }
  return out;
}

PgRows::PgRows(pg_result* result) : result_(result) {}
PgRows::~PgRows() { PQclear(result_); }
PgRows::PgRows(PgRows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
PgRows& PgRows::operator=(PgRows&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}
int PgRows::size() const { return result_ ? PQntuples(result_) : 0; }
bool PgRows::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
std::string PgRows::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<std::size_t>(PQgetlength(result_, row, column)));
}
std::int64_t PgRows::Int(int row, int column) const {
  return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}
bool PgRows::Bool(int row, int column) const { return PQgetvalue(result_, row, column)[0] == 't'; }

PgConnection::~PgConnection() { Disconnect(); }

void PgConnection::Disconnect() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
}

void PgConnection::Rollback() {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return;
  (void)Exec("ROLLBACK", {}, std::chrono::seconds(1));
}

int PgConnection::Socket() const { return conn_ ? PQsocket(conn_) : -1; }

Status PgConnection::Connect() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return OkStatus();
  Disconnect();
  // The URI's own settings win. The defaults: a connect timeout; TCP keepalives and a TCP user
  // timeout, so a server that vanished (a host gone, a cable cut) fails a waiting connection in
  // seconds rather than at the kernel's two hours; a statement timeout on the server, so work a
  // timed-out caller walked away from does not run on; an idle-in-transaction timeout, so a
  // replica paused inside a transaction (SIGSTOP, a stalled VM) loses it, and the row locks it
  // holds, within two seconds instead of stopping every other replica's writes; a name in
  // pg_stat_activity.
  const char* keys[] = {"connect_timeout", "keepalives",       "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "options",         "application_name", "dbname",
                        nullptr};
  const char* values[] = {"3", "1", "5", "2", "2", "9000", "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=2000",
                          "gangplankd", uri_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string message = conn_ ? Trimmed(PQerrorMessage(conn_)) : "out of memory";
    Disconnect();
    return Unavailable(message);
  }
  // Server notices ("relation … already exists, skipping") are not for gangplankd's users.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  return OkStatus();
}

Status PgConnection::WaitFor(bool write, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd fd{PQsocket(conn_), static_cast<short>(write ? POLLOUT : POLLIN), 0};
  const int ready = left.count() > 0 ? ::poll(&fd, 1, static_cast<int>(left.count())) : 0;
  if (ready <= 0) {
    Disconnect();
    return Unavailable("no answer in time");
  }
  return OkStatus();
}

Result<PgRows> PgConnection::Exec(std::string_view sql, const std::vector<std::string>& params,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (Status connected = Connect(); !connected.ok()) return connected.error();
  std::vector<const char*> values;
  for (const std::string& param : params) values.push_back(param.c_str());
  const std::string text(sql);
  // Without parameters, the simple protocol (it also runs multi-statement scripts).
  const int sent = values.empty() ? PQsendQuery(conn_, text.c_str())
                                  : PQsendQueryParams(conn_, text.c_str(),
                                                      static_cast<int>(values.size()), nullptr,
                                                      values.data(), nullptr, nullptr, 0);
  if (!sent) {
    std::string message = Trimmed(PQerrorMessage(conn_));
    Disconnect();
    return Unavailable(message);
  }
  return Await(deadline);
}

Result<PgRows> PgConnection::ExecPrepared(const std::string& name, std::string_view sql,
                                          const std::vector<std::string>& params,
                                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (Status connected = Connect(); !connected.ok()) return connected.error();
  if (!prepared_.contains(name)) {
    const std::string text(sql);
    if (!PQsendPrepare(conn_, name.c_str(), text.c_str(), static_cast<int>(params.size()),
                       nullptr)) {
      std::string message = Trimmed(PQerrorMessage(conn_));
      Disconnect();
      return Unavailable(message);
    }
    auto prepared = Await(deadline);
    if (!prepared) return prepared.error();
    prepared_.insert(name);
  }
  std::vector<const char*> values;
  for (const std::string& param : params) values.push_back(param.c_str());
  if (!PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                           nullptr, nullptr, 0)) {
    std::string message = Trimmed(PQerrorMessage(conn_));
    Disconnect();
    return Unavailable(message);
  }
  return Await(deadline);
}

Result<PgRows> PgConnection::Await(std::chrono::steady_clock::time_point deadline) {
  for (int flushed; (flushed = PQflush(conn_)) != 0;) {
    if (flushed < 0) {
      std::string message = Trimmed(PQerrorMessage(conn_));
      Disconnect();
      return Unavailable(message);
    }
    if (Status waited = WaitFor(true, deadline); !waited.ok()) return waited.error();
  }
  PGresult* last = nullptr;
  for (;;) {
    while (PQisBusy(conn_)) {
      if (Status waited = WaitFor(false, deadline); !waited.ok()) {
        PQclear(last);
        return waited.error();
      }
      if (!PQconsumeInput(conn_)) {
        std::string message = Trimmed(PQerrorMessage(conn_));
        PQclear(last);
        Disconnect();
        return Unavailable(message);
      }
    }
    PGresult* next = PQgetResult(conn_);
    if (!next) break;
    PQclear(last);
    last = next;
  }
  PgRows rows(last);
  const ExecStatusType status = last ? PQresultStatus(last) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
  const char* state = last ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string message = Trimmed(last ? PQresultErrorMessage(last) : PQerrorMessage(conn_));
  if (PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") ||
      sqlstate.starts_with("57P")) {
    Disconnect();
    return Unavailable(message);
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return MakeError(StatusCode::kAborted, "StoreConflict", message);
  }
  return MakeError(StatusCode::kInternal, "StoreError", message);
}

Result<std::vector<PgConnection::Notification>> PgConnection::TakeNotifications() {
  if (!conn_) return Unavailable("not connected");
  if (!PQconsumeInput(conn_)) {
    std::string message = Trimmed(PQerrorMessage(conn_));
    Disconnect();
    return Unavailable(message);
  }
  std::vector<Notification> notifications;
  while (PGnotify* notify = PQnotifies(conn_)) {
    notifications.push_back({notify->relname, notify->extra ? notify->extra : ""});
    PQfreemem(notify);
  }
  return notifications;
}

}  // namespace gangplank::store
