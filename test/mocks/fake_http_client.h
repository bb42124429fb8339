// A net::HttpClient that answers from a script and records what it was sent: the seam between a
// node's agent and the control plane, without a server.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "net/https_client.h"

namespace gangplank::testing {

class FakeHttpClient final : public net::HttpClient {
 public:
  struct Request {
    std::string method, target, body;
    std::map<std::string, std::string> headers;
  };

  // The next request whose target starts with `prefix` gets `reply` (each is used once, in order);
  // a request no scripted reply matches gets 503.
  void Answer(std::string prefix, net::HttpReply reply) {
    std::lock_guard lock(mutex_);
    script_.emplace_back(std::move(prefix), std::move(reply));
  }

  Result<net::HttpReply> Send(const std::string& method, const std::string& target,
                              const std::string& body,
                              const std::map<std::string, std::string>& headers) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(Request{method, target, body, headers});
    for (auto it = script_.begin(); it != script_.end(); ++it) {
      if (!target.starts_with(it->first)) continue;
      net::HttpReply reply = std::move(it->second);
      script_.erase(it);
      return reply;
    }
    return net::HttpReply{503, "no scripted reply", {}};
  }

  std::vector<Request> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<std::pair<std::string, net::HttpReply>> script_;
  std::vector<Request> sent_;
};

}  // namespace gangplank::testing
