// az's flags for the `aks` commands as one table: which commands have each flag, how its value is
// read and checked, and which field of the ARM body it sets (or why it is refused here).
#pragma once

#include <CLI/App.hpp>
#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace gangplank::cli {

// The commands that take table flags (a bit each, so that one row can serve several).
enum AzCommand : unsigned {
  kAksCreate = 1u << 0,
  kAksUpdate = 1u << 1,
  kPoolAdd = 1u << 2,
  kPoolUpdate = 1u << 3,
  kPoolUpgrade = 1u << 4,
  kAksScale = 1u << 5,
  kPoolScale = 1u << 6,
  kAksUpgrade = 1u << 7,
  kPoolPower = 1u << 8,  // nodepool stop and start
  kAksShow = 1u << 9,
  kAksDelete = 1u << 10,
  kPoolDelete = 1u << 11,
  kAbort = 1u << 12,  // aks operation-abort and aks nodepool operation-abort
  kRotateCerts = 1u << 13,
};

// How a flag's words become JSON.
enum class AzValue {
  kSwitch,     // no value; sets `set_to`
  kText,       // one word; checked against `choices` when there are any
  kInt,        // one whole number
  kNumber,     // one number (a price)
  kWords,      // several words → an array of strings (--zones 1 2 3)
  kPairs,      // KEY[=VALUE] words → an object ('' clears: --tags '')
  kCommaList,  // a,b,c → an array of strings
  kCommaPairs, // k=v,k2=v2 → an object (--aks-custom-headers, sent as headers)
  kIdList,     // id1,id2 → [{"id": id1}, …]
  kJsonFile,   // a path to a JSON file → its object
  kAddons,     // az's addon names, comma-separated → addonProfiles entries
  kBool,       // true or false, or nothing for true (--enable-workload-identity)
  kFileBase64, // a path to a text file → its contents in base64 (--message-of-the-day)
  kCertsFile,  // a path to PEM certificates, blank-line separated → each in base64 (at most 10)
  kPortRanges, // 80/tcp,4000-4100/udp → [{"portStart", "portEnd", "protocol"}, …]
  kIpTags,     // TYPE=TAG words → [{"ipTagType", "tag"}, …]
};

struct AzFlag {
  std::string_view names;    // CLI11 spelling: "-c,--node-count"
  unsigned commands;         // AzCommand bits
  AzValue value;
  // Where the value goes; several targets are separated by ';'. A path starts with its root:
  //   top.   the request body (tags, identity, sku)
  //   props. the resource's properties
  //   pool.  the pool: agentPoolProfiles[0] of a cluster body, or a pool's own properties
  //   header the request's headers
  //   query. a parameter of the request's URL
  // Empty: accepted, and nothing to send (az sends nothing for it either, or it only changes
  // what the CLI itself does).
  std::string_view fields;
  std::string_view set_to;   // kSwitch: the JSON it sets
  std::string_view choices;  // "System,User"; "given=sent" pairs translate (localuser=LocalUser)
  std::string_view refused;  // non-empty: why this flag cannot work here, and what to do instead
  std::string_view help;
};

const std::vector<AzFlag>& AzFlags();

// Why the monitoring addon and the flags that need Log Analytics are refused here.
inline constexpr std::string_view kNeedsLogAnalytics =
    "it needs a Log Analytics workspace and Azure Monitor data collection rules, which this "
    "control plane does not run; leave it out (nodes' logs: gangplank aks node logs)";


// What a command sends: a cluster (its first pool is agentPoolProfiles[0]) or a pool.
enum class AzBody { kCluster, kPool };

// What flags add to a request besides its body.
struct AzRequestExtras {
  std::map<std::string, std::string> headers;
  std::vector<std::pair<std::string, std::string>> query;  // appended to the URL, encoded
};

// The table's flags as parsed. One set may serve every command: only the command that runs has
// flags given.
class AzFlagSet {
 public:
  // Adds every row of `command` to `app` (refused ones too: they are accepted by the parser and
  // explained when the command runs). Called when the command is populated (lazy_command.h), so
  // only the command that runs gets its rows.
  void Register(CLI::App& app, AzCommand command);

  // True when the flag with this long name was given.
  bool Given(std::string_view long_name) const;
  // The words given for the flag, empty when it was not.
  std::vector<std::string> Words(std::string_view long_name) const;

  // Checks the given flags (refused ones, values, choices) and writes them into `body`, a cluster
  // or a pool resource. `home` expands ~ in file paths. Headers and URL parameters go to `extras`.
  Status Apply(boost::json::object& body, AzBody kind, const std::string& home,
               AzRequestExtras& extras) const;

  // Apply onto nothing: whether the command line can run, before anything is read or sent.
  Status Check(AzBody kind, const std::string& home) const;

  // True when a given flag writes under the pool (aks update: those need a single pool).
  bool SetsPoolFields() const;

 private:
  std::vector<std::pair<const AzFlag*, CLI::Option*>> options_;
};

// The long name of a row ("--node-count" of "-c,--node-count").
std::string_view LongName(const AzFlag& flag);

}  // namespace gangplank::cli
