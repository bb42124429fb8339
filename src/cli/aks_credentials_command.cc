// aks get-credentials: the cluster's kubeconfig merged into ~/.kube/config as az merges it.
#include <sys/stat.h>

#include <filesystem>

#include "cli/aks_support.h"
#include "cli/kubeconfig.h"
#include "cli/lazy_command.h"
#include "cli/output.h"
#include "common/base64.h"
#include "common/file_io.h"
#include "common/paths.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

struct CredentialFlags {
  bool admin = false;
  std::string file;  // empty: $KUBECONFIG's first entry, or ~/.kube/config
  std::string context;
  std::string format;
  bool overwrite_existing = false;
  bool public_fqdn = false;
};

// Where the kubeconfig goes: -f, else the first entry of $KUBECONFIG, else ~/.kube/config.
std::string KubeconfigPath(const CliContext& context, const CredentialFlags& flags) {
  if (!flags.file.empty()) return flags.file == "-" ? "-" : ExpandUser(flags.file, context.home);
  if (const char* paths = std::getenv("KUBECONFIG"); paths && *paths) {
    const std::string first = std::string(paths).substr(0, std::string(paths).find(':'));
    if (!first.empty()) return first;
  }
  return context.home + "/.kube/config";
}

// The server's kubeconfig, as text.
Result<std::string> FetchKubeconfig(CliContext& context, AksCommandState& state,
                                    const CredentialFlags& flags) {
  auto client = ClientFor(context, state);
  if (!client) return client.error();
  std::string path = ClusterPath(*client, state) +
                     (flags.admin ? "/listClusterAdminCredential" : "/listClusterUserCredential") +
                     Query();
  if (flags.public_fqdn) path += "&server-fqdn=public";
  if (!flags.format.empty()) path += "&format=" + flags.format;
  auto reply = client->Call("POST", path);
  if (!reply) return reply.error();
  const json::value* kubeconfigs =
      reply->body.is_object() ? reply->body.as_object().if_contains("kubeconfigs") : nullptr;
  if (!kubeconfigs || !kubeconfigs->is_array() || kubeconfigs->as_array().empty()) {
    return MakeError(StatusCode::kNotFound, "NoCredentials", "No Kubernetes credentials found.");
  }
  const json::value& first = kubeconfigs->as_array().front();
  const json::value* value = first.is_object() ? first.as_object().if_contains("value") : nullptr;
  auto text = value && value->is_string() ? Base64DecodeStrict(value->as_string()) : std::nullopt;
  if (!text) {
    return MakeError(StatusCode::kUnavailable, "BadReply", "Fail to find kubeconfig file.");
  }
  return std::move(*text);
}

// Merges `kubeconfig` into the file at `path` (made 0600 when missing), as az does; says so on
// standard error.
Status MergeInto(CliContext& context, const std::string& path, const std::string& kubeconfig,
                 const CredentialFlags& flags) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // A symlinked kubeconfig is written where it points, as az's open() writes it.
  const fs::path target = fs::is_symlink(path, ec) ? fs::weakly_canonical(path, ec) : fs::path(path);
  if (target.has_parent_path()) {
    if (Status made = EnsureDirectory(target.parent_path(), 0755); !made.ok()) return made;
  }
  std::string existing_text;
  mode_t mode = 0600;
  if (struct stat info{}; ::stat(target.c_str(), &info) == 0) {
    auto read = ReadFile(target, 16 << 20);
    if (!read) return read.error();
    existing_text = std::move(*read);
    mode = info.st_mode & 07777;
  }
  auto existing = ParseKubeconfig(existing_text, target.string());
  if (!existing) return existing.error();
  auto addition = ParseKubeconfig(kubeconfig, "the server's kubeconfig");
  if (!addition) return addition.error();
  std::string current;
  auto merged = MergeKubeconfig(std::move(*existing), std::move(*addition),
                                flags.overwrite_existing,
                                flags.context.empty() ? std::nullopt
                                                      : std::optional<std::string>(flags.context),
                                current);
  if (!merged) return merged.error();
  if ((mode & 0777) != 0600) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%o", mode & 07777);
    context.err << "WARNING: " << target.string() << " has permissions \"" << octal
                << "\".\nIt should be readable and writable only by its owner.\n";
  }
  if (Status written = WriteFileAtomically(target, RenderOutput(*merged, OutputFormat::kYaml),
                                           mode, IfExists::kReplace);
      !written.ok())
    return written;
  context.err << "WARNING: Merged \"" << current << "\" as current context in " << target.string()
              << "\n";
  return OkStatus();
}

}  // namespace

void RegisterAksCredentialsCommand(CLI::App& aks, AksCommandState& state, CliContext& context,
                                   int& exit_code) {
  auto flags = std::make_shared<CredentialFlags>();
  AddCommand(
      &aks, "get-credentials",
      "Merge a kubeconfig for the cluster's read-only Kubernetes view (its nodes) into "
      "~/.kube/config, as az does.\n\nExamples:\n  gangplank aks get-credentials -g rg1 -n c1\n"
      "  gangplank aks get-credentials -g rg1 -n c1 --admin --file -",
      [&state, &context, &exit_code, flags](CLI::App* command) {
        AddResourceFlags(command, state);
        command->add_flag("-a,--admin", flags->admin, "The cluster administrator's credentials");
        command->add_option("--context", flags->context,
                            "The context's name instead of the cluster's");
        command->add_option("-f,--file", flags->file,
                            "The kubeconfig to update (default: $KUBECONFIG's first file, or "
                            "~/.kube/config); - prints it instead");
        command
            ->add_option("--format", flags->format,
                         "exec or azure (user credentials of AAD clusters)")
            ->check(CLI::IsMember({"exec", "azure"}, CLI::ignore_case));
        command->add_flag("--overwrite-existing", flags->overwrite_existing,
                          "Replace entries of the same name");
        command->add_flag("--public-fqdn", flags->public_fqdn,
                          "The server address as the public FQDN (private clusters)");
        AddOutputFlags(*command, state.output);
        command->callback([&state, &context, &exit_code, flags] {
          for (char& c : flags->format)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (flags->admin && !flags->format.empty()) {
            exit_code =
                Fail(context, MakeError(StatusCode::kInvalidArgument, "InvalidArgumentValue",
                                        "--format can only be specified when requesting "
                                        "clusterUser credential."));
            return;
          }
          auto kubeconfig = FetchKubeconfig(context, state, *flags);
          if (!kubeconfig) {
            exit_code = Fail(context, kubeconfig.error());
            return;
          }
          const std::string path = KubeconfigPath(context, *flags);
          if (path == "-") {
            context.out << *kubeconfig << "\n";
            exit_code = kExitOk;
            return;
          }
          Status merged = MergeInto(context, path, *kubeconfig, *flags);
          exit_code = merged.ok() ? kExitOk : Fail(context, merged.error());
        });
      });
}

}  // namespace gangplank::cli
