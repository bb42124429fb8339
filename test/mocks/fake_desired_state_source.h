// The desired-state seam (node::DesiredStateSource) faked: answers from a script of replies and
// records the reports.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>

#include "node/agent_loop.h"

namespace gangplank::testing {

class FakeDesiredStateSource final : public node::DesiredStateSource {
 public:
  // Replies in order; the last one repeats.
  explicit FakeDesiredStateSource(std::deque<Result<node::DesiredReply>> replies)
      : replies_(std::move(replies)) {}

  Result<node::DesiredReply> Fetch(const std::string&, std::chrono::seconds) override {
    ++fetches;
    std::lock_guard lock(mutex_);
    Result<node::DesiredReply> reply = replies_.front();
    if (replies_.size() > 1) replies_.pop_front();
    return reply;
  }
  Status Report(const protocol::NodeStatus&, const std::vector<protocol::LoginEvent>&,
                const std::string&) override {
    ++reports;
    return OkStatus();
  }

  std::atomic<int> fetches{0}, reports{0};

 private:
  std::mutex mutex_;
  std::deque<Result<node::DesiredReply>> replies_;
};

}  // namespace gangplank::testing
