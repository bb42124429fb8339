// Async HTTPS sessions after the Boost.Beast advanced server example, with admission from the
// header, deadlines per phase and caps on connections and buffered bodies.
#include "api/https_server.h"

#include <sys/resource.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <mutex>
#include <utility>

#include "api/arm_response.h"

namespace gangplank::api {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

// Connections in their TLS handshake, oldest first, with how many each client address holds.
// Entering beyond a cap evicts the oldest handshake (of the same address first); the caller runs
// the evicted ones' drop functions outside the lock.
class Handshakes {
 public:
  using Drop = std::function<void()>;

  Handshakes(std::size_t per_source, std::size_t total) : per_source_(per_source), total_(total) {}

  std::uint64_t Enter(const net::ip::address& source, Drop drop, std::vector<Drop>* evicted) {
    std::lock_guard lock(mutex_);
    if (++per_source_count_[source] > per_source_) {
      const auto oldest = std::find_if(entries_.begin(), entries_.end(), [&](const auto& entry) {
        return entry.second.source == source;
      });
      if (oldest != entries_.end()) Evict(oldest, evicted);
    }
    if (entries_.size() >= total_ && !entries_.empty()) Evict(entries_.begin(), evicted);
    entries_.emplace(next_id_, Entry{source, std::move(drop)});
    return next_id_++;
  }

  // A handshake that ended (or was evicted already: then nothing happens).
  void Leave(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    if (const auto found = entries_.find(id); found != entries_.end()) Forget(found);
  }

 private:
  struct Entry {
    net::ip::address source;
    Drop drop;
  };
  using Entries = std::map<std::uint64_t, Entry>;  // by id: ids grow, so oldest first

  void Evict(Entries::iterator entry, std::vector<Drop>* evicted) {
    evicted->push_back(std::move(entry->second.drop));
    Forget(entry);
  }
  void Forget(Entries::iterator entry) {
    const auto count = per_source_count_.find(entry->second.source);
    if (--count->second == 0) per_source_count_.erase(count);
    entries_.erase(entry);
  }

  const std::size_t per_source_, total_;
  std::mutex mutex_;
  Entries entries_;
  std::map<net::ip::address, std::size_t> per_source_count_;
  std::uint64_t next_id_ = 0;
};

// What every session of one listener shares; sessions keep it alive after the listener stops.
struct Shared {
  explicit Shared(const ServerLimits& server_limits)
      : limits(server_limits),
        handshakes(server_limits.max_handshakes_per_source, server_limits.max_handshakes) {}

  HeaderCheck admit;
  RequestHandler handler;
  ServerLimits limits;
  net::thread_pool* writers = nullptr;  // runs requests that write (HttpsServer owns it)
  Handshakes handshakes;
  std::atomic<int> in_flight{0};
  std::atomic<std::size_t> connections{0};  // served sessions
  std::atomic<std::size_t> turned_away{0};  // sessions that only answer 503
  std::atomic<std::size_t> body_bytes{0};   // reserved by bodies being read or handled

  bool ReserveBody(std::size_t bytes) {
    std::size_t now = body_bytes.load();
    do {
      if (now + bytes > limits.max_body_bytes_in_flight) return false;
    } while (!body_bytes.compare_exchange_weak(now, now + bytes));
    return true;
  }
};

HttpResponse ErrorWithoutRequest(HttpStatus status, std::string_view code,
                                 const std::string& message) {
  HttpRequest placeholder;
  placeholder.version(11);
  placeholder.keep_alive(false);
  return ArmErrorResponse(placeholder, status, code, message);
}

HttpResponse Busy(std::string_view what) {
  HttpResponse response =
      ErrorWithoutRequest(HttpStatus::service_unavailable, "ServerBusy",
                          "The server is at its limit of " + std::string(what) + "; retry later.");
  response.set(http::field::retry_after, "1");
  return response;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ssl::context& tls, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket), tls),
        // A header must fit whole; bodies pass through it in pieces. Without a cap the buffer
        // doubles past the header limit.
        buffer_(shared->limits.max_header_bytes + 8192),
        shared_(std::move(shared)) {}
  ~Session() {
    ReleaseBody();
    if (handshake_id_) shared_->handshakes.Leave(*handshake_id_);
    if (role_ == Role::kServed) --shared_->connections;
    if (role_ == Role::kTurnedAway) --shared_->turned_away;
  }

  // Starts the handshake of a connection from `source`.
  void Run(const net::ip::address& source) {
    client_ip_ = source.to_string();
    std::vector<Handshakes::Drop> evicted;
    handshake_id_ = shared_->handshakes.Enter(
        source, [weak = weak_from_this()] { Drop(weak); }, &evicted);
    for (auto& drop : evicted) drop();
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Handshake, shared_from_this()));
  }

 private:
  enum class Role { kHandshake, kServed, kTurnedAway };

  const ServerLimits& limits() const { return shared_->limits; }
  void Expire(std::chrono::seconds after) { beast::get_lowest_layer(stream_).expires_after(after); }

  // Closes an evicted handshake on its own strand; its pending handshake then fails and the
  // session ends.
  static void Drop(const std::weak_ptr<Session>& weak) {
    const auto self = weak.lock();
    if (!self) return;
    net::post(self->stream_.get_executor(),
              [self] { beast::get_lowest_layer(self->stream_).close(); });
  }

  void Handshake() {
    Expire(limits().handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
  }

  void OnHandshake(beast::error_code ec) {
    shared_->handshakes.Leave(*std::exchange(handshake_id_, std::nullopt));
    if (ec) return;  // a client that cannot do TLS with us (or an evicted one); nothing to answer
    // Served if there is room, told 503 if not (up to max_turned_away), closed beyond that.
    if (shared_->connections.fetch_add(1) < limits().max_connections) {
      role_ = Role::kServed;
    } else {
      --shared_->connections;
      if (shared_->turned_away.fetch_add(1) >= limits().max_turned_away) {
        --shared_->turned_away;
        return;
      }
      role_ = Role::kTurnedAway;
    }
    AwaitRequest(limits().first_request_timeout);
  }

  // Waits (up to `idle`) for the first byte of a request, then gives the header its own deadline:
  // an idle keep-alive connection may wait long, a header that trickles in may not.
  void AwaitRequest(std::chrono::seconds idle) {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
    // The body's limit depends on who sends it: decided once the header is in (OnHeader).
    parser_->body_limit(boost::none);
    if (buffer_.size() > 0) return ReadHeader();  // pipelined
    Expire(idle);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    Expire(limits().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    if (role_ == Role::kTurnedAway) return Write(Busy("connections"));
    Admission admission = shared_->admit(parser_->get());
    if (admission.refusal) return Refuse(std::move(*admission.refusal));
    const std::size_t announced = AnnouncedBody().value_or(admission.body_limit);
    if (announced > admission.body_limit) return TooLarge(admission.body_limit);
    if (!shared_->ReserveBody(announced)) return Write(Busy("request bodies in flight"));
    reserved_ = announced;
    ReadBody(admission.body_limit, &Session::OnRequest);
  }

  // The body size the header announces: 0 without a body, nothing when it is chunked. (From
  // the Content-Length field, which the parser has checked; its own boost::optional trips GCC's
  // maybe-uninitialized warning in the sanitizer build.)
  std::optional<std::size_t> AnnouncedBody() const {
    if (parser_->is_done()) return 0;
    if (parser_->chunked()) return std::nullopt;
    const auto field = parser_->get()[http::field::content_length];
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), length);
    if (ec != std::errc() || end != field.data() + field.size()) return std::nullopt;
    return length;
  }

  void ReadBody(std::size_t limit, void (Session::*then)(beast::error_code, std::size_t)) {
    body_limit_ = limit;
    parser_->body_limit(limit);
    Expire(limits().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(then, shared_from_this()));
  }

  void OnRequest(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    ++shared_->in_flight;  // until the response is written
    answering_ = true;
    parser_->get().set(kClientIpHeader, client_ip_);
    const auto method = parser_->get().method();
    if (shared_->writers == nullptr || method == http::verb::get || method == http::verb::head) {
      HttpResponse response = shared_->handler(parser_->get());
      parser_.reset();  // the body goes now, not when the response is written
      ReleaseBody();
      return Write(std::move(response));
    }
    // A write waits for its commit to be durable (an fsync): it waits on a worker, and the I/O
    // thread serves other connections meanwhile; writers waiting together share one commit.
    auto request = std::make_shared<HttpRequest>(parser_->release());
    parser_.reset();
    net::post(*shared_->writers, [self = shared_from_this(), request]() mutable {
      auto response = std::make_shared<HttpResponse>(self->shared_->handler(*request));
      request.reset();  // its body goes now, not when the response is written
      net::post(self->stream_.get_executor(), [self, response] {
        self->ReleaseBody();
        self->Write(std::move(*response));
      });
    });
  }

  // A refused request's small body is read and dropped, so the client reads the answer and the
  // connection stays usable; a large or unannounced one is not read: the connection closes.
  void Refuse(HttpResponse refusal) {
    if (parser_->is_done()) return Write(std::move(refusal));
    const auto announced = AnnouncedBody();
    if (!announced || *announced > limits().max_drained_body_bytes) {
      refusal.keep_alive(false);
      return Write(std::move(refusal));
    }
    refusal_ = std::move(refusal);
    ReadBody(limits().max_drained_body_bytes, &Session::OnDrained);
  }

  void OnDrained(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    HttpResponse refusal = std::move(*refusal_);
    refusal_.reset();
    Write(std::move(refusal));
  }

  void TooLarge(std::size_t limit) {
    const std::string size = limit >= (1u << 20) ? std::to_string(limit >> 20) + " MiB"
                                                 : std::to_string(limit >> 10) + " KiB";
    Write(ErrorWithoutRequest(HttpStatus::payload_too_large, "RequestEntityTooLarge",
                              "The request body is larger than " + size + "."));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec == http::error::body_limit) return TooLarge(body_limit_);
    if (ec == http::error::header_limit) {
      return Write(ErrorWithoutRequest(HttpStatus::request_header_fields_too_large,
                                       "RequestHeadersTooLarge",
                                       "The request headers are too large."));
    }
    Write(ErrorWithoutRequest(HttpStatus::bad_request, "BadRequest",
                              "The request is not valid HTTP/1.1: " + ec.message() + "."));
  }

  void Write(HttpResponse response) {
    if (role_ == Role::kTurnedAway) response.keep_alive(false);
    response_ = std::make_shared<HttpResponse>(std::move(response));
    Expire(limits().body_timeout);
    http::async_write(
        stream_, *response_,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this(), response_->keep_alive()));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    if (answering_) {
      --shared_->in_flight;
      answering_ = false;
    }
    ReleaseBody();
    if (ec) return;
    if (!keep_alive) return Close();
    response_.reset();
    AwaitRequest(limits().idle_timeout);
  }

  void ReleaseBody() {
    shared_->body_bytes -= reserved_;
    reserved_ = 0;
  }

  // A lingering close, as HTTP servers do: closing a socket with unread bytes (a body that was
  // refused, a header over the limit) sends a reset, and the reset would take the answer with it
  // before the client reads it. So: TLS close_notify, no more sending, then read and drop what the
  // client still sends, for a second and 256 KiB at most.
  void Close() {
    Expire(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->Expire(std::chrono::seconds(1));
      self->buffer_.clear();
      self->Linger(256 << 10);
    });
  }

  void Linger(std::size_t budget) {
    if (budget == 0) return;
    beast::get_lowest_layer(stream_).async_read_some(
        buffer_.prepare(std::min<std::size_t>(budget, 16 << 10)),
        [self = shared_from_this(), budget](beast::error_code ec, std::size_t n) {
          if (ec) return;  // the client closed too (or the second is over)
          self->Linger(budget - std::min(budget, n));
        });
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<HttpResponse> refusal_;
  std::shared_ptr<HttpResponse> response_;
  std::shared_ptr<Shared> shared_;
  Role role_ = Role::kHandshake;
  std::optional<std::uint64_t> handshake_id_;  // while registered in shared_->handshakes
  std::size_t reserved_ = 0;
  std::size_t body_limit_ = 0;
  bool answering_ = false;
  std::string client_ip_;  // the peer's address, told to the handler with every request
};

}  // namespace

struct HttpsServer::Listener : std::enable_shared_from_this<Listener> {
  Listener(std::vector<net::io_context*> io_contexts, ssl::context& tls_context,
           std::shared_ptr<Shared> shared_state)
      : contexts(std::move(io_contexts)),
        tls(tls_context),
        shared(std::move(shared_state)),
        acceptor(net::make_strand(*contexts.front())),
        retry(acceptor.get_executor()) {}

  void Accept() {
    net::io_context& target = *contexts[next_context++ % contexts.size()];
    acceptor.async_accept(net::make_strand(target),
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            self->OnAccept(ec, std::move(socket));
                          });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors (or memory): retrying at once would spin; wait, longer each time.
      backoff = std::min(std::max(backoff * 2, std::chrono::milliseconds(5)),
                         std::chrono::milliseconds(1000));
      retry.expires_after(backoff);
      retry.async_wait([self = shared_from_this()](beast::error_code waited) {
        if (!waited) self->Accept();
      });
      return;
    }
    backoff = std::chrono::milliseconds(0);
    // Even the 503s are at their limit: no handshake is worth its CPU.
    if (shared->connections.load() >= shared->limits.max_connections &&
        shared->turned_away.load() >= shared->limits.max_turned_away) {
      beast::error_code ignored;
      socket.close(ignored);
      return Accept();
    }
    // Responses go out whole; Nagle would hold the tail of a large one until the client's
    // delayed ACK (40 ms).
    beast::error_code error;
    socket.set_option(tcp::no_delay(true), error);
    const auto peer = socket.remote_endpoint(error);
    if (error) {
      socket.close(error);  // gone already
      return Accept();
    }
    std::make_shared<Session>(std::move(socket), tls, shared)->Run(peer.address());
    Accept();
  }

  std::vector<net::io_context*> contexts;
  std::size_t next_context = 0;  // only touched on the acceptor's strand
  ssl::context& tls;
  std::shared_ptr<Shared> shared;
  tcp::acceptor acceptor;
  net::steady_timer retry;
  std::chrono::milliseconds backoff{0};
};

HttpsServer::HttpsServer(std::vector<net::io_context*> contexts, ssl::context& tls,
                         HeaderCheck admit, RequestHandler handler, ServerLimits limits)
    : writers_(limits.write_workers > 0 ? std::make_unique<net::thread_pool>(limits.write_workers)
                                        : nullptr),
      listener_(std::make_shared<Listener>(std::move(contexts), tls, [&] {
        auto shared = std::make_shared<Shared>(limits);
        shared->admit = std::move(admit);
        shared->handler = std::move(handler);
        shared->writers = writers_.get();
        return shared;
      }())) {}

HttpsServer::~HttpsServer() {
  Stop();
  if (writers_) writers_->join();  // the writes under way finish (their answers are dropped)
}

Result<tcp::endpoint> HttpsServer::Listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  auto& acceptor = listener_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(StatusCode::kUnavailable, "ListenFailed",
                     "cannot listen on " + endpoint.address().to_string() + ":" +
                         std::to_string(endpoint.port()) + ": " + ec.message() +
                         "; choose another address with --listen HOST:PORT");
  }
  listener_->Accept();
  return acceptor.local_endpoint();
}

void HttpsServer::Stop() {
  net::post(listener_->acceptor.get_executor(), [listener = listener_] {
    beast::error_code ignored;
    listener->acceptor.close(ignored);
    listener->retry.cancel();
  });
}

int HttpsServer::InFlight() const { return listener_->shared->in_flight.load(); }

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                           const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression);
  beast::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (!ec) context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    return MakeError(StatusCode::kFailedPrecondition, "TlsSetupFailed",
                     "cannot load the TLS certificate " + cert_file + " or key " + key_file + ": " +
                         ec.message());
  }
  return context;
}

std::size_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace gangplank::api
