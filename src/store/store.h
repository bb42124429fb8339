// The Store seam: durable ARM resources, keyed case-insensitively, with a version per row.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace gangplank::store {

struct Resource {
  std::string kind;  // "resourceGroup", "managedCluster", … (a table of its own later, if need be)
  std::string id;    // the ARM id as first written (ARM keeps the creator's casing)
  std::string parent;        // the ARM id of the parent (subscription, group, cluster), for listing
  std::string body;          // the JSON document
  std::int64_t version = 0;  // 1 on create, +1 on every write; ETags derive from it
};

// What a write expects to find, so concurrent writers cannot lose each other's changes.
struct Precondition {
  static Precondition Any() { return {}; }
  static Precondition Absent() { return {0}; }
  static Precondition Exists() { return {kExists}; }
  static Precondition AtVersion(std::int64_t v) { return {v}; }
  std::optional<std::int64_t> version;  // 0: must not exist; kExists: must, at any version

  static constexpr std::int64_t kExists = -1;
  // Whether a row now at `current` (0: absent) satisfies it.
  bool HoldsAt(std::int64_t current) const {
    if (!version) return true;
    return *version == kExists ? current != 0 : *version == current;
  }
};

// One change in an atomic batch: a put (with `resource`), a delete (of kind/id), or a check that
// writes nothing but makes the batch fail unless its precondition holds (a lock that must be free).
struct Mutation {
  enum class Type { kPut, kDelete, kCheck };
  Type type = Type::kPut;
  Resource resource;  // for deletes only kind and id matter
  Precondition precondition;

  static Mutation Put(Resource resource, Precondition precondition = Precondition::Any()) {
    return {Type::kPut, std::move(resource), precondition};
  }
  static Mutation Delete(std::string kind, std::string id,
                         Precondition precondition = Precondition::Any()) {
    return {Type::kDelete, Resource{std::move(kind), std::move(id), {}, {}, 0}, precondition};
  }
  static Mutation Check(std::string kind, std::string id, Precondition precondition) {
    return {Type::kCheck, Resource{std::move(kind), std::move(id), {}, {}, 0}, precondition};
  }
};

// One committed change of a row, as a watch reports it.
struct Change {
  std::uint64_t revision = 0;  // the store revision that committed it
  std::string kind;
  std::string id;
  bool deleted = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // Ids compare case-insensitively, as ARM paths do.
  virtual Result<std::optional<Resource>> Get(std::string_view kind, std::string_view id) = 0;
  virtual Result<std::vector<Resource>> List(std::string_view kind, std::string_view parent) = 0;
  // Creates or replaces `resource` (its version is ignored) and returns the stored row.
  // Aborted when the precondition does not hold. The write is durable when this returns.
  virtual Result<Resource> Put(const Resource& resource, Precondition precondition) = 0;
  // Deletes the row and every row whose parent chain leads to it; NotFound if absent.
  virtual Status Delete(std::string_view kind, std::string_view id, Precondition precondition) = 0;
  // Applies every mutation or none (a resource, its children and its operation record change
  // together); returns the stored rows of the puts, in order. Deleting an absent row is not an
  // error here.
  virtual Result<std::vector<Resource>> Apply(const std::vector<Mutation>& mutations) = 0;
  // Every row of a kind, whatever its parent (operations to resume after a restart).
  virtual Result<std::vector<Resource>> ListKind(std::string_view kind) = 0;
  // The store-wide revision this process's reads reflect (like etcd's): it grows with every
  // committed write, anywhere; anything derived from reads taken after Revision() returned r is
  // current for as long as Revision() still returns r.
  virtual std::uint64_t Revision() const = 0;
  // The read barrier: afterwards, reads reflect every write acknowledged (by any process) before
  // the call. Returns the revision they reflect. Unavailable when the store cannot be reached.
  virtual Result<std::uint64_t> Sync() = 0;
  // Waits until Revision() passes `after` or `timeout` elapses; returns Revision(). Controllers
  // and agents watch with it, then read what changed with ChangesSince.
  virtual std::uint64_t WaitForChange(std::uint64_t after, std::chrono::milliseconds timeout) = 0;
  // The changes to rows of `kind` committed after revision `after`, oldest first (one per row:
  // its latest). FailedPrecondition ("Compacted") when `after` is older than the changes this process
  // keeps: list the kind again instead.
  virtual Result<std::vector<Change>> ChangesSince(std::uint64_t after, std::string_view kind) = 0;
  // Readiness (a load balancer's question): OK when a request sent now would be served, that is
  // the store answers within its deadline and, for replicas, this one holds its read lease.
  // Cheap: it answers from what the store already knows and never waits on the database.
  virtual Status Ready() const = 0;
  // The clock that leases are written and judged by, shared by every process of the store (the
  // database server's for replicas, so a replica whose own clock is off takes no lease early),
  // in milliseconds since the Unix epoch; nullopt for a store that one process owns, whose
  // caller's own clock is the only one.
  virtual std::optional<long long> SharedClockMs() const = 0;
};

// Lowercase ASCII: the comparison key of ARM ids.
std::string IdKey(std::string_view id);

}  // namespace gangplank::store
