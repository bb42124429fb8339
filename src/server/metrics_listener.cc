// A small Beast HTTP server: one request at a time per connection, short deadlines, a cap on
// connections, GET and HEAD of /metrics only.
#include "server/metrics_listener.h"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace gangplank::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr int kMaxConnections = 64;  // a scraper needs one; the rest are closed at once
constexpr std::chrono::seconds kIdle{30};
constexpr std::chrono::seconds kWrite{30};

}  // namespace

struct MetricsListener::State : std::enable_shared_from_this<MetricsListener::State> {
  State(boost::asio::io_context& io, std::function<Result<std::string>()> render_text)
      : context(io), acceptor(io), retry(io), render(std::move(render_text)) {}

  void Accept();

  boost::asio::io_context& context;
  tcp::acceptor acceptor;
  boost::asio::steady_timer retry;  // after a failed accept (out of descriptors)
  std::chrono::milliseconds backoff{0};
  std::function<Result<std::string>()> render;
  std::atomic<int> connections{0};
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<MetricsListener::State> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    ++state_->connections;
  }
  ~Session() { --state_->connections; }

  void Read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(0);  // a scrape has no body
    stream_.expires_after(kIdle);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

 private:
  http::response<http::string_body> Answer(const http::request<http::empty_body>& request) {
    http::response<http::string_body> response(http::status::ok, request.version());
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    const std::string_view target = request.target();
    if (target != "/metrics" && !target.starts_with("/metrics?")) {
      response.result(http::status::not_found);
      response.body() = "This address serves GET /metrics only.\n";
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response.result(http::status::method_not_allowed);
      response.set(http::field::allow, "GET, HEAD");
      response.body() = "/metrics takes GET.\n";
    } else if (auto text = state_->render(); !text) {
      response.result(http::status::service_unavailable);
      response.body() = text.error().message + "\n";
    } else {
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.set(http::field::cache_control, "no-store");
      response.body() = std::move(text.value());
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    if (request.method() == http::verb::head) response.body().clear();
    return response;
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return Refuse(ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                    : http::status::payload_too_large);
    }
    if (ec) return Close();
    response_ = Answer(parser_->get());
    Write();
  }

  void Refuse(http::status status) {
    response_ = http::response<http::string_body>(status, 11);
    response_.body() = "A scrape is GET /metrics with a small header and no body.\n";
    response_.keep_alive(false);
    response_.prepare_payload();
    Write();
  }

  void Write() {
    stream_.expires_after(kWrite);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec || !response_.keep_alive()) return Close();
    Read();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<MetricsListener::State> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

void MetricsListener::State::Accept() {
  acceptor.async_accept(boost::asio::make_strand(context),
                        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                          if (ec == boost::asio::error::operation_aborted) return;
                          if (ec) {
                            // Out of descriptors: the connection stays queued and accepting
                            // again at once would spin; wait, longer each time.
                            self->backoff =
                                std::min(std::max(self->backoff * 2, std::chrono::milliseconds(5)),
                                         std::chrono::milliseconds(1000));
                            self->retry.expires_after(self->backoff);
                            self->retry.async_wait([self](beast::error_code waited) {
                              if (!waited && self->acceptor.is_open()) self->Accept();
                            });
                            return;
                          }
                          self->backoff = std::chrono::milliseconds(0);
                          if (self->connections < kMaxConnections) {
                            std::make_shared<Session>(std::move(socket), self)->Read();
                          }
                          // Over the cap the socket closes as it goes out of scope.
                          if (self->acceptor.is_open()) self->Accept();
                        });
}

MetricsListener::MetricsListener(boost::asio::io_context& context,
                                 std::function<Result<std::string>()> render)
    : state_(std::make_shared<State>(context, std::move(render))) {}

MetricsListener::~MetricsListener() { Stop(); }

Result<tcp::endpoint> MetricsListener::Listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  state_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) state_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) state_->acceptor.bind(endpoint, ec);
  if (!ec) state_->acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(StatusCode::kUnavailable, "MetricsListenFailed",
                     "cannot listen for metrics on " + endpoint.address().to_string() + ":" +
                         std::to_string(endpoint.port()) + ": " + ec.message() +
                         "; pick a free address with --metrics-listen");
  }
  const tcp::endpoint bound = state_->acceptor.local_endpoint(ec);
  state_->Accept();
  return bound;
}

void MetricsListener::Stop() {
  boost::asio::post(state_->context, [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
    state->retry.cancel();
  });
}

}  // namespace gangplank::server
