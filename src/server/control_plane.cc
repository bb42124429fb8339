// The composition root of gangplankd.
#include "server/control_plane.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <mutex>
#include <ostream>
#include <thread>
#include <unordered_set>
#include <vector>

#include "api/api_service.h"
#include "api/https_server.h"
#include "auth/credentials.h"
#include "auth/local_tls.h"
#include "auth/shared_secrets.h"
#include "auth/token_service.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "common/process.h"
#include "controller/node_controller.h"
#include "controller/operations.h"
#include "controller/pool_runners.h"
#include "controller/simulated_nodes.h"
#include "resources/node_images.h"
#include "runtime/container_runtime.h"
#include "runtime/node_image_builder.h"
#include "runtime/node_network.h"
#include "server/metrics_listener.h"
#include "server/node_gateway.h"
#include "store/open_store.h"
#include "store/shared_clock.h"

namespace gangplank::server {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

std::string DefaultDataDir() {
  if (const char* dir = std::getenv("GANGPLANK_DATA_DIR"); dir && *dir) return dir;
  return HomeDirectory() + "/.local/share/gangplank";
}

Result<tcp::endpoint> ParseListen(const std::string& listen, std::string_view flag = "--listen",
                                  std::string_view example = "127.0.0.1:8443") {
  const std::size_t colon = listen.rfind(':');
  auto invalid = [&] {
    return MakeError(StatusCode::kInvalidArgument, "InvalidListenAddress",
                     std::string(flag) + " \"" + listen + "\" is not HOST:PORT, for example " +
                         std::string(example));
  };
  if (colon == std::string::npos) return invalid();
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  char* end = nullptr;
  const long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (ec || *end != '\0' || colon + 1 == listen.size() || port < 0 || port > 65535)
    return invalid();
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string ServerUrl(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string host = address.is_unspecified() ? (address.is_v6() ? "[::1]" : "127.0.0.1")
                     : address.is_v6()        ? "[" + address.to_string() + "]"
                                              : address.to_string();
  return "https://" + host + ":" + std::to_string(endpoint.port()) + "/";
}

// Simulated nodes' addresses are only names: "auto" is 127.42.0.0/16, and any /16 given as
// 127.X.0.0/16 or 10.X.0.0/16 is taken as it is (local nodes get theirs from the node network).
Result<std::string> SimulatedNodePrefix(const std::string& network) {
  if (network == "auto") return std::string("127.42");
  const auto invalid = MakeError(StatusCode::kInvalidArgument, "InvalidNodeNetwork",
                                 "--node-network \"" + network.substr(0, 60) +
                                     "\" is neither 'auto' nor a /16 such as 10.224.0.0/16");
  const bool loopback = network.starts_with("127."), private10 = network.starts_with("10.");
  if ((!loopback && !private10) || !network.ends_with(".0.0/16")) return invalid;
  const std::size_t first = loopback ? 4 : 3;
  const std::string second = network.substr(first, network.size() - first - 7);
  if (second.empty() || second.size() > 3 ||
      second.find_first_not_of("0123456789") != std::string::npos || std::stoi(second) > 255)
    return invalid;
  return network.substr(0, first) + second;
}

// "256M", "8G", "1T" (binary units) or bytes; at least 32M, so a node's own files fit.
Result<long long> ParseDiskSize(const std::string& text) {
  const auto invalid = MakeError(StatusCode::kInvalidArgument, "InvalidNodeDiskMax",
                                 "--node-disk-max '" + text.substr(0, 40) +
                                     "' is not a size of at least 32M, such as 256M or 8G");
  static constexpr std::pair<char, int> kUnits[] = {{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}};
  std::string digits = text;
  int shift = 0;
  for (const auto& [unit, bits] : kUnits) {
    if (!digits.empty() && (digits.back() == unit || digits.back() == unit + ('a' - 'A'))) {
      digits.pop_back();
      shift = bits;
    }
  }
  if (digits.empty() || digits.size() > 12 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return invalid;
  const long long number = std::stoll(digits);
  if (shift > 0 && number > (std::numeric_limits<long long>::max() >> shift)) return invalid;
  const long long bytes = number << shift;
  if (bytes < (32ll << 20)) return invalid;
  return bytes;
}

// Warnings for the operator's log, each distinct line once (a list that meets the same unreadable
// record on every request would flood the log otherwise); safe from any thread.
class WarnOnce {
 public:
  explicit WarnOnce(std::ostream& err) : err_(err) {}
  void operator()(const std::string& line) {
    std::lock_guard lock(mutex_);
    if (seen_.size() >= 4096) seen_.clear();
    if (!seen_.insert(line).second) return;
    err_ << "gangplankd: warning: " << line << std::endl;
  }

 private:
  std::ostream& err_;
  std::mutex mutex_;
  std::unordered_set<std::string> seen_;
};

int Fail(std::ostream& err, const Error& error) {
  err << "gangplankd: " << error.message << "\n";
  return 1;
}

// Replicas of one shared store are one control plane: the CA, the token keys and the admin
// credentials come from the store (sealed with --store-key) into this data dir, or, for the
// first replica, go from here into the store. Returns the sealed secrets, which keep sharing the
// SSH user CAs' keys while the replica runs.
Result<auth::SharedSecrets> ShareIdentity(store::Store& store, const ControlPlaneOptions& options,
                                          const std::string& data_dir, const Clock& clock) {
  if (options.store_key.empty()) {
    return MakeError(StatusCode::kInvalidArgument, "StoreKeyRequired",
                     "--store " + options.store_url.substr(0, options.store_url.find(':')) +
                         "://… needs --store-key FILE: the key that seals the control plane's "
                         "private keys in the database. Make it once (openssl rand -base64 32 > "
                         "FILE; chmod 600 FILE) and give every replica the same file");
  }
  auto secrets = auth::SharedSecrets::Open(store, options.store_key);
  if (!secrets) return secrets.error();
  auto changed = secrets->Synchronize(data_dir, [&]() -> Status {
    // A first start's files, made as a single gangplankd makes them.
    if (auto tls = auth::EnsureLocalTls(data_dir); !tls) return tls.error();
    for (const char* key : {"node-token.key", "kube-token.key"}) {
      if (auto tokens = auth::NodeTokens::Open(data_dir, key); !tokens) return tokens.error();
    }
    if (auto tokens = auth::TokenService::Open(data_dir, "https://localhost/adfs", {}, clock);
        !tokens)
      return tokens.error();
    if (auto credentials = auth::EnsureAdminCredentials(data_dir, "", ""); !credentials)
      return credentials.error();
    return OkStatus();
  });
  if (!changed) return changed.error();
  // A serving certificate signed by another CA than the shared one is made again.
  if (std::find(changed->begin(), changed->end(), "tls/ca.crt") != changed->end()) {
    std::filesystem::remove(data_dir + "/tls/server.crt");
    std::filesystem::remove(data_dir + "/tls/server.key");
  }
  return std::move(*secrets);
}

// The URL clients and nodes use: --public-url (a load balancer in front of replicas), or this
// process's own.
Result<std::string> PublicUrl(const ControlPlaneOptions& options, const std::string& own_url) {
  if (options.public_url.empty()) return own_url;
  std::string url = options.public_url;
  if (!url.starts_with("https://") || url.size() < 10 ||
      url.find_first_of(" \r\n\t?#") != std::string::npos) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidPublicUrl",
                     "--public-url must be an https:// URL such as https://127.0.0.1:9443/");
  }
  if (url.back() != '/') url += '/';
  return url;
}

}  // namespace

// The node bridge's name, kept beside the nodes (NODES_DIR/bridge); empty when there is none.
static std::string BridgeOf(const std::filesystem::path& nodes_dir) {
  auto text = ReadFile(nodes_dir / "bridge", 64);
  std::string name = text ? *text : "";
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

// Where the nodes live: --nodes-dir; for one process, a directory named after its data dir; for
// replicas of a shared store, one named after the store's node bridge, so every replica on this
// host finds the same nodes and the one that leads adopts what another started.
static Result<std::filesystem::path> ResolveNodesDir(const ControlPlaneOptions& options,
                                                     const std::string& data_dir,
                                                     store::Store* store) {
  if (!options.nodes_dir.empty()) return std::filesystem::path(options.nodes_dir);
  if (!store::IsSharedStore(options.store_url))
    return runtime::ContainerRuntime::DefaultNodesDir(data_dir);
  std::unique_ptr<store::Store> opened;
  if (store == nullptr) {
    auto made = store::OpenStore(options.store_url, data_dir);
    if (!made) return made.error();
    opened = std::move(made.value());
    store = opened.get();
  }
  auto network = runtime::RecordedNodeNetwork(*store);
  if (!network) return network.error();
  if (!network->has_value()) {
    return MakeError(StatusCode::kNotFound, "NoNodeNetwork",
                     "this store has no node network yet, so no replica has started local nodes");
  }
  return runtime::ContainerRuntime::SharedNodesDir((*network)->bridge);
}

int StopLocalNodes(const ControlPlaneOptions& options, bool remove, std::ostream& out,
                   std::ostream& err) {
  const std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  auto resolved = ResolveNodesDir(options, data_dir, nullptr);
  if (!resolved) return Fail(err, resolved.error());
  const std::filesystem::path& nodes_dir = *resolved;
  const int stopped = runtime::ContainerRuntime::StopAll(nodes_dir);
  if (remove) {
    // The node bridge goes with the last node (its name is kept beside the nodes).
    const std::string bridge = BridgeOf(nodes_dir);
    if (Status removed = runtime::ContainerRuntime::RemoveAll(nodes_dir); !removed.ok())
      return Fail(err, removed.error());
    if (!bridge.empty()) {
      if (Status removed = runtime::RemoveNodeBridge({"", bridge}); !removed.ok())
        return Fail(err, removed.error());
    }
  }
  out << "gangplankd: stopped " << stopped << " node(s) in " << nodes_dir.string()
      << (remove ? " and removed them" : "") << std::endl;
  return 0;
}

// The node image catalog of options.data_dir, or of the shared store when --store names one.
struct Catalog {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<resources::NodeImageCatalog> images;
};
Result<Catalog> OpenCatalog(const ControlPlaneOptions& options, const std::string& data_dir) {
  Catalog catalog;
  if (store::IsSharedStore(options.store_url)) {
    auto opened = store::OpenStore(options.store_url, data_dir);
    if (!opened) return opened.error();
    catalog.store = std::move(opened.value());
    catalog.images = std::make_unique<resources::NodeImageCatalog>(*catalog.store);
  } else {
    catalog.images = std::make_unique<resources::NodeImageCatalog>(data_dir + "/node-images.json");
  }
  return catalog;
}

int PublishNodeImage(const ControlPlaneOptions& options, const std::string& os_sku,
                     const std::string& version, std::ostream& out, std::ostream& err) {
  const std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  if (Status created = EnsureDirectory(data_dir, 0700); !created.ok())
    return Fail(err, created.error());
  auto catalog = OpenCatalog(options, data_dir);
  if (!catalog) return Fail(err, catalog.error());
  if (Status published = catalog->images->Publish(os_sku, version); !published.ok())
    return Fail(err, published.error());
  out << "gangplankd: " << version << " is now the latest " << os_sku
      << " node image; run upgradeNodeImageVersion (az aks nodepool upgrade --node-image-only) "
         "on each pool to reimage its nodes onto it"
      << std::endl;
  return 0;
}

// With no node left, nothing of the nodes stays behind a stopped gangplankd: the socket's
// directory, the nodes directory and the bridge go (the next start makes them again, on the same
// /16, which the store keeps). Replicas sharing the directory leave it to the last one.
void RemoveIdleNodeNetwork(const ControlPlaneOptions& options,
                           const std::filesystem::path& nodes_dir) {
  std::error_code ec;
  if (!std::filesystem::is_empty(nodes_dir / "control", ec)) return;  // another replica serves
  // Only when nothing but the control directory, runc's (empty) state and the bridge's name is
  // left: then the bridge goes first, and its name last, so a later stop-nodes --remove still
  // finds it if anything below fails.
  for (const auto& entry : std::filesystem::directory_iterator(nodes_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != "control" && name != "bridge" && name != ".runc") return;
  }
  if (!std::filesystem::is_empty(nodes_dir / ".runc", ec) && !ec) return;
  if (const std::string bridge = BridgeOf(nodes_dir); !bridge.empty()) {
    if (!runtime::RemoveNodeBridge({"", bridge}).ok()) return;
  }
  std::filesystem::remove(nodes_dir / "control", ec);
  std::filesystem::remove(nodes_dir / ".runc", ec);
  std::filesystem::remove(nodes_dir / "bridge", ec);
  if (!std::filesystem::remove(nodes_dir, ec)) return;
  const std::filesystem::path root = nodes_dir.parent_path();
  if (options.nodes_dir.empty() && std::filesystem::remove(root, ec))
    std::filesystem::remove(root.parent_path(), ec);
}

runtime::NodeImageBuilder ImageBuilder(const ControlPlaneOptions& options,
                                       const std::string& data_dir) {
  const std::string agent = ExecutableSibling("gangplank-node");
  return runtime::NodeImageBuilder(
      {data_dir + "/node-images", "/var/cache/gangplank/node-image-base",
       options.node_agent.empty() ? agent : options.node_agent, agent, ""});
}

int ListNodeImages(const ControlPlaneOptions& options, std::ostream& out) {
  const std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  auto catalog = OpenCatalog(options, data_dir);
  if (!catalog) return Fail(out, catalog.error());
  const std::vector<std::string> built = ImageBuilder(options, data_dir).Built();
  for (const auto& [sku, versions] : catalog->images->All()) {
    for (const auto& version : versions) {
      const bool here = std::find(built.begin(), built.end(), version) != built.end();
      out << sku << "\t" << version << (here ? "\tbuilt" : "") << "\n";
    }
  }
  return 0;
}

int BuildNodeImage(const ControlPlaneOptions& options, const std::string& version,
                   std::ostream& out, std::ostream& err) {
  const std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  if (Status created = EnsureDirectory(data_dir, 0700); !created.ok())
    return Fail(err, created.error());
  std::string wanted = version;
  if (wanted.empty()) {
    auto catalog = OpenCatalog(options, data_dir);
    if (!catalog) return Fail(err, catalog.error());
    wanted = catalog->images->Latest("Ubuntu");
  }
  const auto started = std::chrono::steady_clock::now();
  auto rootfs = ImageBuilder(options, data_dir).Ensure(wanted);
  if (!rootfs) return Fail(err, rootfs.error());
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  out << "gangplankd: node image " << wanted << " is at " << rootfs->string() << " ("
      << static_cast<int>(seconds.count() * 10) / 10.0 << " s)" << std::endl;
  return 0;
}

namespace {

// The I/O threads: one io_context each, so connections stay on the thread that accepted them.
class IoThreads {
 public:
  explicit IoThreads(int count) {
    for (int i = 0; i < count; ++i) contexts_.push_back(std::make_unique<net::io_context>(1));
  }
  std::vector<net::io_context*> Contexts() const {
    std::vector<net::io_context*> pointers;
    for (const auto& context : contexts_) pointers.push_back(context.get());
    return pointers;
  }
  net::io_context& First() { return *contexts_.front(); }
  // Runs every context on a thread of its own (the first on the caller's) until Stop().
  void Run() {
    // Idle contexts must not return from run() before shutdown.
    std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
    for (auto& context : contexts_) keep_running.push_back(net::make_work_guard(*context));
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i)
      threads.emplace_back([context = contexts_[i].get()] { context->run(); });
    contexts_.front()->run();
    for (auto& thread : threads) thread.join();
  }
  void Stop() {
    for (auto& context : contexts_) context->stop();
  }

 private:
  std::vector<std::unique_ptr<net::io_context>> contexts_;
};

// Serves until SIGINT or SIGTERM. Graceful: stop accepting, let requests already read be answered
// (at most 10 s), then stop. Accepted operations that have not finished resume at the next start.
void ServeUntilSignalled(IoThreads& threads, api::HttpsServer& server) {
  net::signal_set signals(threads.First(), SIGINT, SIGTERM);
  net::steady_timer drain(threads.First());
  int drain_ticks = 0;
  std::function<void()> wait_for_requests = [&] {
    if (server.InFlight() == 0 || ++drain_ticks > 200) return threads.Stop();
    drain.expires_after(std::chrono::milliseconds(50));
    drain.async_wait([&](boost::system::error_code) { wait_for_requests(); });
  };
  signals.async_wait([&](boost::system::error_code, int) {
    server.Stop();
    wait_for_requests();
  });
  threads.Run();
}

// What makes nodes exist: a runtime, the controller that drives it from the machine records and
// (local nodes) the gateway their agents reach. Replicas take turns running the controller.
struct NodeStack {
  std::unique_ptr<NodeGateway> gateway;
  std::unique_ptr<runtime::NodeImageBuilder> image_builder;
  std::unique_ptr<runtime::NodeRuntime> runtime;
  std::unique_ptr<controller::NodeController> controller;
  std::filesystem::path nodes_dir;  // local nodes only
  bool local = false;

  ~NodeStack() { Stop(); }
  void Stop() {
    if (controller) controller->Stop();  // the nodes keep running, like VMs
    if (gateway) gateway->Stop();
  }
};

// Everything the node stacks are built from.
struct NodeStackInputs {
  const ControlPlaneOptions& options;
  const std::string& data_dir;
  store::Store& store;
  const auth::NodeTokens& node_tokens;
  resources::HeartbeatBatch& heartbeats;  // what the node protocol notes, for the gateway to write
  const Clock& clock;
  std::optional<runtime::NodeNetwork> network;  // local nodes only
  long long disk_max = 0;
};

// Local nodes: containers on the node network, their agents behind the node gateway's socket.
Status BuildLocalNodes(const NodeStackInputs& in,
                       std::function<api::HttpResponse(const api::HttpRequest&)> handle,
                       std::ostream& err, NodeStack& stack) {
  GP_ASSIGN_OR_RETURN(stack.nodes_dir, ResolveNodesDir(in.options, in.data_dir, &in.store));
  std::string agent = in.options.node_agent;
  if (agent.empty()) agent = ExecutableSibling("gangplank-node");
  if (::access(agent.c_str(), X_OK) != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "NodeAgentMissing",
                     "the node agent " + agent + " is missing; build it or pass --node-agent PATH");
  }
  // Agents reach the node gateway's socket in the nodes directory (bind-mounted into every node);
  // replicas that share the directory take turns serving it with the node controller's lease.
  const std::filesystem::path control_dir = stack.nodes_dir / "control";
  for (const auto& [dir, mode] : {std::pair{stack.nodes_dir, 0755}, std::pair{control_dir, 0700}})
    GP_RETURN_IF_ERROR(EnsureDirectory(dir, static_cast<mode_t>(mode)));
  GP_RETURN_IF_ERROR(WriteFileAtomically(stack.nodes_dir / "bridge", in.network->bridge + "\n",
                                         0644, IfExists::kReplace));
  stack.local = true;
  NodeGatewayOptions gateway_options;
  gateway_options.flush = [&heartbeats = in.heartbeats, &store = in.store] {
    (void)heartbeats.Flush(store);  // dropped when the store is away: the next come in minutes
  };
  stack.gateway = std::make_unique<NodeGateway>(in.store, in.node_tokens, std::move(handle),
                                                std::move(gateway_options));
  stack.image_builder =
      std::make_unique<runtime::NodeImageBuilder>(ImageBuilder(in.options, in.data_dir));
  runtime::ContainerRuntimeOptions runtime_options;
  runtime_options.nodes_dir = stack.nodes_dir;
  runtime_options.images = stack.image_builder.get();
  runtime_options.network = *in.network;
  runtime_options.max_disk_bytes = in.disk_max;
  stack.runtime = std::make_unique<runtime::ContainerRuntime>(runtime_options);
  controller::NodeControllerOptions controller_options;
  controller_options.on_leadership = [&gateway = *stack.gateway, socket = control_dir / "node.sock",
                                      &err](bool leading) {
    if (!leading) return gateway.Stop();
    if (Status started = gateway.Start(socket); !started.ok())
      err << "gangplankd: " << started.error().message << std::endl;
  };
  stack.controller = std::make_unique<controller::NodeController>(
      in.store, *stack.runtime, in.node_tokens, in.clock, std::move(controller_options));
  return OkStatus();
}

// Simulated nodes: records only (controller/simulated_nodes.h), driven by the same controller.
void BuildSimulatedNodes(const NodeStackInputs& in, NodeStack& stack) {
  stack.runtime = std::make_unique<controller::SimulatedNodeRuntime>(in.store, in.clock);
  stack.controller = std::make_unique<controller::NodeController>(in.store, *stack.runtime,
                                                                  in.node_tokens, in.clock);
}

// The nodes' network: local nodes own a bridge and a /16 (kept in the store); simulated nodes'
// addresses are only names.
Result<std::optional<runtime::NodeNetwork>> NodeNetworkOf(const ControlPlaneOptions& options,
                                                          bool local_nodes, store::Store& store) {
  if (!local_nodes) return std::optional<runtime::NodeNetwork>();
  GP_ASSIGN_OR_RETURN(auto network, runtime::EnsureNodeNetwork(store, options.node_network));
  network.nodes_per_bridge = options.nodes_per_bridge;
  return std::optional<runtime::NodeNetwork>(std::move(network));
}

// Nodes: real local containers (root) or simulated records.
Result<bool> LocalNodesWanted(const ControlPlaneOptions& options) {
  const bool local_nodes = options.nodes.empty() ? ::geteuid() == 0 : options.nodes == "local";
  if (local_nodes && ::geteuid() != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "LocalNodesNeedRoot",
                     "--nodes local needs root: every node is a container (runc) with its own "
                     "network namespace on the node bridge; run as root or use --nodes simulated");
  }
  return local_nodes;
}

// The engine's name in the leases it holds: which replica runs what. On SQLite this process is
// the only one, so a restarted gangplankd is the same owner and resumes its leases at once.
std::string EngineOwner(bool shared_store, unsigned short port) {
  if (!shared_store) return "gangplankd";
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(port);
}

// The options checked before anything is opened.
Status CheckServeOptions(const ControlPlaneOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidTlsOptions",
                     "--tls-cert and --tls-key go together");
  }
  return OkStatus();
}

}  // namespace

int RunControlPlane(const ControlPlaneOptions& options, std::ostream& out, std::ostream& err) {
  const auto fail = [&err](const Error& error) { return Fail(err, error); };
  const std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  if (Status created = EnsureDirectory(data_dir, 0700); !created.ok()) return fail(created.error());
  auto endpoint = ParseListen(options.listen);
  if (!endpoint) return fail(endpoint.error());
  std::optional<tcp::endpoint> metrics_endpoint;
  if (!options.metrics_listen.empty()) {
    auto parsed = ParseListen(options.metrics_listen, "--metrics-listen", "127.0.0.1:9464");
    if (!parsed) return fail(parsed.error());
    metrics_endpoint = *parsed;
  }
  auto disk_max = ParseDiskSize(options.node_disk_max);
  if (!disk_max) return fail(disk_max.error());
  if (Status checked = CheckServeOptions(options); !checked.ok()) return fail(checked.error());
  auto local_nodes = LocalNodesWanted(options);
  if (!local_nodes) return fail(local_nodes.error());
  auto store = store::OpenStore(options.store_url, data_dir);
  if (!store) return fail(store.error());
  SystemClock own_clock;
  // Replicas read one clock, the database server's: a replica whose host clock is seconds off
  // takes no lease early and times no node out early.
  store::SharedClock clock(**store, own_clock);
  const bool shared_store = store::IsSharedStore(options.store_url);
  // The SSH user CAs' keys are sealed in a shared store too, but not copied at start with the
  // rest of the identity: they change while replicas run.
  std::optional<auth::SharedSecrets> shared_secrets;
  if (shared_store) {
    auto shared = ShareIdentity(**store, options, data_dir, clock);
    if (!shared) return fail(shared.error());
    shared_secrets = std::move(*shared);
  }
  auto local_tls = auth::EnsureLocalTls(data_dir);
  if (!local_tls) return fail(local_tls.error());
  auto tls = api::MakeServerTlsContext(
      options.tls_cert.empty() ? local_tls->server_cert : options.tls_cert,
      options.tls_key.empty() ? local_tls->server_key : options.tls_key);
  if (!tls) return fail(tls.error());

  // One I/O thread per core: reads never wait on the store (a replica answers them from its
  // cache under its read lease), so more threads would only share the same cores.
  IoThreads threads(options.threads > 0
                        ? options.threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  resources::HeartbeatBatch heartbeats;  // outlives the service and the node gateway, which use it
  std::shared_ptr<api::ApiService> service;  // set once the port (and so the URL) is known
  const auto handle = [&service](const api::HttpRequest& request) {
    return service->Handle(request);
  };
  // Every connection is a descriptor: use all the hard limit allows, and keep half of it free
  // for the store, the nodes and the files.
  api::ServerLimits limits;
  limits.max_connections =
      std::min(static_cast<std::size_t>(options.max_connections), api::RaiseOpenFileLimit() / 2);
  api::HttpsServer server(
      threads.Contexts(), **tls,
      [&service](const api::HttpRequest& header) { return service->Admit(header); }, handle,
      limits);
  auto bound = server.Listen(*endpoint);
  if (!bound) return fail(bound.error());
  const std::string own_url = ServerUrl(*bound);
  auto public_url = PublicUrl(options, own_url);
  if (!public_url) return fail(public_url.error());
  const std::string& url = *public_url;

  auto credentials = auth::EnsureAdminCredentials(data_dir, url, local_tls->ca_cert);
  if (!credentials) return fail(credentials.error());
  // az asks for "<resource manager>/.default" with the trailing slash kept; accept both forms,
  // and this replica's own address beside the public one.
  auto tokens = auth::TokenService::Open(
      data_dir, url + "adfs",
      {url, url.substr(0, url.size() - 1), own_url, own_url.substr(0, own_url.size() - 1)}, clock);
  if (!tokens) return fail(tokens.error());
  auto node_tokens = auth::NodeTokens::Open(data_dir, "node-token.key", &clock);
  if (!node_tokens) return fail(node_tokens.error());
  auto kube_tokens = auth::NodeTokens::Open(data_dir, "kube-token.key");
  if (!kube_tokens) return fail(kube_tokens.error());
  auto ssh_cas = auth::SshCaKeyring::Open(**store, data_dir, std::move(shared_secrets), clock);
  if (!ssh_cas) return fail(ssh_cas.error());
  // Replicas share one catalog, in the store; one process keeps it in its data dir.
  auto images_owner =
      shared_store ? std::make_unique<resources::NodeImageCatalog>(**store)
                   : std::make_unique<resources::NodeImageCatalog>(data_dir + "/node-images.json");
  resources::NodeImageCatalog& images = *images_owner;
  controller::OperationsEngine operations(
      **store, clock, controller::EngineOptions{EngineOwner(shared_store, bound->port())});
  auto node_network = NodeNetworkOf(options, *local_nodes, **store);
  if (!node_network) return fail(node_network.error());
  const auto prefix = *node_network ? Result<std::string>((*node_network)->prefix)
                                    : SimulatedNodePrefix(options.node_network);
  if (!prefix) return fail(prefix.error());
  controller::RegisterClusterRunners(operations, images, clock,
                                     {std::chrono::seconds(options.node_timeout_seconds),
                                      std::chrono::milliseconds(100), *prefix});
  auto ca_pem = ReadFile(local_tls->ca_cert, 1 << 20);
  auto warn = std::make_shared<WarnOnce>(err);
  service = std::make_shared<api::ApiService>(
      api::ApiServiceConfig{*credentials, url, ca_pem ? *ca_pem : std::string(), &*kube_tokens,
                            [warn](const std::string& line) { (*warn)(line); }, ssh_cas->get()},
      **store, *tokens, clock, operations, images, *local_nodes ? &*node_tokens : nullptr,
      &heartbeats);

  // Prometheus without a token: plain HTTP, GET /metrics only, on an address of its own.
  std::unique_ptr<MetricsListener> metrics_listener;
  if (metrics_endpoint) {
    metrics_listener = std::make_unique<MetricsListener>(
        threads.First(), [&service] { return service->MetricsText(); });
    auto metrics_bound = metrics_listener->Listen(*metrics_endpoint);
    if (!metrics_bound) return fail(metrics_bound.error());
    out << "gangplankd: metrics on http://" << metrics_bound->address().to_string() << ":"
        << metrics_bound->port() << "/metrics (no token: keep this address private)" << std::endl;
  }

  const NodeStackInputs inputs{options,    data_dir, **store,       *node_tokens,
                               heartbeats, clock,    *node_network, *disk_max};
  NodeStack nodes;
  if (!*local_nodes) {
    BuildSimulatedNodes(inputs, nodes);
  } else if (Status built = BuildLocalNodes(inputs, handle, err, nodes); !built.ok()) {
    return fail(built.error());
  }
  // The engine finds its work in the store: operations accepted before a crash or restart (by
  // this replica or another whose lease ran out) are finished now.
  operations.Start();
  // Nodes that kept running while gangplankd was down are adopted on the first pass. Replicas
  // take turns: the one holding the lease runs the node controller.
  std::unique_ptr<controller::LeaderLease> node_leader;
  if (shared_store)
    node_leader = std::make_unique<controller::LeaderLease>(**store, clock, "node-controller",
                                                            operations.owner());
  nodes.controller->Start(node_leader.get());

  out << "gangplankd: listening on " << own_url << (url != own_url ? " for " + url : "")
      << " (data dir " << data_dir << ", credentials " << data_dir << "/credentials.json, "
      << (*local_nodes ? "local nodes" : "simulated nodes: no sshd runs") << ")" << std::endl;
  ServeUntilSignalled(threads, server);
  operations.Stop();
  nodes.Stop();
  if (nodes.local && nodes.runtime->List().empty()) RemoveIdleNodeNetwork(options, nodes.nodes_dir);
  out << "gangplankd: stopped" << std::endl;
  return 0;
}

}  // namespace gangplank::server
