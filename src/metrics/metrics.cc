// The process's Prometheus registry and the instruments the control plane updates.
#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>

namespace gangplank::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

constexpr const char* kVersion = "0.1.0";
// Distinct key fingerprints remembered for the login gauge (beyond it, no new one counts).
constexpr std::size_t kMaxFingerprints = 100000;

const Histogram::BucketBoundaries kRequestSeconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                                     5,      10};
const Histogram::BucketBoundaries kCommitSeconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                    0.01,   0.025,   0.05,   0.1,   0.25,   1};
const Histogram::BucketBoundaries kGroupSizes = {1, 2, 4, 8, 16, 32, 64, 128, 256};
const Histogram::BucketBoundaries kOperationSeconds = {0.1, 0.5, 1,   2,   5,   10,
                                                       30,  60,  120, 300, 600, 1800};

template <typename Metric>
Family<Metric>& Register(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::detail::Builder<Metric>().Name(name).Help(help).Register(registry);
}

struct Instruments {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  Family<Counter>& requests = Register<Counter>(
      *registry, "gangplank_http_requests_total",
      "HTTP requests answered, by route (the API path pattern), method and status code");
  Family<Histogram>& request_seconds =
      Register<Histogram>(*registry, "gangplank_http_request_duration_seconds",
                          "Time from a request's last byte to its answer, by route and method");
  Family<Histogram>& commit_seconds =
      Register<Histogram>(*registry, "gangplank_store_commit_duration_seconds",
                          "Store transactions: time to a durable commit");
  Family<Histogram>& commit_writes =
      Register<Histogram>(*registry, "gangplank_store_commit_group_size",
                          "Writes committed together in one store transaction (group commit)");
  Family<Counter>& operations = Register<Counter>(*registry, "gangplank_operations_total",
                                                  "Operations that ended, by type and outcome");
  Family<Histogram>& operation_seconds =
      Register<Histogram>(*registry, "gangplank_operation_duration_seconds",
                          "Operations from acceptance to their end, by type");
  Family<Counter>& logins = Register<Counter>(*registry, "gangplank_ssh_logins_total",
                                              "SSH login attempts nodes reported, by result");
  Gauge& fingerprints =
      Register<Gauge>(*registry, "gangplank_ssh_login_key_fingerprints",
                      "Distinct key fingerprints seen in login events since start")
          .Add({});
  Counter& certificates = Register<Counter>(*registry, "gangplank_ssh_certificates_issued_total",
                                            "SSH user certificates signed")
                              .Add({});
  Gauge& leader = Register<Gauge>(*registry, "gangplank_node_controller_leader",
                                  "1 while this process leads the node controller")
                      .Add({});
  Gauge& build_info = Register<Gauge>(*registry, "gangplank_build_info",
                                      "Always 1; the labels name the build")
                          .Add({{"version", kVersion}});

  std::mutex mutex;  // guards seen_fingerprints
  std::set<std::string, std::less<>> seen_fingerprints;

  Instruments() { build_info.Set(1); }
};

Instruments& Get() {
  static Instruments* instruments = new Instruments();  // never destroyed: threads count at exit
  return *instruments;
}

// A request's instruments, found once per thread and label set: Family::Add takes a lock and
// hashes the labels, which a request should not pay for. Routes and methods are strings with
// static storage (route tables, Beast's method names), so their addresses identify them.
struct RequestInstruments {
  Counter* count;
  Histogram* seconds;
};
using RequestKey = std::tuple<const char*, std::size_t, const char*, std::size_t, int>;

RequestInstruments& InstrumentsFor(std::string_view route, std::string_view method, int status) {
  thread_local std::map<RequestKey, RequestInstruments> cache;
  const RequestKey key{route.data(), route.size(), method.data(), method.size(), status};
  if (auto found = cache.find(key); found != cache.end()) return found->second;
  Instruments& all = Get();
  const std::map<std::string, std::string> labels = {
      {"route", std::string(route)}, {"method", std::string(method)}};
  auto with_code = labels;
  with_code["code"] = std::to_string(status);
  return cache
      .emplace(key, RequestInstruments{&all.requests.Add(with_code),
                                       &all.request_seconds.Add(labels, kRequestSeconds)})
      .first->second;
}

}  // namespace

void ObserveRequest(std::string_view route, std::string_view method, int status, double seconds) {
  RequestInstruments& instruments = InstrumentsFor(route, method, status);
  instruments.count->Increment();
  instruments.seconds->Observe(seconds);
}

void ObserveCommit(std::string_view store, double seconds, std::size_t writes) {
  // Found once per thread and store (a literal: its address names it), as requests' are.
  struct CommitInstruments {
    Histogram* seconds;
    Histogram* writes;
  };
  thread_local std::map<const char*, CommitInstruments> cache;
  auto found = cache.find(store.data());
  if (found == cache.end()) {
    Instruments& all = Get();
    const std::map<std::string, std::string> labels = {{"store", std::string(store)}};
    found = cache
                .emplace(store.data(),
                         CommitInstruments{&all.commit_seconds.Add(labels, kCommitSeconds),
                                           &all.commit_writes.Add(labels, kGroupSizes)})
                .first;
  }
  found->second.seconds->Observe(seconds);
  found->second.writes->Observe(static_cast<double>(writes));
}

void ObserveOperation(std::string_view type, std::string_view outcome, double seconds) {
  Instruments& all = Get();
  all.operations.Add({{"type", std::string(type)}, {"outcome", std::string(outcome)}})
      .Increment();
  all.operation_seconds.Add({{"type", std::string(type)}}, kOperationSeconds).Observe(seconds);
}

void CountLogin(bool accepted, std::string_view fingerprint) {
  Instruments& all = Get();
  all.logins.Add({{"result", accepted ? "Accepted" : "Refused"}}).Increment();
  if (fingerprint.empty()) return;
  std::lock_guard lock(all.mutex);
  if (all.seen_fingerprints.size() >= kMaxFingerprints ||
      all.seen_fingerprints.find(fingerprint) != all.seen_fingerprints.end())
    return;
  all.seen_fingerprints.emplace(fingerprint);
  all.fingerprints.Set(static_cast<double>(all.seen_fingerprints.size()));
}

void CountCertificateIssued() { Get().certificates.Increment(); }

void SetNodeControllerLeader(bool leading) { Get().leader.Set(leading ? 1 : 0); }

std::string Render(const std::vector<prometheus::MetricFamily>& extra) {
  std::vector<prometheus::MetricFamily> families = Get().registry->Collect();
  families.insert(families.end(), extra.begin(), extra.end());
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

double Value(std::string_view family,
             const std::vector<std::pair<std::string, std::string>>& labels) {
  for (const prometheus::MetricFamily& each : Get().registry->Collect()) {
    if (each.name != family) continue;
    for (const prometheus::ClientMetric& metric : each.metric) {
      std::vector<std::pair<std::string, std::string>> have;
      for (const auto& label : metric.label) have.emplace_back(label.name, label.value);
      if (have.size() != labels.size() ||
          !std::is_permutation(have.begin(), have.end(), labels.begin()))
        continue;
      switch (each.type) {
        case prometheus::MetricType::Counter: return metric.counter.value;
        case prometheus::MetricType::Gauge: return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default: return 0;
      }
    }
  }
  return 0;
}

}  // namespace gangplank::metrics
