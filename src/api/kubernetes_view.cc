// A read-only, Kubernetes-compatible view of one cluster's nodes at /kubernetes/<cluster uid>/, for
// the kubeconfig that listClusterUserCredential returns: `kubectl get nodes -o wide` lists every
// machine with its address, node image and OS, labels and annotations saying its SSH model and
// whether the latest is applied (the way AKS's SSH docs find a node). Nothing else is served.
#include <sys/utsname.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include "access/authorizer.h"
#include <chrono>
#include <ctime>

#include "api/arm_response.h"
#include "api/handlers.h"
#include "auth/kube_credentials.h"
#include "resources/cluster_docs.h"
#include "resources/machine_store.h"

namespace gangplank::api {
namespace json = boost::json;
namespace {

using resources::StringOr;
constexpr std::string_view kAnnotations = "gangplank.io/";

// A Kubernetes Status error, as kubectl prints it ("Error from server (NotFound): …").
HttpResponse Status(const ApiRequest& request, HttpStatus status, std::string_view reason,
                    std::string_view message) {
  return JsonResponse(request.http, status,
                      json::object{{"kind", "Status"},
                                   {"apiVersion", "v1"},
                                   {"metadata", json::object{}},
                                   {"status", "Failure"},
                                   {"message", message},
                                   {"reason", reason},
                                   {"code", static_cast<int>(status)}});
}

std::string Rfc3339Seconds(long long unix_seconds) {
  const std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// kubectl's AGE column: 45s, 12m, 5h, 3d.
std::string Age(long long seconds) {
  if (seconds < 120) return std::to_string(std::max(0LL, seconds)) + "s";
  if (seconds < 2 * 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

std::string KernelRelease() {
  utsname name{};
  return ::uname(&name) == 0 ? name.release : "";
}

struct NodeRow {
  json::object node;  // the v1 Node
  json::array cells;  // the Table row
};

// What a v1 Node says of one machine, read once from its machine view and its pool.
struct NodeFacts {
  json::object view;  // the machine's ARM view
  std::string name, address, image, os_sku, version, state, mode, pool_name, vm_size;
  bool ready = false;

  NodeFacts(const resources::Machine& machine, const json::object& pool_view,
            const resources::PoolTarget& target)
      : view(resources::MachineView(machine, target)) {
    const json::object& properties = this->properties();
    const json::object& pool = pool_view.at("properties").as_object();
    name = std::string(view.at("name").as_string());
    address = std::string(properties.at("network").at("ipAddresses").at(0).at("ip").as_string());
    image = StringOr(properties, "nodeImageVersion", "");
    os_sku = StringOr(pool, "osSKU", "Ubuntu");
    version = "v" + StringOr(pool, "orchestratorVersion", "");
    state = StringOr(properties, "state", "");
    ready = state == "Running";
    mode = StringOr(pool, "mode", "User") == "System" ? "system" : "user";
    pool_name = std::string(pool_view.at("name").as_string());
    vm_size = StringOr(pool, "vmSize", "");
  }
  const json::object& properties() const { return view.at("properties").as_object(); }
  std::string os_image() const { return os_sku + " (" + image + ")"; }
};

json::object NodeMetadata(const resources::Machine& machine, const NodeFacts& facts,
                          const resources::PoolTarget& target) {
  const json::object& properties = facts.properties();
  std::string fingerprints;
  for (const auto& f : properties.at("hostKeyFingerprints").as_array())
    fingerprints += (fingerprints.empty() ? "" : ", ") + std::string(f.as_string());
  const auto annotation = [](std::string_view key) {
    return std::string(kAnnotations) + std::string(key);
  };
  return json::object{
      {"name", facts.name},
      {"uid", machine.uid},
      {"resourceVersion", std::to_string(machine.row.version)},
      {"creationTimestamp", Rfc3339Seconds(machine.created_at)},
      {"labels", json::object{{"agentpool", facts.pool_name},
                              {"kubernetes.azure.com/agentpool", facts.pool_name},
                              {"kubernetes.azure.com/mode", facts.mode},
                              {"kubernetes.azure.com/role", "agent"},
                              {"kubernetes.azure.com/node-image-version", facts.image},
                              {"kubernetes.azure.com/os-sku", facts.os_sku},
                              {"kubernetes.io/hostname", facts.name},
                              {"kubernetes.io/os", "linux"},
                              {"node-role.kubernetes.io/agent", ""},
                              {"node.kubernetes.io/instance-type", facts.vm_size}}},
      {"annotations",
       json::object{{annotation("ssh-access"), properties.at("sshAccess")},
                    {annotation("ssh-model-version"),
                     std::to_string(properties.at("desiredModelVersion").as_int64())},
                    {annotation("pool-ssh-model-version"), std::to_string(target.model_version)},
                    {annotation("latest-ssh-model-applied"),
                     properties.at("latestModelApplied").as_bool() ? "true" : "false"},
                    {annotation("sshd-health"), StringOr(properties, "sshdHealth", "Unknown")},
                    {annotation("host-key-fingerprints"), fingerprints}}}};
}

json::object NodeStatusOf(const resources::Machine& machine, const NodeFacts& facts,
                          const std::string& kernel) {
  return json::object{
      {"addresses", json::array{json::object{{"type", "InternalIP"}, {"address", facts.address}},
                                json::object{{"type", "Hostname"}, {"address", facts.name}}}},
      {"nodeInfo", json::object{{"osImage", facts.os_image()},
                                {"kernelVersion", kernel},
                                {"containerRuntimeVersion", "none://"},
                                {"kubeletVersion", facts.version},
                                {"kubeProxyVersion", facts.version},
                                {"operatingSystem", "linux"},
                                {"architecture", "amd64"},
                                {"machineID", machine.uid},
                                {"systemUUID", machine.uid},
                                {"bootID", ""}}},
      {"conditions",
       json::array{json::object{{"type", "Ready"},
                                {"status", facts.ready ? "True" : "False"},
                                {"reason", facts.ready ? "SshdReady" : "Node" + facts.state},
                                {"message", facts.ready ? "sshd answers on " + facts.address
                                                        : "the node is " + facts.state},
                                {"lastHeartbeatTime", Rfc3339Seconds(machine.reported_at)},
                                {"lastTransitionTime", Rfc3339Seconds(machine.desired_at)}}}}};
}

// One machine as a v1 Node (and its kubectl row).
NodeRow NodeOf(const resources::Machine& machine, const json::object& pool_view,
               const resources::PoolTarget& target, long long now, const std::string& kernel) {
  const NodeFacts facts(machine, pool_view, target);
  json::object node{
      {"kind", "Node"},
      {"apiVersion", "v1"},
      {"metadata", NodeMetadata(machine, facts, target)},
      {"spec",
       json::object{{"providerID", "gangplank://" + std::string(facts.view.at("id").as_string())},
                    {"unschedulable", facts.state == "Stopped"}}},
      {"status", NodeStatusOf(machine, facts, kernel)}};
  const std::string status = facts.ready                ? "Ready"
                             : facts.state == "Stopped" ? "NotReady,SchedulingDisabled"
                                                        : "NotReady";
  json::array cells{json::value(facts.name),    json::value(status),
                    json::value("agent"),       json::value(Age(now - machine.created_at)),
                    json::value(facts.version), json::value(facts.address),
                    json::value("<none>"),      json::value(facts.os_image()),
                    json::value(kernel),        json::value("none://")};
  return NodeRow{std::move(node), std::move(cells)};
}

// kubectl's node columns; priority 1 ones show with -o wide.
json::array NodeColumns() {
  json::array columns;
  const std::pair<const char*, int> names[] = {
      {"Name", 0},           {"Status", 0},           {"Roles", 0},       {"Age", 0},
      {"Version", 0},        {"Internal-IP", 1},      {"External-IP", 1}, {"OS-Image", 1},
      {"Kernel-Version", 1}, {"Container-Runtime", 1}};
  for (const auto& [name, priority] : names) {
    columns.push_back(json::object{{"name", name},
                                   {"type", "string"},
                                   {"format", std::string_view(name) == "Name" ? "name" : ""},
                                   {"description", ""},
                                   {"priority", priority}});
  }
  return columns;
}

bool WantsTable(const ApiRequest& request) {
  const auto accept = request.http[boost::beast::http::field::accept];
  return std::string_view(accept.data(), accept.size()).find("as=Table") != std::string_view::npos;
}

HttpResponse Nodes(const ApiRequest& request, const HandlerContext& context,
                   const store::Resource& cluster, const std::optional<std::string>& only) {
  auto pools = resources::PoolsOf(context.store, cluster.id);
  if (!pools)
    return Status(request, HttpStatus::service_unavailable, "ServiceUnavailable",
                  "the store cannot be read now; try again");
  const long long now = UnixSeconds(context.clock.Now());
  const std::string kernel = KernelRelease();  // the host's: every local node shares its kernel
  json::array items, rows;
  for (const auto& pool_row : *pools) {
    auto pool = resources::PoolRecord::Decode(pool_row);
    auto target = pool ? resources::TargetOf(context.store, *pool, context.images)
                       : Result<resources::PoolTarget>(pool.error());
    if (!target)
      return Status(request, HttpStatus::service_unavailable, "ServiceUnavailable",
                    "the store cannot be read now; try again");
    auto machines = resources::MachinesOf(context.store, pool_row.id);
    if (!machines)
      return Status(request, HttpStatus::service_unavailable, "ServiceUnavailable",
                    "the store cannot be read now; try again");
    for (const auto& machine : *machines) {
      if (only && machine.desired.node_name != *only) continue;
      NodeRow row = NodeOf(machine, pool->resource, *target, now, kernel);
      rows.push_back(json::object{{"cells", std::move(row.cells)},
                                  {"object", json::object{{"kind", "PartialObjectMetadata"},
                                                          {"apiVersion", "meta.k8s.io/v1"},
                                                          {"metadata", row.node.at("metadata")}}}});
      items.push_back(std::move(row.node));
    }
  }
  if (only && items.empty()) {
    return Status(request, HttpStatus::not_found, "NotFound",
                  "nodes \"" + only->substr(0, 80) + "\" not found");
  }
  const std::string revision = std::to_string(context.store.Revision());
  if (WantsTable(request)) {
    return JsonResponse(request.http, HttpStatus::ok,
                        json::object{{"kind", "Table"},
                                     {"apiVersion", "meta.k8s.io/v1"},
                                     {"metadata", json::object{{"resourceVersion", revision}}},
                                     {"columnDefinitions", NodeColumns()},
                                     {"rows", std::move(rows)}});
  }
  if (only) return JsonResponse(request.http, HttpStatus::ok, items.at(0));
  return JsonResponse(request.http, HttpStatus::ok,
                      json::object{{"kind", "NodeList"},
                                   {"apiVersion", "v1"},
                                   {"metadata", json::object{{"resourceVersion", revision}}},
                                   {"items", std::move(items)}});
}

// Whether the identity a kubeconfig was issued to still holds the action that issued it (its
// role on the cluster, the principal itself enabled): taking the role away, or the identity,
// ends the kubeconfig at the next request.
bool StillEntitled(const HandlerContext& context, const auth::KubeCredential& credential) {
  if (credential.principal.empty()) return true;  // issued before identities, by the admin
  static constexpr std::pair<std::string_view, std::string_view> kActions[] = {
      {"clusterUser", "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"},
      {"clusterAdmin",
       "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action"},
      {"clusterMonitoringUser",
       "Microsoft.ContainerService/managedClusters/listClusterMonitoringUserCredential/action"}};
  const auto action = std::find_if(std::begin(kActions), std::end(kActions),
                                   [&](const auto& entry) { return entry.first == credential.role; });
  if (action == std::end(kActions)) return false;
  auto caller = context.authorizer.Identify(credential.subject);
  if (!caller || store::IdKey(caller->object_id) != store::IdKey(credential.principal)) return false;
  auto allowed = context.authorizer.Allows(*caller, action->second, credential.cluster_id);
  return allowed && *allowed;
}

// The cluster the bearer token was issued for, when it is the one in the path, still exists and
// has not rotated its credentials since.
std::optional<store::Resource> Authorized(const ApiRequest& request, const HandlerContext& context,
                                          const std::string& uid) {
  const auto header = request.http[boost::beast::http::field::authorization];
  const std::string_view value(header.data(), header.size());
  if (!value.starts_with("Bearer ") || context.config.kube_tokens == nullptr) return std::nullopt;
  auto credential = auth::VerifyKubeCredential(*context.config.kube_tokens, value.substr(7));
  if (!credential || credential->uid != uid) return std::nullopt;
  auto row = context.store.Get(resources::kClusterKind, credential->cluster_id);
  if (!row || !row->has_value()) return std::nullopt;
  auto cluster = resources::ClusterRecord::Decode(**row);
  if (!cluster || cluster->uid != uid || cluster->credential_generation != credential->generation)
    return std::nullopt;
  if (!StillEntitled(context, *credential)) return std::nullopt;
  return **row;
}

}  // namespace

HttpResponse HandleKubernetes(const ApiRequest& request, const HandlerContext& context) {
  const auto& path = request.lower_segments;  // kubernetes, UID, …
  if (path.size() < 2) return Status(request, HttpStatus::not_found, "NotFound", "no cluster here");
  auto cluster = Authorized(request, context, request.segments[1]);
  if (!cluster) {
    return Status(request, HttpStatus::unauthorized, "Unauthorized",
                  "Unauthorized: use the kubeconfig from az aks get-credentials for this cluster");
  }
  if (request.http.method() != HttpVerb::get) {
    return Status(request, HttpStatus::method_not_allowed, "MethodNotAllowed",
                  "Gangplank's Kubernetes view is read-only: it serves nodes only.");
  }
  const std::vector<std::string> rest(path.begin() + 2, path.end());
  using Path = std::vector<std::string>;
  if (rest == Path{"version"}) {
    return JsonResponse(request.http, HttpStatus::ok,
                        json::object{{"major", "1"},
                                     {"minor", "25"},
                                     {"gitVersion", "v1.25.6"},
                                     {"platform", "linux/amd64"}});
  }
  if (rest == Path{"api"}) {
    return JsonResponse(request.http, HttpStatus::ok,
                        json::object{{"kind", "APIVersions"},
                                     {"versions", json::array{"v1"}},
                                     {"serverAddressByClientCIDRs", json::array{}}});
  }
  if (rest == Path{"apis"}) {
    return JsonResponse(
        request.http, HttpStatus::ok,
        json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array{}}});
  }
  if (rest == Path{"api", "v1"}) {
    return JsonResponse(
        request.http, HttpStatus::ok,
        json::object{{"kind", "APIResourceList"},
                     {"groupVersion", "v1"},
                     {"resources", json::array{json::object{{"name", "nodes"},
                                                            {"singularName", "node"},
                                                            {"namespaced", false},
                                                            {"kind", "Node"},
                                                            {"verbs", json::array{"get", "list"}},
                                                            {"shortNames", json::array{"no"}}}}}});
  }
  if (rest == Path{"api", "v1", "nodes"}) return Nodes(request, context, *cluster, std::nullopt);
  if (rest.size() == 4 && rest[0] == "api" && rest[1] == "v1" && rest[2] == "nodes")
    return Nodes(request, context, *cluster, request.segments[5]);
  return Status(request, HttpStatus::not_found, "NotFound",
                "Gangplank serves nodes only: it manages node pools and SSH access to their "
                "nodes and runs no Kubernetes workloads, so " +
                    std::string(request.http.target().substr(0, 120)) + " does not exist here.");
}

}  // namespace gangplank::api
