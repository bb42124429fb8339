// Leader leases: a row per role with its holder, term and expiry, written with preconditions.
#include "controller/leader_lease.h"

#include <boost/json.hpp>

namespace gangplank::controller {
namespace json = boost::json;

namespace {

// An act needs this much of the lease left: what one act on a node may take before it touches
// the host, so no act starts that could outlive the lease.
constexpr long long kActMarginMs = 1000;

struct LeaseRow {
  std::string owner;
  long long until_ms = 0;
  std::int64_t term = 0;
};

LeaseRow Parse(const std::string& body) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  LeaseRow row;
  if (ec || !doc.is_object()) return row;  // unreadable: a lapsed lease of nobody
  const json::object& object = doc.as_object();
  if (const auto* owner = object.if_contains("owner"); owner && owner->is_string())
    row.owner = owner->as_string();
  if (const auto* until = object.if_contains("untilMs"); until && until->is_number())
    row.until_ms = until->to_number<long long>();
  if (const auto* term = object.if_contains("term"); term && term->is_int64())
    row.term = term->as_int64();
  return row;
}

}  // namespace

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
  std::lock_guard lock(hold_mutex_);
  const long long now = NowMs();
  if (held_until_ms_ - now > duration_.count() / 2) return true;  // nothing to renew yet
  auto row = store_.Get(kLeaseKind, id_);
  if (!row) return held_until_ms_ > now;
  store::Precondition expected = store::Precondition::Absent();
  std::int64_t term = 1;
  if (row->has_value()) {
    const LeaseRow lease = Parse((*row)->body);
    const bool ours = lease.owner == owner_ && lease.term == term_;
    if (!ours && lease.until_ms > now) {
      held_until_ms_ = 0;
      return false;  // another replica's live lease
    }
    term = ours ? lease.term : lease.term + 1;
    expected = store::Precondition::AtVersion((*row)->version);
  }
  const long long until = now + duration_.count();
  const json::object doc{{"owner", owner_}, {"untilMs", until}, {"term", term}};
  auto written = store_.Put({std::string(kLeaseKind), id_, "/gangplank/leases",
                             json::serialize(doc), 0},
                            expected);
  if (written) {
    term_ = term;
    held_until_ms_ = until;
    return true;
  }
  // Someone else took it first (or the store is away: hold on only while the old lease lasts).
  if (written.error().code == StatusCode::kAborted) held_until_ms_ = 0;
  return held_until_ms_ > now;
}

bool LeaderLease::StillHeld() const { return held_until_ms_ - NowMs() >= kActMarginMs; }

bool LeaderLease::Confirm() const {
  const long long now = NowMs();
  if (held_until_ms_ - now < kActMarginMs) return false;
  // A paused process's reads are as old as its pause: read the store afresh (at once while the
  // read lease holds, which a pause longer than it has let lapse).
  if (!store_.Sync()) return false;
  auto row = store_.Get(kLeaseKind, id_);
  if (!row || !row->has_value()) return false;
  const LeaseRow lease = Parse((*row)->body);
  return lease.owner == owner_ && lease.term == term_ && lease.until_ms - now >= kActMarginMs;
}

}  // namespace gangplank::controller
