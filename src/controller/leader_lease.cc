// Leader leases: a row per role with its holder and expiry, written with preconditions.
#include "controller/leader_lease.h"

#include <boost/json.hpp>

namespace gangplank::controller {
namespace json = boost::json;

LeaderLease::LeaderLease(store::Store& store, const Clock& clock, std::string role,
                         std::string owner, std::chrono::milliseconds duration)
    : store_(store),
      clock_(clock),
      id_("/gangplank/leases/" + role),
      owner_(std::move(owner)),
      duration_(duration) {}

long long LeaderLease::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

bool LeaderLease::Hold() {
  const long long now = NowMs();
  if (held_until_ms_ - now > duration_.count() / 2) return true;  // nothing to renew yet
  auto row = store_.Get(kLeaseKind, id_);
  if (!row) return held_until_ms_ > now;
  store::Precondition expected = store::Precondition::Absent();
  if (row->has_value()) {
    boost::system::error_code ec;
    const json::value doc = json::parse((*row)->body, ec);
    const bool ours = !ec && doc.is_object() && doc.as_object().contains("owner") &&
                      doc.at("owner") == owner_.c_str();
    const long long until = !ec && doc.is_object() && doc.as_object().contains("untilMs")
                                ? doc.at("untilMs").to_number<long long>()
                                : 0;
    if (!ours && until > now) {
      held_until_ms_ = 0;
      return false;  // another replica's live lease
    }
    expected = store::Precondition::AtVersion((*row)->version);
  }
  const long long until = now + duration_.count();
  const json::object doc{{"owner", owner_}, {"untilMs", until}};
  auto written = store_.Put({std::string(kLeaseKind), id_, "/gangplank/leases",
                             json::serialize(doc), 0},
                            expected);
  if (written) {
    held_until_ms_ = until;
    return true;
  }
  // Someone else took it first (or the store is away: hold on only while the old lease lasts).
  if (written.error().code == StatusCode::kAborted) held_until_ms_ = 0;
  return held_until_ms_ > now;
}

}  // namespace gangplank::controller
