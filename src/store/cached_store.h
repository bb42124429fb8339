// What every Store here shares: reads and watches from a ResourceCache, writes through one
// Commit that a database implements (and that brings the cache along).
#pragma once

#include "store/resource_cache.h"
#include "store/store.h"

namespace gangplank::store {

class CachedStore : public Store {
 public:
  Result<std::optional<Resource>> Get(std::string_view kind, std::string_view id) final {
    return cache_.Get(kind, id);
  }
  Result<std::vector<Resource>> List(std::string_view kind, std::string_view parent) final {
    return cache_.List(kind, parent);
  }
  Result<std::vector<Resource>> ListKind(std::string_view kind) final {
    return cache_.ListKind(kind);
  }
  Result<Resource> Put(const Resource& resource, Precondition precondition) final {
    auto stored = Commit({Mutation::Put(resource, precondition)}, true);
    if (!stored) return stored.error();
    return std::move(stored->front());
  }
  Status Delete(std::string_view kind, std::string_view id, Precondition precondition) final {
    auto deleted =
        Commit({Mutation::Delete(std::string(kind), std::string(id), precondition)}, false);
    if (!deleted) return deleted.error();
    return OkStatus();
  }
  Result<std::vector<Resource>> Apply(const std::vector<Mutation>& mutations) final {
    return Commit(mutations, true);
  }
  std::uint64_t Revision() const final { return cache_.Revision(); }
  std::uint64_t WaitForChange(std::uint64_t after, std::chrono::milliseconds timeout) final {
    return cache_.WaitForChange(after, timeout);
  }
  Result<std::vector<Change>> ChangesSince(std::uint64_t after, std::string_view kind) final {
    return cache_.ChangesSince(after, kind);
  }
  // One process owns the database: it is ready whenever it runs, and its clock is the clock.
  Status Ready() const override { return OkStatus(); }
  std::optional<long long> SharedClockMs() const override { return std::nullopt; }

 protected:
  // Runs `mutations` in one transaction (deleting an absent row is an error only without
  // `missing_ok`) and, once committed, brings the cache up to the new revision.
  virtual Result<std::vector<Resource>> Commit(const std::vector<Mutation>& mutations,
                                               bool missing_ok) = 0;

  ResourceCache cache_;
};

}  // namespace gangplank::store
