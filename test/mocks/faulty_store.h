// A Store that fails on purpose: reads of the kinds it is told to fail answer Unavailable, as a
// store that cannot be reached does; everything else goes to the store it wraps.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "store/store.h"

namespace gangplank::testing {

class FaultyStore final : public store::Store {
 public:
  explicit FaultyStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}

  // Reads (Get, List, ListKind) of `kind` fail from now on; Heal() ends every failure.
  void FailReadsOf(std::string kind) {
    std::lock_guard lock(mutex_);
    failing_.insert(std::move(kind));
  }
  void Heal() {
    std::lock_guard lock(mutex_);
    failing_.clear();
  }

  Result<std::optional<store::Resource>> Get(std::string_view kind, std::string_view id) override {
    if (Failing(kind)) return Away();
    return inner_->Get(kind, id);
  }
  Result<std::vector<store::Resource>> List(std::string_view kind,
                                            std::string_view parent) override {
    if (Failing(kind)) return Away();
    return inner_->List(kind, parent);
  }
  Result<store::Resource> Put(const store::Resource& resource,
                              store::Precondition precondition) override {
    return inner_->Put(resource, precondition);
  }
  Status Delete(std::string_view kind, std::string_view id,
                store::Precondition precondition) override {
    return inner_->Delete(kind, id, precondition);
  }
  Result<std::vector<store::Resource>> Apply(const std::vector<store::Mutation>& mutations) override {
    return inner_->Apply(mutations);
  }
  Result<std::vector<store::Resource>> ListKind(std::string_view kind) override {
    if (Failing(kind)) return Away();
    return inner_->ListKind(kind);
  }
  std::uint64_t Revision() const override { return inner_->Revision(); }
  Result<std::uint64_t> Sync() override { return inner_->Sync(); }
  std::uint64_t WaitForChange(std::uint64_t after, std::chrono::milliseconds timeout) override {
    return inner_->WaitForChange(after, timeout);
  }
  Result<std::vector<store::Change>> ChangesSince(std::uint64_t after,
                                                  std::string_view kind) override {
    return inner_->ChangesSince(after, kind);
  }
  Status Ready() const override { return inner_->Ready(); }
  std::optional<long long> SharedClockMs() const override { return inner_->SharedClockMs(); }

 private:
  bool Failing(std::string_view kind) {
    std::lock_guard lock(mutex_);
    return failing_.contains(std::string(kind));
  }
  static Error Away() {
    return MakeError(StatusCode::kUnavailable, "StoreUnavailable",
                     "the store cannot be reached (a test's fault)");
  }

  std::unique_ptr<store::Store> inner_;
  std::mutex mutex_;
  std::set<std::string> failing_;
};

}  // namespace gangplank::testing
