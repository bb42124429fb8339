// The control plane's own figures for Prometheus (prometheus-cpp's registry, one per process as
// Prometheus clients keep it): what code counts as it happens. Figures read from the store at
// scrape time (nodes, pools, keys) are added by the /metrics handler (api/metrics_handler.cc).
#pragma once

#include <prometheus/metric_family.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gangplank::metrics {

// An answered HTTP request: its route (the matched pattern, or the surface it went to), method,
// status code and how long it took.
void ObserveRequest(std::string_view route, std::string_view method, int status, double seconds);
// A committed store transaction: its duration and how many writes it carried (group commit).
// `store` is a literal ("sqlite", "postgresql").
void ObserveCommit(std::string_view store, double seconds, std::size_t writes);
// An operation's end: its type (UpdatePool, ReimageNodes, …), outcome (Succeeded, Failed,
// Canceled) and how long it ran.
void ObserveOperation(std::string_view type, std::string_view outcome, double seconds);
// Login events nodes reported: accepted or refused, and the key (its fingerprint) used.
void CountLogin(bool accepted, std::string_view fingerprint);
void CountCertificateIssued();
// Whether this process leads the node controller now.
void SetNodeControllerLeader(bool leading);

// Everything counted so far, with `extra` (the scrape's own families) after it, in Prometheus'
// text exposition format.
std::string Render(const std::vector<prometheus::MetricFamily>& extra);

// For tests: the current value of a counter (or a histogram's count) with exactly these labels;
// 0 when it has not been counted.
double Value(std::string_view family, const std::vector<std::pair<std::string, std::string>>& labels);

}  // namespace gangplank::metrics
