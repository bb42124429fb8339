// Builds the CLI11 command tree from the command groups and maps parse errors to exit codes.
#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <streambuf>
#include <string_view>

#include "cli/aks_command.h"
#include "cli/command_line_check.h"
#include "cli/lazy_command.h"
#include "cli/local_command.h"
#include "cli/ssh_key_command.h"

namespace gangplank::cli {
namespace {

// --only-show-errors, as az has it: standard error keeps the first "error:" line and what follows
// it, and drops the notices and progress before it.
class ErrorsOnlyBuffer : public std::streambuf {
 public:
  explicit ErrorsOnlyBuffer(std::streambuf* to) : to_(to) {}

 protected:
  int overflow(int c) override {
    static constexpr std::string_view kError = "error:";
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    const char ch = static_cast<char>(c);
    if (passing_) return to_->sputc(ch);
    if (ch == '\n' || ch == '\r') {
      prefix_.clear();
      dropping_ = false;
    } else if (!dropping_) {
      prefix_.push_back(ch);
      if (prefix_ == kError) {
        passing_ = true;
        to_->sputn(prefix_.data(), static_cast<std::streamsize>(prefix_.size()));
      } else if (!kError.starts_with(prefix_)) {
        dropping_ = true;
      }
    }
    return c;
  }
  int sync() override { return to_->pubsync(); }

 private:
  std::streambuf* to_;
  std::string prefix_;  // the start of the current line, while it may still be "error:"
  bool dropping_ = false;
  bool passing_ = false;
};

// The arguments an error message may not quote: every one, except the value of --query (a query
// is no secret, and an error about it must show it).
std::vector<std::string> Quotable(const std::vector<std::string>& args) {
  std::vector<std::string> hidden;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--query") {
      ++i;
      continue;
    }
    if (!args[i].starts_with("--query=")) hidden.push_back(args[i]);
  }
  return hidden;
}

constexpr std::string_view kGlobalGroup = "Global Arguments";

// Help as az prints it: a command's own "Arguments" first, then its groups in the order the
// command registered them, what is refused here, and "Global Arguments" last.
class AzHelpFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
    std::string out = make_description(app) + make_usage(app, name) + make_positionals(app);
    for (const std::string& group : Ordered(app->get_groups())) {
      const auto options = app->get_options([&](const CLI::Option* option) {
        return option->get_group() == group && option->nonpositional();
      });
      if (!options.empty()) out += make_group(group, false, options) + "\n";
    }
    return out + make_subcommands(app, mode) + "\n" + make_footer(app);
  }

 private:
  static std::vector<std::string> Ordered(std::vector<std::string> groups) {
    const auto rank = [](const std::string& group) {
      if (group == "Arguments") return 0;
      if (group == kGlobalGroup) return 3;
      return group.starts_with("Arguments refused") ? 2 : 1;
    };
    std::stable_sort(groups.begin(), groups.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    return groups;
  }
};

// az prints a command's examples after its arguments (CLI11 gets them as the footer), and -h
// among the global arguments. Idempotent: a command may be shaped as a child and again on the
// path.
void ShapeHelpAsAz(CLI::App& command) {
  const std::string& description = command.get_description();
  if (const std::size_t at = description.find("\n\nExample"); at != std::string::npos) {
    command.footer(description.substr(at + 1) + "\n" + command.get_footer());
    command.description(description.substr(0, at));
  }
  if (command.get_help_ptr() != nullptr) command.get_help_ptr()->group(std::string(kGlobalGroup));
}

// Help is printed only for the deepest command on the line, listing its subcommands: the
// commands on the path and their children are shaped, not the whole tree.
void ShapeHelpAlong(const std::vector<CLI::App*>& path) {
  for (CLI::App* command : path) {
    ShapeHelpAsAz(*command);
    for (CLI::App* sub : command->get_subcommands([](CLI::App*) { return true; }))
      ShapeHelpAsAz(*sub);
  }
}

}  // namespace

int RunGangplank(int argc, const char* const* argv, CliContext& context) {
  CLI::App app{"Gangplank: AKS-compatible node pools and SSH access to their nodes.", "gangplank"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gangplank 0.1.0");
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  app.failure_message([&args](const CLI::App* command, const CLI::Error& error) {
    // The error is raised at the root; its help is that of the deepest command given.
    std::string path = command->get_name();
    for (const CLI::App* at = command; !at->get_subcommands().empty();) {
      at = at->get_subcommands().front();
      path += " " + at->get_name();
    }
    // CLI11 quotes the values it did not expect or accept: never one that may be a secret.
    return "error: " + TerminalSafe(RedactArguments(error.what(), Quotable(args))) + "\nSee `" +
           path + " --help`.\n";
  });
  // Inherited by every subcommand registered below, so each --help ends with it.
  app.footer(
      "\nGlobal flags, anywhere on the line: --verbose (each request, progress, the time taken), "
      "--debug (also headers and bodies; never tokens or secrets).\nExit codes: 0 success, 1 the "
      "command failed (and said why), 2 the command line is wrong, 3 `local status`: not running; "
      "`aks ssh` returns ssh's.");
  // Global flags: accepted anywhere on the line, since every subcommand falls through to here.
  // Each command's own options are "Arguments" unless they name a group, as az shows them.
  app.fallthrough();
  app.option_defaults()->group(std::string(kGlobalGroup));
  app.formatter(std::make_shared<AzHelpFormatter>());
  app.add_flag_callback(
      "--verbose", [&context] { context.verbosity = std::max(context.verbosity, 1); },
      "Print each request, the operation's progress and the time taken");
  app.add_flag_callback(
      "--debug", [&context] { context.verbosity = 2; },
      "Also print headers and bodies (never tokens or secrets)");
  ErrorsOnlyBuffer errors_only(context.err.rdbuf());
  // Standard error gets its own buffer back on every way out (the context outlives this run).
  const std::unique_ptr<std::streambuf, std::function<void(std::streambuf*)>> restore_err(
      context.err.rdbuf(), [&context](std::streambuf* own) { context.err.rdbuf(own); });
  app.add_flag_callback(
      "--only-show-errors", [&context, &errors_only] { context.err.rdbuf(&errors_only); },
      "Print errors only: no notices, warnings or progress");
  app.add_option_function<std::string>(
      "--subscription", [&context](const std::string& id) { context.subscription = id; },
      "The subscription (id) to use instead of the login's");
  if (app.get_version_ptr() != nullptr) app.get_version_ptr()->group(std::string(kGlobalGroup));
  app.option_defaults()->group("Arguments");
  const auto started = std::chrono::steady_clock::now();
  int exit_code = kExitOk;
  auto ssh_key = RegisterSshKeyCommands(app, context, exit_code);
  auto aks = RegisterAksCommands(app, context, exit_code);
  auto local = RegisterLocalCommands(app, context, exit_code, [&context](const std::string& dir) {
    return LoginToDataDir(context, dir);
  });
  // The commands on the line get their options before the line is checked against them.
  std::vector<CLI::App*> path{&app};
  for (const std::string& arg : args) {
    if (arg.starts_with("-")) continue;
    const auto subs =
        path.back()->get_subcommands([&arg](CLI::App* sub) { return sub->check_name(arg); });
    if (subs.empty()) continue;
    path.push_back(subs.front());
    ReachCommand(*path.back());
  }
  ShapeHelpAlong(path);
  if (Status checked = CheckCommandLine(app, args); !checked.ok()) {
    PrintError(context, checked.error().message);
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error, context.out, context.err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (context.verbosity > 0) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", took.count());
    context.err << "INFO: Command ran in " << seconds << " seconds (exit " << exit_code << ")\n";
  }
  return exit_code;
}

}  // namespace gangplank::cli
