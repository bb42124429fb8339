// Async HTTPS sessions after the Boost.Beast advanced server example.
#include "api/https_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include "api/arm_response.h"

namespace gangplank::api {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ssl::context& tls, const RequestHandler& handler,
          const ServerLimits& limits, std::shared_ptr<std::atomic<int>> in_flight)
      : stream_(std::move(socket), tls),
        handler_(handler),
        limits_(limits),
        in_flight_(std::move(in_flight)) {}

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Handshake, shared_from_this()));
  }

 private:
  void Handshake() {
    beast::get_lowest_layer(stream_).expires_after(limits_.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return;  // a client that cannot do TLS with us; nothing to answer
    Read();
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(limits_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(limits_.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return RejectAndClose(HttpStatus::payload_too_large, "RequestEntityTooLarge",
                            "The request body is larger than " +
                                std::to_string(limits_.max_body_bytes >> 20) + " MiB.");
    }
    if (ec == http::error::header_limit) {
      return RejectAndClose(HttpStatus::request_header_fields_too_large, "RequestHeadersTooLarge",
                            "The request headers are too large.");
    }
    if (ec) {
      return RejectAndClose(HttpStatus::bad_request, "BadRequest",
                            "The request is not valid HTTP/1.1: " + ec.message() + ".");
    }
    ++*in_flight_;  // until the response is written
    answering_ = true;
    Write(handler_(parser_->get()));
  }

  void RejectAndClose(HttpStatus status, std::string_view code, const std::string& message) {
    HttpRequest placeholder;
    placeholder.version(11);
    placeholder.keep_alive(false);
    Write(ArmErrorResponse(placeholder, status, code, message));
  }

  void Write(HttpResponse response) {
    response_ = std::make_shared<HttpResponse>(std::move(response));
    http::async_write(
        stream_, *response_,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this(), response_->keep_alive()));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    if (answering_) {
      --*in_flight_;
      answering_ = false;
    }
    if (ec) return;
    if (!keep_alive) return Close();
    response_.reset();
    Read();
  }

  void Close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> response_;
  RequestHandler handler_;  // copies: a session may outlive the listener that accepted it
  ServerLimits limits_;
  std::shared_ptr<std::atomic<int>> in_flight_;
  bool answering_ = false;
};

}  // namespace

struct HttpsServer::Listener : std::enable_shared_from_this<Listener> {
  Listener(std::vector<net::io_context*> io_contexts, ssl::context& tls_context,
           RequestHandler request_handler, ServerLimits server_limits)
      : contexts(std::move(io_contexts)),
        tls(tls_context),
        handler(std::move(request_handler)),
        limits(server_limits),
        acceptor(net::make_strand(*contexts.front())) {}

  void Accept() {
    net::io_context& target = *contexts[next_context++ % contexts.size()];
    acceptor.async_accept(net::make_strand(target),
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            if (ec == net::error::operation_aborted) return;
                            if (!ec) {
                              // Responses go out whole; Nagle would hold the tail of a large one
                              // until the client's delayed ACK (40 ms).
                              beast::error_code ignored;
                              socket.set_option(tcp::no_delay(true), ignored);
                            }
                            if (!ec)
                              std::make_shared<Session>(std::move(socket), self->tls, self->handler,
                                                        self->limits, self->in_flight)
                                  ->Run();
                            self->Accept();
                          });
  }

  std::vector<net::io_context*> contexts;
  std::size_t next_context = 0;  // only touched on the acceptor's strand
  ssl::context& tls;
  RequestHandler handler;
  ServerLimits limits;
  tcp::acceptor acceptor;
  std::shared_ptr<std::atomic<int>> in_flight = std::make_shared<std::atomic<int>>(0);
};

HttpsServer::HttpsServer(std::vector<net::io_context*> contexts, ssl::context& tls,
                         RequestHandler handler, ServerLimits limits)
    : listener_(std::make_shared<Listener>(std::move(contexts), tls, std::move(handler), limits)) {}

HttpsServer::~HttpsServer() { Stop(); }

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
  });
}

int HttpsServer::InFlight() const { return listener_->in_flight->load(); }

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

}  // namespace gangplank::api
