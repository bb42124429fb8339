// GET /metrics: what the process counted (metrics/metrics.h) and what the store says now: nodes
// by pool, state and sshd health, nodes not yet on their pool's SSH model and for how long, the
// age of each pool's newest key and oldest key in use, the SSH user CAs, the store's readiness
// and the process's own CPU and memory. The store's part is recomputed only when its revision
// moved, so a scrape a second costs next to nothing on an idle control plane.
#include <unistd.h>

#include <boost/beast/http/field.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

#include "access/roles.h"
#include "api/arm_response.h"
#include "api/handlers.h"
#include "common/file_io.h"
#include "metrics/metrics.h"
#include "resources/machine_store.h"
#include "resources/operation.h"
#include "resources/records.h"
#include "resources/ssh_user_cas.h"

namespace gangplank::api {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

void AddGauge(MetricFamily& family, Labels labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == MetricType::Counter)
    metric.counter.value = value;
  else
    metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

// RFC 3339 to Unix seconds; 0 when it is not one.
long long UnixSecondsOf(const std::string& text) {
  const auto millis = resources::UnixMillisOf(text);
  return millis ? *millis / 1000 : 0;
}

// resource_group, cluster and pool of a pool's ARM id.
Labels PoolLabels(const std::string& pool_id) {
  std::vector<std::string> parts;
  for (std::size_t at = 0; at < pool_id.size();) {
    const std::size_t slash = pool_id.find('/', at);
    const std::size_t end = slash == std::string::npos ? pool_id.size() : slash;
    if (end > at) parts.push_back(pool_id.substr(at, end - at));
    at = end + 1;
  }
  auto after = [&](std::string_view name) {
    for (std::size_t i = 0; i + 1 < parts.size(); ++i)
      if (store::IdKey(parts[i]) == name) return parts[i + 1];
    return std::string();
  };
  return {{"resource_group", after("resourcegroups")},
          {"cluster", after("managedclusters")},
          {"pool", after("agentpools")}};
}

// What the store says about one pool, kept between scrapes while the store does not change.
struct PoolFigures {
  Labels labels;
  std::map<std::pair<std::string, std::string>, int> nodes;  // (state, sshd health) → count
  int behind_ssh_model = 0;
  long long newest_key_at = 0;         // when the pool's current SSH model was made
  long long oldest_key_in_use_at = 0;  // when the oldest model a node runs was made
};

}  // namespace

struct MetricsFigures {
  std::uint64_t revision = 0;
  std::vector<PoolFigures> pools;
  std::map<std::string, int> ca_generations;  // by state
  int ca_signing = 0;
};

namespace {

Result<MetricsFigures> ReadStore(store::Store& store) {
  MetricsFigures figures;
  figures.revision = store.Revision();
  GP_ASSIGN_OR_RETURN(const auto pool_rows, store.ListKind(resources::kPoolKind));
  for (const store::Resource& row : pool_rows) {
    auto pool = resources::PoolRecord::Decode(row);
    if (!pool) continue;  // a damaged record is the operator log's, not the scrape's
    GP_ASSIGN_OR_RETURN(const auto machines, resources::MachinesOf(store, row.id));
    PoolFigures each{PoolLabels(row.id), {}, 0, 0, 0};
    const auto change_at = [&](std::int64_t version) -> long long {
      const auto found = pool->model.changes.find(version);
      return found == pool->model.changes.end() ? 0 : UnixSecondsOf(found->second.at);
    };
    each.newest_key_at = change_at(pool->model.version);
    std::int64_t oldest = pool->model.version;
    for (const resources::Machine& machine : machines) {
      const std::string health = machine.status ? machine.status->sshd_health : "Unknown";
      ++each.nodes[{resources::MachineState(machine), health}];
      const std::int64_t runs =
          machine.status ? machine.status->applied_model_version : machine.desired.model_version;
      if (runs != pool->model.version) ++each.behind_ssh_model;
      oldest = std::min(oldest, runs);
    }
    each.oldest_key_in_use_at = change_at(oldest);
    figures.pools.push_back(std::move(each));
  }
  GP_ASSIGN_OR_RETURN(const auto cas, resources::LoadCaSet(store));
  if (cas) {
    figures.ca_signing = cas->Signing().generation;
    for (const resources::CaGeneration& generation : cas->generations)
      ++figures.ca_generations[resources::CaStateName(generation.state)];
  }
  return figures;
}

// The store's figures at its current revision (read again only when it moved).
Result<std::shared_ptr<const MetricsFigures>> CurrentFigures(const HandlerContext& context) {
  std::lock_guard lock(context.metrics.mutex);
  auto& figures = context.metrics.figures;
  if (figures && figures->revision == context.store.Revision()) return figures;
  GP_ASSIGN_OR_RETURN(MetricsFigures read, ReadStore(context.store));
  figures = std::make_shared<const MetricsFigures>(std::move(read));
  return figures;
}

std::vector<MetricFamily> StoreFamilies(const MetricsFigures& figures, long long now) {
  MetricFamily nodes =
      Family("gangplank_nodes", "Nodes by pool, state and sshd health", MetricType::Gauge);
  MetricFamily behind = Family(
      "gangplank_nodes_behind_ssh_model",
      "Nodes that do not run their pool's latest SSH model yet (a key change or sshAccess change "
      "waits for their node image upgrade)",
      MetricType::Gauge);
  MetricFamily pending = Family(
      "gangplank_pool_ssh_model_pending_seconds",
      "How long the pool's latest SSH model has waited for nodes that do not run it (0: none)",
      MetricType::Gauge);
  MetricFamily key_age = Family(
      "gangplank_pool_ssh_key_age_seconds",
      "Age of the pool's newest SSH model (key=newest) and of the oldest one a node still runs "
      "(key=oldest_in_use)",
      MetricType::Gauge);
  for (const PoolFigures& pool : figures.pools) {
    for (const auto& [state_health, count] : pool.nodes) {
      Labels labels = pool.labels;
      labels.push_back({"state", state_health.first});
      labels.push_back({"sshd_health", state_health.second});
      AddGauge(nodes, std::move(labels), count);
    }
    AddGauge(behind, pool.labels, pool.behind_ssh_model);
    const auto age = [&](long long at) { return at == 0 ? 0.0 : static_cast<double>(now - at); };
    AddGauge(pending, pool.labels, pool.behind_ssh_model > 0 ? age(pool.newest_key_at) : 0.0);
    Labels newest = pool.labels, oldest = pool.labels;
    newest.push_back({"key", "newest"});
    oldest.push_back({"key", "oldest_in_use"});
    AddGauge(key_age, std::move(newest), age(pool.newest_key_at));
    AddGauge(key_age, std::move(oldest), age(pool.oldest_key_in_use_at));
  }
  MetricFamily cas =
      Family("gangplank_ssh_ca_generations",
             "SSH user CA generations by state (Signing, Next, Retired)", MetricType::Gauge);
  for (const auto& [state, count] : figures.ca_generations)
    AddGauge(cas, {{"state", state}}, count);
  MetricFamily signing =
      Family("gangplank_ssh_ca_signing_generation",
             "The SSH user CA generation that signs certificates now", MetricType::Gauge);
  AddGauge(signing, {}, figures.ca_signing);
  return {std::move(nodes),   std::move(behind), std::move(pending),
          std::move(key_age), std::move(cas),    std::move(signing)};
}

// process_* as Prometheus' own clients name them, from /proc/self.
std::vector<MetricFamily> ProcessFamilies() {
  std::vector<MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto stat = ReadFile("/proc/self/stat", 4096);
  if (stat) {
    // Fields after the command name (which may hold spaces): utime and stime are the 14th and
    // 15th fields of the line, starttime the 22nd.
    const std::string rest = stat->substr(stat->rfind(')') + 2);
    unsigned long long utime = 0, stime = 0, start = 0;
    if (std::sscanf(rest.c_str(),
                    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d "
                    "%*d %llu",
                    &utime, &stime, &start) == 3) {
      MetricFamily cpu = Family("process_cpu_seconds_total", "User and system CPU time spent",
                                MetricType::Counter);
      AddGauge(cpu, {}, static_cast<double>(utime + stime) / ticks);
      out.push_back(std::move(cpu));
    }
  }
  if (auto statm = ReadFile("/proc/self/statm", 4096)) {
    unsigned long long size = 0, resident = 0;
    if (std::sscanf(statm->c_str(), "%llu %llu", &size, &resident) == 2) {
      MetricFamily rss =
          Family("process_resident_memory_bytes", "Resident memory size", MetricType::Gauge);
      AddGauge(rss, {}, static_cast<double>(resident) * static_cast<double>(getpagesize()));
      out.push_back(std::move(rss));
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++fds;
  MetricFamily open = Family("process_open_fds", "Open file descriptors", MetricType::Gauge);
  AddGauge(open, {}, static_cast<double>(fds));
  out.push_back(std::move(open));
  return out;
}

}  // namespace

HttpResponse HandleMetrics(const ApiRequest& request, const HandlerContext& context) {
  if (request.http.method() != HttpVerb::get) {
    return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                            "/metrics takes GET.");
  }
  const std::string scope = "/subscriptions/" + context.config.admin.subscription_id;
  auto allowed = context.authorizer.Allows(request.caller, access::kMetricsReadAction, scope);
  if (!allowed) return ArmErrorResponse(request.http, allowed.error());
  if (!*allowed) {
    return ArmErrorResponse(request.http, HttpStatus::forbidden, "AuthorizationFailed",
                            "The client '" + request.caller.app_id + "' with object id '" +
                                request.caller.object_id +
                                "' does not have authorization to perform action '" +
                                std::string(access::kMetricsReadAction) + "' over scope '" + scope +
                                "'; assign it Reader or Gangplank Metrics Reader there.");
  }
  auto text = MetricsText(context);
  if (!text) return ArmErrorResponse(request.http, text.error());
  HttpResponse response(HttpStatus::ok, request.http.version());
  response.set(boost::beast::http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  response.set(boost::beast::http::field::cache_control, "no-store");
  response.keep_alive(request.http.keep_alive());
  response.body() = std::move(text.value());
  response.prepare_payload();
  return response;
}

Result<std::string> MetricsText(const HandlerContext& context) {
  auto figures = CurrentFigures(context);
  if (!figures) return figures.error();
  std::vector<MetricFamily> extra = StoreFamilies(**figures, UnixSeconds(context.clock.Now()));
  MetricFamily ready =
      Family("gangplank_store_ready",
             "1 when the store answers and this replica holds its read lease", MetricType::Gauge);
  AddGauge(ready, {}, context.store.Ready().ok() ? 1 : 0);
  extra.push_back(std::move(ready));
  for (MetricFamily& family : ProcessFamilies()) extra.push_back(std::move(family));
  return metrics::Render(extra);
}

}  // namespace gangplank::api
