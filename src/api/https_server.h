// The HTTPS listener (Boost.Beast): TLS, keep-alive, a strand per connection, read timeouts,
// size limits; every request goes to one handler function.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "api/http_types.h"
#include "common/error.h"

namespace gangplank::api {

using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

struct ServerLimits {
  std::size_t max_body_bytes = 4 << 20;  // ARM's request limit
  std::size_t max_header_bytes = 64 << 10;
  std::chrono::seconds handshake_timeout{15};
  std::chrono::seconds idle_timeout{120};  // keep-alive connections waiting for a request
};

class HttpsServer {
 public:
  // Accepts on the first context and spreads connections over all of them round-robin: with one
  // context (and thread) per core, a connection's work never changes thread.
  HttpsServer(std::vector<boost::asio::io_context*> contexts, boost::asio::ssl::context& tls,
              RequestHandler handler, ServerLimits limits = {});
  ~HttpsServer();

  // Binds and starts accepting; returns the bound endpoint (port 0 picks a free port).
  Result<boost::asio::ip::tcp::endpoint> Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Stops accepting new connections.
  void Stop();
  // Requests read but not yet answered; a clean shutdown waits for this to reach zero.
  int InFlight() const;

 private:
  struct Listener;
  std::shared_ptr<Listener> listener_;
};

// A TLS context from PEM files (TLS 1.2+, no compression, no renegotiation).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace gangplank::api
