// HTTP/1.1 over a Unix socket: plain POSIX calls with a deadline, replies parsed by Beast.
#include "net/unix_http_client.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace gangplank::net {
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

Error Unreachable(const std::string& path, const std::string& why) {
  return MakeError(StatusCode::kUnavailable, "ServerUnreachable",
                   "cannot reach the control plane at unix:" + path + ": " + why);
}

// Waits until `fd` is ready for `events`; false when the deadline passes or `interrupt` fires.
bool WaitFor(int fd, short events, int interrupt, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entries[2] = {{fd, events, 0}, {interrupt, POLLIN, 0}};
    const int ready = ::poll(entries, 2, static_cast<int>(left));
    if (ready > 0) return entries[1].revents == 0;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace

UnixHttpClient::UnixHttpClient(std::string socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)),
      timeout_(timeout),
      interrupt_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

UnixHttpClient::~UnixHttpClient() {
  Close();
  if (interrupt_fd_ >= 0) ::close(interrupt_fd_);
}

void UnixHttpClient::Interrupt() {
  const std::uint64_t one = 1;
  (void)!::write(interrupt_fd_, &one, sizeof one);
}

void UnixHttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<HttpReply> UnixHttpClient::Send(const std::string& method, const std::string& target,
                                       const std::string& body,
                                       const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "gangplank");
  request.set(http::field::user_agent, "gangplank-node");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  std::ostringstream wire;
  wire << request;
  // A kept-alive connection the server closed fails on first use: try once more, afresh.
  for (int attempt = 0;; ++attempt) {
    const bool reused = fd_ >= 0;
    auto reply = Exchange(wire.str());
    if (reply || !reused || attempt > 0) return reply;
  }
}

Result<HttpReply> UnixHttpClient::Exchange(const std::string& request) {
  const auto deadline = Clock::now() + timeout_;
  if (fd_ < 0) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path_.size() >= sizeof address.sun_path)
      return Unreachable(socket_path_, "the path is too long for a Unix socket");
    std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Unreachable(socket_path_, std::strerror(errno));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      const int error = errno;
      Close();
      return Unreachable(socket_path_, std::strerror(error));
    }
  }
  const auto fail = [&](const std::string& why) {
    Close();
    return Unreachable(socket_path_, why);
  };
  for (std::size_t sent = 0; sent < request.size();) {
    if (!WaitFor(fd_, POLLOUT, interrupt_fd_, deadline)) return fail("timed out sending");
    const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  boost::beast::flat_buffer buffer;
  while (!parser.is_done()) {
    if (!WaitFor(fd_, POLLIN, interrupt_fd_, deadline)) return fail("timed out waiting for the reply");
    auto space = buffer.prepare(64 * 1024);
    const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::strerror(errno));
    if (n == 0) return fail("the server closed the connection");
    buffer.commit(static_cast<std::size_t>(n));
    boost::system::error_code ec;
    while (buffer.size() > 0 && !parser.is_done()) {
      const std::size_t used = parser.put(buffer.data(), ec);
      if (ec == http::error::need_more) break;
      if (ec) return fail("a malformed reply: " + ec.message());
      buffer.consume(used);
    }
  }
  HttpReply reply{static_cast<int>(parser.get().result_int()), parser.get().body(), {}};
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  if (!parser.get().keep_alive()) Close();
  return reply;
}

Result<std::unique_ptr<HttpClient>> ConnectToServer(const std::string& server,
                                                    const std::string& ca_file,
                                                    std::chrono::milliseconds timeout) {
  constexpr std::string_view kUnix = "unix:";
  if (server.starts_with(kUnix)) {
    return std::unique_ptr<HttpClient>(
        std::make_unique<UnixHttpClient>(server.substr(kUnix.size()), timeout));
  }
  auto client = HttpsClient::Create(
      server, ca_file,
      std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(timeout)));
  if (!client) return client.error();
  return std::unique_ptr<HttpClient>(std::move(client.value()));
}

}  // namespace gangplank::net
