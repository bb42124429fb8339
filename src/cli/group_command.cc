// `gangplank group create|show|list|delete`: resource groups, as az group has them.
#include <boost/json.hpp>

#include "cli/aks_support.h"
#include "cli/lazy_command.h"

namespace gangplank::cli {
namespace json = boost::json;

void RegisterGroupCommands(CLI::App& app, AksCommandState& state, CliContext& context,
                           int& exit_code) {
  // group create / show / list / delete
  CLI::App* group = app.add_subcommand("group", "Resource groups.");
  group->require_subcommand(1);
  AddCommand(group, "create",
             "Create a resource group.\n\nExample:\n  gangplank group create -n rg1 -l westus2",
             [&state, &context, &exit_code](CLI::App* group_create) {
               group_create->add_option("-n,--name", state.group, "Name")->required();
               group_create->add_option("-l,--location", state.location,
                                        "Location (default westus2)");
               AddOutputAndWaitFlags(*group_create, state, false);
               group_create->callback([&state, &context, &exit_code] {
                 const json::value body = json::object{{"location", state.location}};
                 exit_code = CallWaitPrint(context, state, "PUT",
                                           GroupPath(context, state) + "?api-version=2021-04-01",
                                           &body, "", "", Printed::kAsSent);
               });
             });
  AddCommand(
      group, "show", "Show a resource group.\n\nExample:\n  gangplank group show -n rg1 -o table",
      [&state, &context, &exit_code](CLI::App* group_show) {
        group_show->add_option("-n,--name", state.group, "Name")->required();
        AddOutputAndWaitFlags(*group_show, state, false);
        group_show->callback([&state, &context, &exit_code] {
          exit_code = RunGet(context, state, GroupPath(context, state) + "?api-version=2021-04-01",
                             Printed::kAsSent);
        });
      });
  AddCommand(group, "list",
             "List resource groups.\n\nExample:\n  gangplank group list --query [].name -o tsv",
             [&state, &context, &exit_code](CLI::App* group_list) {
               AddOutputAndWaitFlags(*group_list, state, false);
               group_list->callback([&state, &context, &exit_code] {
                 exit_code =
                     RunGet(context, state,
                            SubscriptionPath(context) + "/resourcegroups?api-version=2021-04-01",
                            Printed::kAsSent);
               });
             });
  AddCommand(
      group, "delete",
      "Delete a resource group (asks; --yes in scripts).\n\nExample:\n"
      "  gangplank group delete -n rg1 --yes",
      [&state, &context, &exit_code](CLI::App* group_delete) {
        group_delete->add_option("-n,--name", state.group, "Name")->required();
        group_delete->add_flag("-y,--yes", state.yes, "Do not ask for confirmation");
        AddOutputAndWaitFlags(*group_delete, state, true);
        group_delete->callback([&state, &context, &exit_code] {
          if (!state.yes && !Confirm(context, "Delete resource group " + state.group + "?")) {
            exit_code = kExitFailure;
            return;
          }
          exit_code = CallWaitPrint(context, state, "DELETE",
                                    GroupPath(context, state) + "?api-version=2021-04-01", nullptr,
                                    "Deleting " + state.group, "", Printed::kAsSent);
        });
      });
}

}  // namespace gangplank::cli
