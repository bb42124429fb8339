// `gangplank ssh-ca show|add|switch|drop`: the SSH user CAs that EntraId nodes trust, rotated in
// three steps (a next CA trusted first, signing switched to it, the retired one dropped).
#include <boost/json.hpp>

#include "cli/aks_support.h"
#include "cli/lazy_command.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

std::string SshCaPath(CliContext& context, const std::string& step = "") {
  return SubscriptionPath(context) + "/providers/Gangplank.Ssh/userCertificateAuthority" +
         (step.empty() ? "" : "/" + step);
}

}  // namespace

void RegisterSshCaCommands(CLI::App& app, AksCommandState& state, CliContext& context,
                           int& exit_code) {
  CLI::App* ca = app.add_subcommand(
      "ssh-ca",
      "The SSH user certificate authorities that nodes of EntraId pools trust.\n\n"
      "Rotation: add a next CA (every EntraId node trusts it within seconds), switch (it signs "
      "from then on; the old one is retired and still trusted by the nodes imaged under it until "
      "their next node image upgrade), then drop the retired one (at once, on every node).");
  ca->require_subcommand(1);
  struct Step {
    const char* name;
    const char* help;
    const char* path;
  };
  static constexpr Step kSteps[] = {
      {"add", "Add a next CA: trusted by every EntraId node, signing nothing yet.", "addNext"},
      {"switch", "Sign with the next CA from now on; the signing one is retired.", "switch"},
  };
  AddCommand(ca, "show",
             "Each CA generation: state, fingerprint, and how many EntraId nodes trust it.\n\n"
             "Example:\n  gangplank ssh-ca show --query properties.generations -o table",
             [&state, &context, &exit_code](CLI::App* show) {
               AddOutputAndWaitFlags(*show, state, false);
               show->callback([&state, &context, &exit_code] {
                 exit_code = RunGet(context, state, SshCaPath(context), Printed::kAsSent);
               });
             });
  for (const Step& step : kSteps) {
    AddCommand(ca, step.name, step.help, [&state, &context, &exit_code, &step](CLI::App* command) {
      AddOutputAndWaitFlags(*command, state, false);
      command->callback([&state, &context, &exit_code, &step] {
        exit_code = CallWaitPrint(context, state, "POST", SshCaPath(context, step.path), nullptr,
                                  "", "", Printed::kAsSent);
      });
    });
  }
  AddCommand(
      ca, "drop",
      "Stop trusting a retired (or next) CA on every node, at once: certificates it signed no "
      "longer open any node.\n\nExample:\n  gangplank ssh-ca drop --generation 1",
      [&state, &context, &exit_code](CLI::App* drop) {
        auto generation = std::make_shared<int>(0);
        drop->add_option("--generation", *generation,
                         "The generation to drop (ssh-ca show lists them)")
            ->required()
            ->check(CLI::PositiveNumber);
        AddOutputAndWaitFlags(*drop, state, false);
        drop->callback([&state, &context, &exit_code, generation] {
          const json::value body = json::object{{"generation", *generation}};
          exit_code = CallWaitPrint(context, state, "POST", SshCaPath(context, "drop"), &body, "",
                                    "", Printed::kAsSent);
        });
      });
}

}  // namespace gangplank::cli
