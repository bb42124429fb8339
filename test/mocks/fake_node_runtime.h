// A runtime::NodeRuntime that keeps its nodes in a map: the seam between the node controller and
// the processes (containers, VMs) that are nodes, without any.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/node_runtime.h"

namespace gangplank::testing {

class FakeNodeRuntime final : public runtime::NodeRuntime {
 public:
  Status Ensure(const runtime::NodeLaunch& node, const runtime::Fence& fence = {}) override {
    std::lock_guard lock(mutex_);
    GP_RETURN_IF_ERROR(runtime::CheckFence(fence, "starting node " + node.uid));
    ensured_.push_back(node);
    if (refusal_) return *refusal_;
    running_[node.uid] = node;
    return OkStatus();
  }
  bool Settled(const runtime::NodeLaunch& node) override {
    std::lock_guard lock(mutex_);
    const auto found = running_.find(node.uid);
    return found != running_.end() && found->second.reimage_generation == node.reimage_generation;
  }
  Status Remove(const std::string& uid, const runtime::Fence& fence = {}) override {
    std::lock_guard lock(mutex_);
    GP_RETURN_IF_ERROR(runtime::CheckFence(fence, "removing node " + uid));
    removed_.push_back(uid);
    running_.erase(uid);
    return OkStatus();
  }
  std::vector<std::string> List() override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> uids;
    for (const auto& [uid, node] : running_) uids.push_back(uid);
    return uids;
  }
  void WatchExits(std::function<void(const std::string& uid)> on_exit) override {
    std::lock_guard lock(mutex_);
    on_exit_ = std::move(on_exit);
  }

  // From now on every Ensure fails with `error` (nullopt: succeeds again).
  void RefuseWith(std::optional<Error> error) {
    std::lock_guard lock(mutex_);
    refusal_ = std::move(error);
  }
  // A node the runtime holds that no machine asked for (left by a crash).
  void Hold(const std::string& uid) {
    std::lock_guard lock(mutex_);
    runtime::NodeLaunch node;
    node.uid = uid;
    running_[uid] = node;
  }
  // The node stops by itself: the watcher hears of it, as from a container whose init exited.
  void Exit(const std::string& uid) {
    std::function<void(const std::string&)> on_exit;
    {
      std::lock_guard lock(mutex_);
      running_.erase(uid);
      on_exit = on_exit_;
    }
    if (on_exit) on_exit(uid);
  }

  std::map<std::string, runtime::NodeLaunch> Running() {
    std::lock_guard lock(mutex_);
    return running_;
  }
  std::vector<runtime::NodeLaunch> Ensured() {
    std::lock_guard lock(mutex_);
    return ensured_;
  }
  std::vector<std::string> Removed() {
    std::lock_guard lock(mutex_);
    return removed_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, runtime::NodeLaunch> running_;
  std::vector<runtime::NodeLaunch> ensured_;
  std::vector<std::string> removed_;
  std::optional<Error> refusal_;
  std::function<void(const std::string&)> on_exit_;
};

}  // namespace gangplank::testing
