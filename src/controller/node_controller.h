// The node controller: level-based, it makes the runtime's nodes match the machine records —
// every machine has a running node, every queued removal is carried out, and a node without a
// machine (left by a crash between the two) is removed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "auth/node_tokens.h"
#include "common/clock.h"
#include "controller/leader_lease.h"
#include "runtime/node_runtime.h"
#include "store/store.h"

namespace gangplank::controller {

class NodeController {
 public:
  NodeController(store::Store& store, runtime::NodeRuntime& runtime,
                 const auth::NodeTokens& tokens, const Clock& clock);
  ~NodeController();

  // One pass over every machine and node (tests drive the controller with this).
  void SyncOnce();
  // Syncs every `period` and whenever Wake() is called, until Stop(). With `leader`, only while
  // this process holds that lease (replicas: one node controller acts at a time).
  void Start(std::chrono::milliseconds period, LeaderLease* leader = nullptr);
  void Wake();
  void Stop();

 private:
  store::Store& store_;
  runtime::NodeRuntime& runtime_;
  const auth::NodeTokens& tokens_;
  const Clock& clock_;
  std::map<std::string, std::string> start_errors_;  // uid → last error reported for it
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace gangplank::controller
