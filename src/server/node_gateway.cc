// The node gateway: Beast sessions on a Unix socket, long polls parked per machine and woken by a
// store watch.
#include "server/node_gateway.h"

#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "access/authorizer.h"
#include "api/arm_response.h"
#include "common/file_io.h"
#include "resources/machine.h"
#include "resources/ssh_user_cas.h"

namespace gangplank::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {
class Session;
}

struct NodeGateway::Impl {
  Impl(store::Store& store_in, const auth::NodeTokens& tokens_in, api::RequestHandler handler_in,
       NodeGatewayOptions options_in)
      : store(store_in),
        tokens(tokens_in),
        handler(std::move(handler_in)),
        options(options_in),
        io(std::make_unique<asio::io_context>(1)) {
    acceptor.emplace(*io);
  }

  void Accept();
  void Wake(const std::string& machine_key);
  void WakeAll();
  void Watch();

  store::Store& store;
  const auth::NodeTokens& tokens;
  api::RequestHandler handler;
  NodeGatewayOptions options;
  std::unique_ptr<asio::io_context> io;
  std::optional<local::acceptor> acceptor;  // destroyed before the io_context
  std::thread io_thread, watch_thread;
  std::filesystem::path socket_path;  // what Start bound, and its inode: Stop removes only its own
  ino_t socket_inode = 0;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> waiting_count{0};
  // Touched on the io thread only.
  std::map<std::string, std::set<std::shared_ptr<Session>>> waiting;  // machine id key → polls
  std::set<std::weak_ptr<Session>, std::owner_less<>> sessions;
  std::map<std::string, std::size_t> per_node;  // node uid ("" : not a node) → connections
};

namespace {

constexpr std::string_view kNodePrefix = "/gangplank/node/v1/";

// The node a connected process runs in: the uid in its cgroup path (/gangplank/<uid>, where the
// runtime puts every node), "" for a process that is in no node (tests' agents on the host), or
// nothing when that cannot be told (the process is gone already: its connection is refused, so
// connecting from processes that exit at once does not slip past the cap of a node).
std::optional<std::string> PeerNode(local::socket& socket) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      peer.pid <= 0)
    return std::nullopt;
  auto cgroups = ReadFile("/proc/" + std::to_string(peer.pid) + "/cgroup", 64 * 1024);
  if (!cgroups) return std::nullopt;
  const std::size_t at = cgroups->find("/gangplank/");
  if (at == std::string::npos) return "";
  const std::size_t from = at + 11;
  const std::size_t end = cgroups->find_first_of("/\n", from);
  return cgroups->substr(from, (end == std::string::npos ? cgroups->size() : end) - from);
}

// How long the request asks to wait (?wait=SECONDS), within the gateway's maximum; 0: no wait.
std::chrono::seconds RequestedWait(std::string_view target, std::chrono::seconds max_wait) {
  const std::size_t query = target.find('?');
  if (query == std::string_view::npos) return std::chrono::seconds(0);
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    const std::string_view pair = rest.substr(0, rest.find('&'));
    rest = pair.size() < rest.size() ? rest.substr(pair.size() + 1) : std::string_view();
    if (!pair.starts_with("wait=")) continue;
    long long seconds = 0;
    for (const char c : pair.substr(5)) {
      if (c < '0' || c > '9') return std::chrono::seconds(0);
      seconds = std::min<long long>(seconds * 10 + (c - '0'), max_wait.count());
    }
    return std::chrono::seconds(seconds);
  }
  return std::chrono::seconds(0);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(local::socket&& socket, NodeGateway::Impl& gateway, std::string node)
      : stream_(std::move(socket)),
        timer_(stream_.get_executor()),
        gateway_(gateway),
        node_(std::move(node)) {
    ++gateway_.connections;
    ++gateway_.per_node[node_];
  }
  ~Session() {
    gateway_.sessions.erase(self_);
    --gateway_.connections;
    if (--gateway_.per_node[node_] == 0) gateway_.per_node.erase(node_);
  }

  void Start() {
    self_ = weak_from_this();
    gateway_.sessions.insert(self_);
    Read();
  }

  // The machine this request waits on changed: answer unless the state is still the one known.
  void Recheck() {
    HttpResponse response = gateway_.handler(request_);
    if (response.result() == http::status::not_modified) return;
    Unpark();
    Write(std::move(response));
  }

  void Close() {
    Unpark();
    beast::error_code ignored;
    stream_.socket().shutdown(local::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  using HttpResponse = api::HttpResponse;

  void Read() {
    parser_.emplace();
    parser_->body_limit(gateway_.options.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(gateway_.options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return Close();  // closed, idle, or not HTTP: agents retry on a new connection
    request_ = parser_->release();
    if (!std::string_view(request_.target()).starts_with(kNodePrefix)) {
      return Write(api::ArmErrorResponse(request_, http::status::not_found, "NotFound",
                                         "this socket serves the node protocol only"));
    }
    // Verified once here, for the identity check and for parking the request.
    const auto caller = gateway_.tokens.Verify(BearerToken());
    if (!node_.empty() && caller && caller->uid != node_) {
      // A node speaks as itself: a token of another node (read off a disk, say) is refused here.
      return Write(api::ArmErrorResponse(
          request_, http::status::forbidden, "NodeIdentityMismatch",
          "this connection comes from another node than the token's; a node speaks as itself"));
    }
    HttpResponse response = gateway_.handler(request_);
    const auto wait = RequestedWait(request_.target(), gateway_.options.max_wait);
    if (response.result() == http::status::not_modified && wait.count() > 0 &&
        request_.method() == http::verb::get && caller) {
      return Park(std::move(response), wait, caller->machine_id);
    }
    Write(std::move(response));  // a 304 without a valid token cannot happen; answered anyway
  }

  std::string_view BearerToken() const {
    const auto header = request_[http::field::authorization];
    std::string_view token(header.data(), header.size());
    if (token.size() > 7 && strncasecmp(token.data(), "Bearer ", 7) == 0) token.remove_prefix(7);
    return token;
  }

  // Holds the request until its machine changes (Recheck) or the wait ends (the 304 goes out).
  void Park(HttpResponse unchanged, std::chrono::seconds wait, const std::string& machine_id) {
    waiting_on_ = store::IdKey(machine_id);
    gateway_.waiting[waiting_on_].insert(shared_from_this());
    ++gateway_.waiting_count;
    stream_.expires_never();
    timer_.expires_after(wait);
    timer_.async_wait([self = shared_from_this(), unchanged = std::move(unchanged)](
                          beast::error_code ec) mutable {
      if (ec || self->waiting_on_.empty()) return;
      self->Unpark();
      self->Write(std::move(unchanged));
    });
    // An agent sends nothing while it waits: readable means it closed (or broke the protocol).
    stream_.socket().async_wait(local::socket::wait_read,
                                [self = shared_from_this()](beast::error_code ec) {
                                  if (!ec && !self->waiting_on_.empty()) self->Close();
                                });
  }

  void Unpark() {
    if (waiting_on_.empty()) return;
    auto found = gateway_.waiting.find(waiting_on_);
    if (found != gateway_.waiting.end()) {
      found->second.erase(shared_from_this());
      if (found->second.empty()) gateway_.waiting.erase(found);
    }
    --gateway_.waiting_count;
    waiting_on_.clear();
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }

  void Write(HttpResponse response) {
    response_ = std::move(response);
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec || !response_.keep_alive()) return Close();
    Read();
  }

  beast::basic_stream<local> stream_;
  asio::steady_timer timer_;
  NodeGateway::Impl& gateway_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  api::HttpRequest request_;
  HttpResponse response_;
  std::weak_ptr<Session> self_;  // its entry in the gateway's sessions
  const std::string node_;       // the node uid of the peer ("" : not a node)
  std::string waiting_on_;  // the machine key this request waits on; empty when not waiting
};

}  // namespace

void NodeGateway::Impl::Accept() {
  acceptor->async_accept([this](beast::error_code ec, local::socket socket) {
    if (ec == asio::error::operation_aborted || stopping) return;
    if (!ec) {
      std::optional<std::string> node = PeerNode(socket);
      const auto held = node ? per_node.find(*node) : per_node.end();
      const std::size_t node_held = held == per_node.end() ? 0 : held->second;
      if (!node || connections >= options.max_connections ||
          (!node->empty() && node_held >= options.max_connections_per_node)) {
        socket.close(ec);  // full (or nobody's): the agent retries later
      } else {
        std::make_shared<Session>(std::move(socket), *this, std::move(*node))->Start();
      }
    }
    Accept();
  });
}

void NodeGateway::Impl::Wake(const std::string& machine_key) {
  auto found = waiting.find(machine_key);
  if (found == waiting.end()) return;
  const auto polls = found->second;  // Recheck may unpark (erase) while we iterate
  for (const auto& session : polls) session->Recheck();
}

void NodeGateway::Impl::WakeAll() {
  std::vector<std::string> keys;
  for (const auto& [key, polls] : waiting) keys.push_back(key);
  for (const auto& key : keys) Wake(key);
}

// Whether a row of the kinds access decisions are made from, or the SSH user CA set, changed
// after `seen` (or the store no longer keeps that history): who may log into EntraId nodes, or
// which CAs they trust, may have changed.
static bool AccessChanged(store::Store& store, std::uint64_t seen) {
  auto changed = [&](std::string_view kind) {
    auto changes = store.ChangesSince(seen, kind);
    return !changes || !changes->empty();
  };
  return changed(resources::kSshUserCaKind) ||
         std::any_of(std::begin(access::kAccessKinds), std::end(access::kAccessKinds), changed);
}

// Follows the store: every machine row that changed wakes the polls waiting on it, and a change
// of access wakes them all (each answers again only if its own desired state changed).
void NodeGateway::Impl::Watch() {
  std::uint64_t seen = store.Revision();
  auto flush_at = std::chrono::steady_clock::now() + options.flush_every;
  while (!stopping) {
    if (options.flush && std::chrono::steady_clock::now() >= flush_at) {
      options.flush();
      flush_at = std::chrono::steady_clock::now() + options.flush_every;
    }
    const std::uint64_t now = store.WaitForChange(seen, std::chrono::milliseconds(500));
    if (now == seen) continue;
    auto changes = store.ChangesSince(seen, resources::kMachineKind);
    const bool access_changed = AccessChanged(store, seen);
    seen = now;
    if (!changes || access_changed) {  // or fell behind the changes kept: look at every poll
      asio::post(*io, [this] { WakeAll(); });
      continue;
    }
    std::set<std::string> keys;
    for (const auto& change : *changes) keys.insert(store::IdKey(change.id));
    if (keys.empty()) continue;
    asio::post(*io, [this, keys = std::move(keys)] {
      for (const auto& key : keys) Wake(key);
    });
  }
}

NodeGateway::NodeGateway(store::Store& store, const auth::NodeTokens& tokens,
                         api::RequestHandler handler, NodeGatewayOptions options)
    : impl_(std::make_shared<Impl>(store, tokens, std::move(handler), options)) {}

NodeGateway::~NodeGateway() { Stop(); }

Status NodeGateway::Start(const std::filesystem::path& socket) {
  if (Serving()) return OkStatus();
  auto impl = std::make_shared<Impl>(impl_->store, impl_->tokens, impl_->handler, impl_->options);
  // Bound beside the final path and renamed over it: a stale socket (a crashed gangplankd, or
  // the replica that held the node controller before) is replaced in one step.
  const std::string temp = socket.string() + "." + std::to_string(::getpid()) + ".new";
  ::unlink(temp.c_str());
  beast::error_code ec;
  impl->acceptor->open(local(), ec);
  if (!ec) impl->acceptor->bind(local::endpoint(temp), ec);
  if (!ec) ::chmod(temp.c_str(), 0600);  // the agents run as root; nobody else may connect
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec && ::rename(temp.c_str(), socket.c_str()) != 0)
    ec = beast::error_code(errno, boost::system::system_category());
  if (ec) {
    ::unlink(temp.c_str());
    return MakeError(StatusCode::kUnavailable, "NodeGatewayUnavailable",
                     "cannot listen on " + socket.string() + ": " + ec.message());
  }
  struct stat bound {};
  if (::stat(socket.c_str(), &bound) == 0) impl->socket_inode = bound.st_ino;
  impl->socket_path = socket;
  impl->Accept();
  impl->io_thread = std::thread([raw = impl.get()] { raw->io->run(); });
  impl->watch_thread = std::thread([raw = impl.get()] { raw->Watch(); });
  impl_ = std::move(impl);
  return OkStatus();
}

void NodeGateway::Stop() {
  if (!Serving()) return;
  impl_->stopping = true;
  asio::post(*impl_->io, [raw = impl_.get()] {
    beast::error_code ignored;
    raw->acceptor->close(ignored);
    for (const auto& weak : raw->sessions) {
      if (auto session = weak.lock()) session->Close();
    }
    raw->io->stop();
  });
  impl_->io_thread.join();
  impl_->watch_thread.join();
  if (impl_->options.flush) impl_->options.flush();  // what the last requests left
  impl_->waiting.clear();
  impl_->sessions.clear();
  impl_->acceptor.reset();
  impl_->io.reset();
  // The socket goes unless another process (the next leader) has bound its own there since.
  struct stat now {};
  if (::stat(impl_->socket_path.c_str(), &now) == 0 && now.st_ino == impl_->socket_inode)
    ::unlink(impl_->socket_path.c_str());  // destroys the handlers still queued, and with them the last sessions
  impl_ = std::make_shared<Impl>(impl_->store, impl_->tokens, impl_->handler, impl_->options);
}

bool NodeGateway::Serving() const { return impl_->io_thread.joinable(); }

std::size_t NodeGateway::Waiting() const { return impl_->waiting_count; }

}  // namespace gangplank::server
