// "Did you mean": a walk of argv down the CLI11 tree, with edit distances for suggestions.
#include "cli/command_line_check.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace gangplank::cli {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions, and swaps of two
// neighbours (the commonest typo: "craete").
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::vector<const CLI::App*> Subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : Subcommands(app)) names.push_back(sub->get_name());
  std::sort(names.begin(), names.end());
  return names;
}

std::string Join(const std::vector<std::string>& words, const std::string& glue) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : glue) + word;
  return out;
}

// The option `arg` names on `app` or, since options fall through, on one of its parents.
const CLI::Option* FindOption(const CLI::App* app, std::string_view arg) {
  const bool is_long = arg.starts_with("--");
  std::string name(arg.substr(is_long ? 2 : 1));
  if (is_long) name = name.substr(0, name.find('='));
  else name = name.substr(0, 1);
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      if (is_long ? option->check_lname(name) : option->check_sname(name)) return option;
    }
  }
  return nullptr;
}

std::vector<std::string> LongNames(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options())
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
  }
  return names;
}

// --name, --name=value, -x, -xVALUE: words that can be flags. Anything else that starts with a
// dash ("-----BEGIN …", "-1") is a value, and is never echoed back (it may be a secret).
bool LooksLikeFlag(std::string_view arg) {
  const auto letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  if (arg.starts_with("--")) {
    const std::string_view name = arg.substr(2, arg.find('=') == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : arg.find('=') - 2);
    return !name.empty() && letter(name[0]) &&
           std::all_of(name.begin(), name.end(), [&](char c) {
             return letter(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
           });
  }
  return arg.size() >= 2 && arg[0] == '-' && letter(arg[1]);
}

bool HelpRequested(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& arg) {
    return arg == "-h" || arg == "--help" || arg == "--version";
  });
}

// az's spelling of an option in its usage errors: "--resource-group/-g".
std::string Spelling(const CLI::Option& option) {
  std::string out;
  for (const auto& name : option.get_lnames()) out += (out.empty() ? "--" : "/--") + name;
  for (const auto& name : option.get_snames()) out += (out.empty() ? "-" : "/-") + name;
  return out;
}

// az's (argparse's) words for required arguments left out, all of them at once: options not
// given, and positionals past the `positionals` words given.
Status CheckRequired(const CLI::App& command, const std::set<const CLI::Option*>& given,
                     std::size_t positionals, const std::string& path) {
  std::vector<std::string> missing;
  for (const CLI::Option* option : command.get_options()) {
    if (!option->nonpositional()) {
      if (positionals > 0) {
        --positionals;
      } else if (option->get_required()) {
        missing.push_back(option->get_name());
      }
      continue;
    }
    if (option->get_required() && !given.contains(option)) missing.push_back(Spelling(*option));
  }
  if (missing.empty()) return OkStatus();
  return MakeError(StatusCode::kInvalidArgument, "MissingArguments",
                   "the following arguments are required: " + Join(missing, ", ") + ". See `" +
                       path + " --help`.");
}

std::string DidYouMean(const std::vector<std::string>& suggestions) {
  if (suggestions.empty()) return "";
  return " Did you mean " + Join(suggestions, " or ") + "?";
}

}  // namespace

bool SafeToEcho(std::string_view argument) {
  constexpr std::size_t kLongest = 64;
  if (argument.empty() || argument.size() > kLongest) return false;
  return std::all_of(argument.begin(), argument.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("._:/@+=~,%-").find(c) != std::string_view::npos;
  });
}

std::string RedactArguments(std::string message, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg.empty() || SafeToEcho(arg)) continue;
    for (std::size_t at = message.find(arg); at != std::string::npos;
         at = message.find(arg, at + 1)) {
      message.replace(at, arg.size(), "<value not shown>");
    }
  }
  return message;
}

std::vector<std::string> ClosestNames(std::string_view word,
                                      const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  for (const auto& candidate : candidates) {
    std::size_t distance = EditDistance(word, candidate);
    if (word.size() >= 3 && candidate.starts_with(word)) distance = std::min<std::size_t>(distance, 1);
    if (distance <= limit) scored.emplace_back(distance, candidate);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [distance, candidate] : scored) {
    if (std::find(out.begin(), out.end(), candidate) != out.end()) continue;
    if (out.size() == 3 || distance > scored.front().first + 1) break;
    out.push_back(candidate);
  }
  return out;
}

Status CheckCommandLine(const CLI::App& root, const std::vector<std::string>& args) {
  const CLI::App* current = &root;
  std::string path = root.get_name();
  std::set<const CLI::Option*> given;
  std::size_t positionals = 0;  // words given to the last command that are not flags
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;  // what follows is for another program (aks ssh … -- command)
    if (LooksLikeFlag(arg)) {
      const CLI::Option* option = FindOption(current, arg);
      if (!option) {
        // Only the flag's name: what is attached to it may be a secret.
        const std::string name = arg[1] == '-' ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
        return MakeError(StatusCode::kInvalidArgument, "UnknownFlag",
                         "`" + path + "` has no flag " + name + "." +
                             DidYouMean(ClosestNames(name, LongNames(current))) + " See `" + path +
                             " --help`.");
      }
      given.insert(option);
      // A value that follows its flag is not a command word.
      const bool attached = arg.find('=') != std::string::npos || (arg[1] != '-' && arg.size() > 2);
      if (option->get_items_expected_min() > 0 && !attached &&
          (i + 1 == args.size() || args[i + 1] == "--" || LooksLikeFlag(args[i + 1]))) {
        const std::string name = arg[1] == '-' ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
        return MakeError(StatusCode::kInvalidArgument, "MissingValue",
                         "argument " + name + ": expected one argument. See `" + path +
                             " --help`.");
      }
      if (option->get_items_expected_max() > 0 && !attached) ++i;
      continue;
    }
    const auto subcommands = Subcommands(*current);
    if (subcommands.empty()) {  // a positional argument of the command
      ++positionals;
      continue;
    }
    const auto found = std::find_if(subcommands.begin(), subcommands.end(),
                                    [&](const CLI::App* sub) { return sub->get_name() == arg; });
    if (found == subcommands.end()) {
      const auto names = SubcommandNames(*current);
      std::string message;
      if (SafeToEcho(arg)) {
        message = "'" + arg + "' is not a command of `" + path + "`.";
        message += DidYouMean(ClosestNames(arg, names));
      } else {
        message = "an argument (not shown: it may be a secret) is not a command of `" + path + "`.";
      }
      message += " Its commands: " + Join(names, ", ") + ". See `" + path + " --help`.";
      return MakeError(StatusCode::kInvalidArgument, "UnknownCommand", message);
    }
    current = *found;
    path += " " + arg;
  }
  if (HelpRequested(args)) return OkStatus();
  if (current->get_require_subcommand_min() > 0) {
    return MakeError(StatusCode::kInvalidArgument, "CommandNeeded",
                     "`" + path + "` needs a command: " + Join(SubcommandNames(*current), ", ") +
                         ". See `" + path + " --help`.");
  }
  return CheckRequired(*current, given, positionals, path);
}

}  // namespace gangplank::cli
