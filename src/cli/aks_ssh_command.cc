// `gangplank aks ssh`: logs into a node with the real ssh, its host keys taken from the control
// plane, and says why a login cannot work (SSH disabled, the node not ready, the wrong key).
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "cli/aks_support.h"
#include "cli/arm_client.h"
#include "cli/lazy_command.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "common/process.h"
#include "common/random.h"
#include "sshkey/generate.h"
#include "sshkey/parse.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

// The private key in ~/.ssh whose .pub is one of the cluster's keys ("the right key"), if any.
std::string MatchingIdentity(const CliContext& context, const json::value& cluster) {
  const auto* profile = cluster.at("properties").as_object().if_contains("linuxProfile");
  if (!profile || !profile->is_object()) return "";
  std::vector<std::string> blobs;
  for (const auto& key : profile->at("ssh").at("publicKeys").as_array()) {
    if (auto parsed = sshkey::ParseSinglePublicKey(key.at("keyData").as_string()))
      blobs.push_back(parsed->blob);
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(context.home + "/.ssh", ec)) {
    const std::string path = entry.path().string();
    if (!path.ends_with(".pub")) continue;
    auto text = ReadFile(path, 64 * 1024);
    if (!text) continue;
    auto parsed = sshkey::ParseSinglePublicKey(*text);
    const std::string private_key = path.substr(0, path.size() - 4);
    if (parsed && std::find(blobs.begin(), blobs.end(), parsed->blob) != blobs.end() &&
        std::filesystem::exists(private_key)) {
      return private_key;
    }
  }
  return "";
}

// The pool's securityProfile.sshAccess as the cluster's agentPoolProfiles show it ("" if none).
std::string PoolSshAccess(const json::value& cluster, const std::string& pool) {
  const auto* pools = cluster.at("properties").as_object().if_contains("agentPoolProfiles");
  if (!pools || !pools->is_array()) return "";
  for (const auto& profile : pools->as_array()) {
    const auto* object = profile.if_object();
    if (!object || !object->contains("name") || object->at("name") != pool.c_str()) continue;
    const auto* security = object->if_contains("securityProfile");
    const auto* access = security && security->is_object()
                             ? security->as_object().if_contains("sshAccess")
                             : nullptr;
    return access && access->is_string() ? std::string(access->as_string()) : "";
  }
  return "";
}

// What the API says about why ssh into `machine` (of `pool`) cannot work, with the commands that
// fix it; empty when it may work. `definite`: ssh would surely fail (said before trying); else a
// hint for after ssh was refused.
struct SshDiagnosis {
  std::string why;
  bool definite = false;
};

SshDiagnosis DiagnoseSsh(const AksCommandState& state, const json::value& cluster,
                         const std::string& pool, const json::object& machine,
                         const std::string& identity) {
  const json::object& p = machine.at("properties").as_object();
  const auto text = [&](const char* key) {
    const json::value* value = p.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  const std::string node = std::string(machine.at("name").as_string());
  const std::string pool_flags =
      "-g " + state.group + " --cluster-name " + state.name + " -n " + pool;
  const std::string reimage = "gangplank aks nodepool upgrade " + pool_flags + " --node-image-only";
  const bool latest = p.if_contains("latestModelApplied") && p.at("latestModelApplied") == true;
  const auto* profile = cluster.at("properties").as_object().if_contains("linuxProfile");
  const bool cluster_has_key = profile && profile->is_object();
  if (text("state") == "Stopped") {
    return {"node " + node + " is stopped, and a stopped node runs no sshd. Start it: gangplank "
            "aks nodepool start " + pool_flags + " (or the whole cluster: gangplank aks start -g " +
                state.group + " -n " + state.name + ")",
            true};
  }
  if (text("sshAccess") == "Disabled") {
    return {"SSH is disabled on node " + node + " (pool " + pool +
                "'s sshAccess was Disabled when it was last reimaged), so nothing listens on its "
                "port. To open it: gangplank aks nodepool update " + pool_flags +
                " --ssh-access localuser, then " + reimage,
            true};
  }
  if (text("sshAccess") == "EntraId") return {};  // a certificate, not a key, opens it
  if (PoolSshAccess(cluster, pool) == "EntraId" && !latest) {
    return {"pool " + pool + " is EntraId, but node " + node + " takes certificates only from its "
            "next node image upgrade (until then it takes the cluster's key): " + reimage,
            false};
  }
  if (!cluster_has_key && latest) {
    return {"cluster " + state.name + " has no SSH key (it was created with --no-ssh-key), so no "
            "key opens its nodes. Give it yours: gangplank aks update -g " + state.group + " -n " +
                state.name + " --ssh-key-value ~/.ssh/id_rsa.pub, then " + reimage,
            true};
  }
  if (identity.empty() && latest) {
    return {"none of the keys in ~/.ssh is one of cluster " + state.name + "'s keys, and node " +
                node + " has only those. Pass the private key of one with -i, or give the "
                "cluster yours: gangplank aks update -g " + state.group + " -n " + state.name +
                " --ssh-key-value ~/.ssh/id_rsa.pub, then " + reimage,
            true};
  }
  if (!latest) {
    return {"node " + node + " has not applied its pool's latest model (it runs version " +
                std::to_string(p.if_contains("appliedModelVersion")
                                   ? p.at("appliedModelVersion").to_number<long long>()
                                   : 0) +
                "): a key set with aks update reaches it only when it is reimaged: " + reimage,
            false};
  }
  return {};
}

// An EntraId node: a fresh RSA key in a 0700 directory of its own, a certificate for it from
// the control plane's CA (as az ssh gets one), both removed when ssh ends.
class CertificateLogin {
 public:
  ~CertificateLogin() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  Status Prepare(ArmClient& client, const CliContext& context, const AksCommandState& state) {
    std::string pattern = ConfigDir(context) + "/ssh-XXXXXX";  // mkdtemp fills in the Xs
    GP_RETURN_IF_ERROR(EnsureDirectory(ConfigDir(context), 0700));
    if (::mkdtemp(pattern.data()) == nullptr) {
      return MakeError(StatusCode::kUnavailable, "NoKeyDirectory",
                       "cannot make a private directory under " + ConfigDir(context));
    }
    dir_ = pattern;
    GP_ASSIGN_OR_RETURN(const sshkey::KeyPair pair,
                        sshkey::GenerateKeyPair({sshkey::KeyKind::kRsa, 3072, "gangplank-aks-ssh"}));
    GP_RETURN_IF_ERROR(sshkey::WriteKeyPair(pair, {dir_ + "/id_rsa", dir_ + "/id_rsa.pub"}));
    auto certificate = client.SshCertificate(pair.public_key.blob);
    if (!certificate) {
      Error error = certificate.error();
      if (error.reason == "unauthorized_client") {
        error.message += ". An Owner or User Access Administrator can give you a login role: "
                         "gangplank role assignment create --role \"Virtual Machine User Login\" "
                         "--assignee " + client.config().client_id + " --scope /subscriptions/" +
                         client.config().subscription_id + "/resourceGroups/" + state.group +
                         "/providers/Microsoft.ContainerService/managedClusters/" + state.name;
      }
      return error;
    }
    GP_RETURN_IF_ERROR(
        WriteFileAtomically(dir_ + "/id_rsa-cert.pub", *certificate, 0600, IfExists::kReplace));
    // What the certificate names: a service principal logs in as its application id.
    user_ = client.config().client_id;
    for (char& c : user_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return OkStatus();
  }
  std::vector<std::string> SshArgs() const {
    return {"-i", dir_ + "/id_rsa", "-o", "CertificateFile=" + dir_ + "/id_rsa-cert.pub", "-o",
            "IdentitiesOnly=yes"};
  }
  const std::string& user() const { return user_; }

 private:
  std::string dir_;
  std::string user_;
};

int RunSsh(AksCommandState& state, CliContext& context) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto cluster = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!cluster) return Fail(context, cluster.error());
  std::string admin = "azureuser";
  if (const auto* profile = cluster->body.at("properties").as_object().if_contains("linuxProfile");
      profile && profile->is_object())
    admin = std::string(profile->at("adminUsername").as_string());
  auto pools = Pools(*client, state);
  if (!pools) return Fail(context, pools.error());
  std::optional<json::object> target;
  std::string target_pool;
  for (const auto& pool : *pools) {
    auto machines = Machines(*client, state, pool);
    if (!machines) return Fail(context, machines.error());
    for (const auto& machine : *machines) {
      if (state.node.empty() || machine.at("name").as_string() == state.node) {
        target = machine.as_object();
        target_pool = pool;
        break;
      }
    }
    if (target) break;
  }
  if (!target) {
    return Fail(context, MakeError(StatusCode::kNotFound, "NodeNotFound",
                                   state.node.empty() ? "the cluster has no node"
                                                      : "no node named " + state.node));
  }
  const json::object& p = target->at("properties").as_object();
  CertificateLogin certificate;
  const bool entra_id = p.if_contains("sshAccess") && p.at("sshAccess") == "EntraId";
  if (entra_id) {
    if (Status prepared = certificate.Prepare(*client, context, state); !prepared.ok())
      return Fail(context, prepared.error());
    admin = certificate.user();
  }
  const std::string address(p.at("network").at("ipAddresses").at(0).at("ip").as_string());
  const std::string port = std::to_string(p.at("port").as_int64());
  if (!(entra_id ? IsGuid(admin) : IsLinuxUserName(admin)) || !IsIpAddress(address)) {
    return Fail(context,
                MakeError(StatusCode::kFailedPrecondition, "UnexpectedNodeAddress",
                          "the server gave the user '" + admin + "' and the address '" + address +
                              "', which are not a Linux user name and an IP address; "
                              "not passing them to ssh"));
  }
  // What the API knows first: a stopped node, SSH disabled, no key that can work.
  const std::string identity = state.identity.empty() ? MatchingIdentity(context, cluster->body)
                                                      : ExpandUser(state.identity, context.home);
  const SshDiagnosis diagnosis = DiagnoseSsh(state, cluster->body, target_pool, *target, identity);
  if (diagnosis.definite) {
    return Fail(context, MakeError(StatusCode::kFailedPrecondition, "SshNotPossible",
                                   diagnosis.why));
  }
  if (p.at("hostKeys").as_array().empty()) {
    return Fail(context, MakeError(StatusCode::kFailedPrecondition, "NoHostKeys",
                                   "node " + std::string(target->at("name").as_string()) +
                                       " has reported no host keys yet (state " +
                                       std::string(p.at("state").as_string()) + ")"));
  }
  // known_hosts from the control plane: the node's host keys are checked, never skipped.
  const std::string known_hosts = ConfigDir(context) + "/known_hosts";
  std::string lines;
  for (const auto& key : p.at("hostKeys").as_array())
    lines += (port == "22" ? address : "[" + address + "]:" + port) + " " +
             std::string(key.as_string()) + "\n";
  if (Status dir = EnsureDirectory(ConfigDir(context), 0700); !dir.ok())
    return Fail(context, dir.error());
  if (Status written = WriteFileAtomically(known_hosts, lines, 0600, IfExists::kReplace);
      !written.ok())
    return Fail(context, written.error());
  // The user and the address come from the server: each goes where ssh reads only that (-l, and
  // after --), so neither can be read as an option such as -oProxyCommand.
  std::vector<std::string> argv = {"/usr/bin/ssh",
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "-o",
                                   "UserKnownHostsFile=" + known_hosts,
                                   "-p",
                                   port,
                                   "-l",
                                   admin};
  if (entra_id) {
    const auto args = certificate.SshArgs();
    argv.insert(argv.end(), args.begin(), args.end());
  } else if (!identity.empty()) {
    argv.insert(argv.end(), {"-i", identity, "-o", "IdentitiesOnly=yes"});
  }
  argv.insert(argv.end(), {"--", address});
  argv.insert(argv.end(), state.command.begin(), state.command.end());
  context.out.flush();
  const int status = RunToCompletion(argv);  // ssh shares the terminal
  if (status == 255 && !diagnosis.why.empty()) context.err << "note: " << diagnosis.why << "\n";
  if (status == 255 && entra_id) {
    context.err << "note: node " << std::string(target->at("name").as_string())
                << " takes certificates of identities that hold Virtual Machine User Login or "
                   "Virtual Machine Administrator Login at the cluster now; a role removed a "
                   "moment ago refuses the next login\n";
  }
  return status < 0 ? kExitFailure : status;
}

}  // namespace

void RegisterAksSshCommand(CLI::App& aks, AksCommandState& state, CliContext& context,
                           int& exit_code) {
  AddCommand(
      &aks, "ssh",
      "Log into a node with the real ssh, its host keys taken from the control plane.\n\n"
      "Examples:\n  gangplank aks ssh -g rg1 -n c1\n"
      "  gangplank aks ssh -g rg1 -n c1 --node aks-nodepool1-12345678-vmss000001 -i ~/.ssh/key "
      "-- uptime",
      [&state, &context, &exit_code](CLI::App* ssh) {
        AddResourceFlags(ssh, state);
        ssh->add_option("--nodepool-name", state.pool, "Pool of the node");
        ssh->add_option("--node", state.node, "Node name (default: the first)");
        ssh->add_option(
            "-i,--identity", state.identity,
            "Private key to log in with (default: the key in ~/.ssh whose .pub the cluster "
            "has)");
        ssh->add_option("command", state.command, "Command to run (after --)");
        ssh->callback([&state, &context, &exit_code] { exit_code = RunSsh(state, context); });
      });
}

}  // namespace gangplank::cli
