// The stored documents of managed clusters and agent pools, typed: one codec each. The ARM
// resource stays a JSON object inside (ARM keeps every field a client sends, known or not); what
// the control plane itself reads or writes has a name here, not a path.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::resources {

inline constexpr std::string_view kClusterKind = "managedCluster";
inline constexpr std::string_view kPoolKind = "agentPool";

// The SSH part of a cluster: what new pools' models start from.
struct SshModel {
  std::string admin_username = "azureuser";
  std::vector<std::string> public_keys;  // canonical "type base64 comment" lines
  bool service_generated = false;        // --no-ssh-key: no private half exists anywhere
};

boost::json::object SshJson(const SshModel& ssh);
SshModel SshFromJson(const boost::json::object& doc);

// What a pool's nodes are provisioned from; `version` goes up once per change. Machines refer to
// the version they run; the keys are kept here only, once per version still in use, never copied
// into machine rows (a pool of 1,000 nodes holds its keys once, not 1,000 times).
// Who made a model version: the operation (its id names it in the activity log, with the caller
// and the request), the caller, and when. Empty until the request that made it commits.
struct ModelChange {
  std::string operation_id;
  std::string caller;
  std::string at;  // RFC 3339
};

struct PoolModel {
  std::int64_t version = 1;
  SshModel ssh;
  std::string ssh_access = "LocalUser";                           // LocalUser | Disabled
  std::map<std::int64_t, std::vector<std::string>> earlier_keys;  // older versions' keys
  // What made each version still in use (the current one included): a login on a node names the
  // change that put its key there.
  std::map<std::int64_t, ModelChange> changes;

  // The keys of `model_version`, if this model still has them.
  const std::vector<std::string>* KeysOf(std::int64_t model_version) const;
  // Starts the next version; `keys_until_now` stay available for the machines still on this one.
  void StartNextVersion(std::vector<std::string> keys_until_now);
  // Forgets the keys of earlier versions no machine runs any more.
  void KeepKeysOf(const std::set<std::int64_t>& versions_in_use);
  // Names `change` as the maker of the versions no committed request has claimed yet; whether
  // there were any.
  bool Stamp(const ModelChange& change);
};

// Fields every stored ARM resource record shares: its row, and the ARM resource itself.
struct ArmRecord {
  std::string id;      // the row's ARM id
  std::string parent;  // the row's parent id
  std::int64_t version = 0;
  boost::json::object resource;

  boost::json::object& properties();
  const boost::json::object& properties() const;
  std::string provisioning_state() const;
  void set_provisioning_state(std::string_view state);
  // properties.powerState.code is "Stopped".
  bool stopped() const;
  void set_power(bool running);
};

// managedCluster rows: {"resource": the ARM resource without agentPoolProfiles, "ssh": SshModel,
// "uid": the cluster's own id (its Kubernetes view's path), "credentialGeneration": which
// kubeconfig credentials hold (rotateClusterCertificates counts it up, revoking the older ones)}.
struct ClusterRecord : ArmRecord {
  SshModel ssh;
  std::string uid;
  std::int64_t credential_generation = 1;

  static Result<ClusterRecord> Decode(const store::Resource& row);
  store::Resource Encode() const;
  std::string location() const;
};

// agentPool rows: {"resource": the ARM agent pool, "model": PoolModel}.
struct PoolRecord : ArmRecord {
  PoolModel model;

  static Result<PoolRecord> Decode(const store::Resource& row);
  store::Resource Encode() const;
  std::string name() const;
};

// The write that sets a cluster's or pool's provisioningState (by the row's kind), at the
// version read.
Result<store::Mutation> WithProvisioningState(const store::Resource& row, std::string_view state);

// A store write of `record` that holds only if nobody wrote the row since it was read.
template <typename Record>
store::Mutation WriteBack(const Record& record) {
  return store::Mutation::Put(record.Encode(), store::Precondition::AtVersion(record.version));
}

}  // namespace gangplank::resources
