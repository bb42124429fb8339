// The HTTPS listener (Boost.Beast): TLS, keep-alive, a strand per connection, deadlines per phase,
// requests admitted from their headers before any body is read, and caps on connections and
// buffered bodies.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "api/http_types.h"
#include "common/error.h"

namespace gangplank::api {

using RequestHandler = std::function<HttpResponse(const HttpRequest&)>;

// Sees the request with its header only (the body is empty).
using HeaderCheck = std::function<Admission(const HttpRequest&)>;

struct ServerLimits {
  std::size_t max_header_bytes = 64 << 10;
  // Connections served at once; the ones beyond get 503 with Retry-After (up to
  // max_turned_away at a time, the rest are closed unanswered).
  std::size_t max_connections = 1000;
  std::size_t max_turned_away = 64;
  // Connections still in their TLS handshake do not count against max_connections; they are
  // capped on their own, per client address and in total. A new one beyond either cap drops the
  // oldest handshake (of that address, or of all), never the newcomer: a flood of idle TCP
  // connections then only ever holds the newest handshakes, and a real client's completes.
  std::size_t max_handshakes_per_source = 128;
  std::size_t max_handshakes = 512;
  // Bodies being read or handled at once, counted by their announced size; a request that does
  // not fit gets 503 with Retry-After.
  std::size_t max_body_bytes_in_flight = 64 << 20;
  // A refused request's body up to this size is read and dropped so the connection stays usable;
  // a larger one closes the connection.
  std::size_t max_drained_body_bytes = 64 << 10;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds first_request_timeout{30};  // a new connection's first byte
  std::chrono::seconds idle_timeout{120};          // keep-alive, between requests
  std::chrono::seconds header_timeout{10};         // first byte to the end of the header
  std::chrono::seconds body_timeout{30};           // the whole body
  // Threads that run requests other than GET and HEAD: a write waits for its commit's fsync,
  // and writes waiting together share one (group commit), so more of them than cores keep the
  // disk busy and the I/O threads free for reads. 0: every request on its I/O thread.
  std::size_t write_workers = 16;
};

class HttpsServer {
 public:
  // Accepts on the first context and spreads connections over all of them round-robin: with one
  // context (and thread) per core, a connection's work never changes thread.
  HttpsServer(std::vector<boost::asio::io_context*> contexts, boost::asio::ssl::context& tls,
              HeaderCheck admit, RequestHandler handler, ServerLimits limits = {});
  ~HttpsServer();

  // Binds and starts accepting; returns the bound endpoint (port 0 picks a free port).
  Result<boost::asio::ip::tcp::endpoint> Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Stops accepting new connections.
  void Stop();
  // Requests read but not yet answered; a clean shutdown waits for this to reach zero.
  int InFlight() const;

 private:
  struct Listener;
  std::unique_ptr<boost::asio::thread_pool> writers_;
  std::shared_ptr<Listener> listener_;
};

// A TLS context from PEM files (TLS 1.2+, no compression, no renegotiation).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

// Raises the soft open-file limit to the hard one (every connection is a descriptor); returns the
// soft limit in force afterwards.
std::size_t RaiseOpenFileLimit();

}  // namespace gangplank::api
