// `gangplank ssh-key show` (ssh-keygen -l compatible) and `gangplank ssh-key generate`.
#include "cli/ssh_key_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "cli/lazy_command.h"
#include "cli/output.h"
#include "cli/output_flags.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "common/secure_buffer.h"
#include "sshkey/fingerprint.h"
#include "sshkey/generate.h"
#include "sshkey/parse.h"
#include "sshkey/private_key_detect.h"
#include "sshkey/resolve.h"

namespace gangplank::cli {
namespace json = boost::json;

struct SshKeyCommandState {
  std::string show_input;
  std::string show_hash = "sha256";
  OutputFlags show_output = OwnShapeOutput();

  std::string generate_type = "rsa";
  int generate_bits = 0;
  std::string generate_file;
  std::optional<std::string> generate_comment;
  OutputFlags generate_output = OwnShapeOutput();
};

namespace {

int Fail(CliContext& context, const Error& error) { return PrintError(context, error.message); }

constexpr std::size_t kMaxShowInputBytes = std::size_t{256} << 20;

struct ShowInput {
  SecureString text;        // may turn out to be a private key: wiped when released
  bool from_value = false;  // a key given on the command line rather than a file or stdin
};

Result<ShowInput> ReadShowInput(const std::string& argument, CliContext& context) {
  if (sshkey::ContainsPrivateKey(argument)) return sshkey::PrivateKeyError();
  if (argument == "-") {
    auto text = context.read_stdin(kMaxShowInputBytes);
    if (!text) return text.error();
    return ShowInput{std::move(text.value()), false};
  }
  const std::string path = ExpandUser(argument, context.home);
  struct stat st {};
  if (!argument.empty() && ::stat(path.c_str(), &st) == 0) {
    auto text = ReadSecretFile(path, kMaxShowInputBytes);
    if (!text) return text.error();
    return ShowInput{std::move(text.value()), false};
  }
  if (argument.empty() || sshkey::LooksLikeKeyText(argument)) {
    return ShowInput{SecureString(argument.begin(), argument.end()), true};
  }
  // Only a path-shaped argument is repeated: anything else may be pasted key material.
  const std::string what = sshkey::LooksLikePath(argument)
                               ? "there is no file at " + path + ", and the argument is not"
                               : "the argument is neither an existing file nor";
  return MakeError(StatusCode::kNotFound, "FileNotFound",
                   what +
                       " a public key; give a key file, a key in quotes, or - to read "
                       "standard input");
}

json::object KeyToJson(const sshkey::PublicKey& key, std::size_t line) {
  json::array options;
  for (const auto& option : key.options) {
    json::object entry{{"name", option.name}};
    entry["value"] = option.value ? json::value(*option.value) : json::value(nullptr);
    options.push_back(std::move(entry));
  }
  return json::object{
      {"line", line},
      {"type", key.type()},
      {"bits", key.bits},
      {"fingerprintSha256", sshkey::Fingerprint(key, sshkey::FingerprintHash::kSha256)},
      {"fingerprintMd5", sshkey::Fingerprint(key, sshkey::FingerprintHash::kMd5)},
      {"comment", key.comment},
      {"options", std::move(options)},
  };
}

int RunShow(const SshKeyCommandState& state, CliContext& context) {
  // The table is ssh-keygen -l's own lines, unless a query reshapes the result.
  const bool keygen_table = state.show_output.output == "table" && state.show_output.query.empty();
  const auto hash =
      state.show_hash == "md5" ? sshkey::FingerprintHash::kMd5 : sshkey::FingerprintHash::kSha256;
  auto input = ReadShowInput(state.show_input, context);
  if (!input) return Fail(context, input.error());
  auto entries = sshkey::ParsePublicKeys(std::string_view(input->text.data(), input->text.size()));
  if (!entries) return Fail(context, entries.error());
  const bool number_lines = !input->from_value || entries->size() > 1;

  int failures = 0;
  std::string table;  // ssh-keygen -l lines, written in one go: this path is benchmarked
  json::array keys;
  for (const auto& entry : *entries) {
    if (!entry.key) {
      ++failures;
      if (!number_lines) {
        PrintError(context, entry.key.error().message);
      } else {
        context.err << "line " << entry.line << ": " << TerminalSafe(entry.key.error().message)
                    << "\n";
      }
      continue;
    }
    if (keygen_table) {
      table += sshkey::FingerprintLine(*entry.key, hash);
      table.push_back('\n');
    } else {
      keys.push_back(KeyToJson(*entry.key, entry.line));
    }
  }
  if (entries->empty()) {
    context.err << "error: no key found: the input holds only comments or blank lines\n";
    return kExitFailure;
  }
  int printed = kExitOk;
  if (keygen_table) {
    context.out << table;
  } else {
    printed = PrintOutput(context, keys, state.show_output);
  }
  context.out.flush();
  return failures == 0 ? printed : kExitFailure;
}

std::string DefaultComment() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const char* user = std::getenv("USER");
  return std::string(user && *user ? user : (::geteuid() == 0 ? "root" : "user")) + "@" + host;
}

int RunGenerate(const SshKeyCommandState& state, CliContext& context) {
  auto kind = sshkey::ParseKeyKind(state.generate_type);
  if (!kind) return Fail(context, kind.error());
  const std::string private_path =
      state.generate_file.empty()
          ? context.home + "/.ssh/" + std::string(sshkey::DefaultKeyFileName(*kind))
          : ExpandUser(state.generate_file, context.home);
  const std::string public_path = private_path + ".pub";

  sshkey::GenerateOptions options;
  options.kind = *kind;
  options.bits = state.generate_bits;
  options.comment = state.generate_comment.value_or(DefaultComment());
  auto pair = sshkey::GenerateKeyPair(options);
  if (!pair) return Fail(context, pair.error());
  if (Status written = sshkey::WriteKeyPair(*pair, {private_path, public_path}); !written.ok()) {
    return Fail(context, written.error());
  }
  context.err << "Generated a " << pair->public_key.bits << "-bit " << sshkey::KeyKindName(*kind)
              << " key pair.\n"
              << "  private key: " << private_path << " (mode 0600; keep it secret)\n"
              << "  public key:  " << public_path << " (mode 0644)\n";
  const json::object result{
      {"type", pair->public_key.type()},
      {"bits", pair->public_key.bits},
      {"fingerprintSha256", sshkey::Fingerprint(pair->public_key)},
      {"privateKeyFile", private_path},
      {"publicKeyFile", public_path},
      {"publicKey", pair->public_key.ToPublicKeyLine()},
  };
  return PrintOutput(context, result, state.generate_output);
}

}  // namespace

std::shared_ptr<SshKeyCommandState> RegisterSshKeyCommands(CLI::App& app, CliContext& context,
                                                           int& exit_code) {
  auto state = std::make_shared<SshKeyCommandState>();
  CLI::App* group = app.add_subcommand("ssh-key", "Inspect and create OpenSSH keys.");
  group->require_subcommand(1);

  AddCommand(
      group, "show",
      "Show type, size, fingerprints and comment of every key in a file or value, as "
      "`ssh-keygen -l -f` does.\n\nExamples:\n"
      "  gangplank ssh-key show ~/.ssh/id_rsa.pub --output table\n"
      "  gangplank ssh-key show ~/.ssh/authorized_keys -E md5 --output table\n"
      "  gangplank ssh-key show 'ssh-ed25519 AAAAC3Nza... me@laptop'\n"
      "  cat keys.txt | gangplank ssh-key show -",
      [state, &context, &exit_code](CLI::App* show) {
        show->add_option(
                "key", state->show_input,
                "A key file (authorized_keys, .pub, RFC 4716 or PEM), a key in quotes, or - "
                "for standard input")
            ->required();
        show->add_option("-E,--fingerprint-hash", state->show_hash,
                         "Fingerprint hash for table output")
            ->check(CLI::IsMember({"sha256", "md5"}));
        AddOutputFlags(*show, state->show_output);
        show->callback([state, &context, &exit_code] { exit_code = RunShow(*state, context); });
      });

  AddCommand(
      group, "generate",
      "Generate a key pair in OpenSSH format (private 0600, public 0644); never overwrites.\n\n"
      "Examples:\n"
      "  gangplank ssh-key generate --type ed25519\n"
      "  gangplank ssh-key generate --type rsa --bits 4096 --file ~/.ssh/aks_rsa --comment "
      "ops@corp",
      [state, &context, &exit_code](CLI::App* generate) {
        generate
            ->add_option("-t,--type", state->generate_type,
                         "Key type: rsa (default), ed25519 or ecdsa")
            ->check(CLI::IsMember({"rsa", "ed25519", "ecdsa"}));
        generate->add_option(
            "-b,--bits", state->generate_bits,
            "Key size: RSA 2048-16384 (default 3072), ECDSA 256/384/521 (default 256)");
        generate->add_option(
            "-f,--file", state->generate_file,
            "Private key path (default ~/.ssh/id_<type>); the public key gets .pub");
        generate->add_option("-C,--comment", state->generate_comment,
                             "Key comment (default user@host)");
        AddOutputFlags(*generate, state->generate_output);
        generate->callback(
            [state, &context, &exit_code] { exit_code = RunGenerate(*state, context); });
      });
  return state;
}

}  // namespace gangplank::cli
