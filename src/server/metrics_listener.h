// The optional plain-HTTP listener for Prometheus (`--metrics-listen`): GET /metrics and nothing
// else, without a token, for a scraper on a management network that should hold no credential.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/error.h"

namespace gangplank::server {

class MetricsListener {
 public:
  // `render` produces the exposition text (the same as the API's GET /metrics).
  MetricsListener(boost::asio::io_context& context, std::function<Result<std::string>()> render);
  ~MetricsListener();

  // Binds and starts accepting; returns the bound endpoint (port 0 picks a free one).
  Result<boost::asio::ip::tcp::endpoint> Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void Stop();

  struct State;  // what the listener and its connections share (defined in the .cc)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gangplank::server
