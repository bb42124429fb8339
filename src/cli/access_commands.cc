// `gangplank ad …`, `gangplank role …` and `gangplank monitor activity-log list`: identities,
// role assignments and the activity log, with az's names, look-ups and outputs.
#include "cli/access_commands.h"

#include <boost/json.hpp>

#include "cli/access_requests.h"
#include "cli/lazy_command.h"
#include "common/json_fields.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

using Action = std::function<Result<json::value>(ArmClient&)>;

// Connects, runs `action` and prints what it returns (nothing for null).
int Run(CliContext& context, AksCommandState& state, const Action& action) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto result = action(*client);
  if (!result) return Fail(context, result.error());
  if (result->is_null()) return kExitOk;
  return PrintOutput(context, *result, state.output);
}

json::value Body(const ArmReply& reply) { return reply.body; }

// --assignee, --role, --scope and -g, as the role assignment commands take them.
void AddAssignmentFlags(CLI::App* command, AccessFlags& flags, AksCommandState& state) {
  command->add_option("--assignee", flags.assignee, "User principal name, app id or object id");
  command->add_option("--role", flags.role, "Role name or id");
  command->add_option("--scope", flags.scope, "Scope (default: the subscription)");
  command->add_option("-g,--resource-group", state.group, "Resource group");
}

// A command with the output flags, populated when it is reached (lazy_command.h).
void Command(CLI::App* parent, const std::string& name, const std::string& help,
             AksCommandState& state, PopulateCommand populate) {
  AddCommand(parent, name, help, [&state, populate = std::move(populate)](CLI::App* command) {
    AddOutputAndWaitFlags(*command, state, false);
    populate(command);
  });
}

void RegisterServicePrincipalCommands(CLI::App* ad, AccessFlags& flags, AksCommandState& state,
                                      CliContext& context, int& exit_code) {
  CLI::App* sp = ad->add_subcommand("sp", "Service principals.");
  sp->require_subcommand(1);
  Command(sp, "create-for-rbac",
          "Create an application, its service principal and a secret, and "
          "optionally assign it a role.\n\nExample:\n  gangplank ad sp "
          "create-for-rbac --name ci-deployer --role Contributor --scopes "
          "/subscriptions/SUB/resourceGroups/rg1",
          state, [&](CLI::App* create) {
            create->add_option("-n,--name,--display-name", flags.display_name, "Display name")
                ->required();
            create->add_option("--role", flags.role, "A role to assign (name or id)");
            create->add_option("--scopes", flags.scopes, "Scopes of the role assignment");
            create->add_option("--years", flags.years, "Years the secret is valid (default 1)");
            create->callback([&] {
              if (flags.role.empty() != flags.scopes.empty()) {
                exit_code = PrintError(context, "usage error: --role and --scopes go together");
                return;
              }
              exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
                GP_ASSIGN_OR_RETURN(json::object made,
                                    CreateForRbac(context, client, flags.display_name, flags));
                return json::value(std::move(made));
              });
            });
          });
  Command(sp, "show", "Show a service principal (by app id or object id).", state,
          [&](CLI::App* show) {
            show->add_option("--id", flags.id, "App id or object id")->required();
            show->callback([&] {
              exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
                GP_ASSIGN_OR_RETURN(json::object sp_found, FindServicePrincipal(client, flags.id));
                return json::value(std::move(sp_found));
              });
            });
          });
  Command(sp, "list", "List service principals.", state, [&](CLI::App* list) {
    list->add_option("--display-name", flags.display_name, "Names that start with this");
    list->callback([&] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(
            json::array all,
            List(client,
                 "/v1.0/servicePrincipals" +
                     (flags.display_name.empty() ? std::string()
                                                 : "?" + Filter("startswith(displayName," +
                                                                Quote(flags.display_name) + ")"))));
        return json::value(std::move(all));
      });
    });
  });
  Command(sp, "delete", "Delete a service principal.", state, [&](CLI::App* remove) {
    remove->add_option("--id", flags.id, "App id or object id")->required();
    remove->callback([&] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(const json::object found, FindServicePrincipal(client, flags.id));
        GP_RETURN_IF_ERROR(
            client.Call("DELETE", "/v1.0/servicePrincipals/" + StringField(found, "id")));
        return json::value();
      });
    });
  });
}

void RegisterUserCommands(CLI::App* ad, AccessFlags& flags, AksCommandState& state,
                          CliContext& context, int& exit_code) {
  CLI::App* user = ad->add_subcommand("user", "Users: people who sign in with a password.");
  user->require_subcommand(1);
  Command(user, "create",
          "Create a user.\n\nExample:\n  gangplank ad user create "
          "--display-name Ada --user-principal-name ada@example.org "
          "--password ...",
          state, [&](CLI::App* create) {
            create->add_option("--display-name", flags.display_name, "Display name")->required();
            create->add_option("--user-principal-name", flags.upn, "NAME@DOMAIN")->required();
            create->add_option("--password", flags.password, "The first password")->required();
            create->add_option("--mail-nickname", flags.mail_nickname,
                               "Default: the name before @");
            create->add_flag("--force-change-password-next-sign-in", flags.force_change_password,
                             "Ask for a new password at the first sign-in");
            create->callback([&] {
              exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
                const std::string nickname = flags.mail_nickname.empty()
                                                 ? flags.upn.substr(0, flags.upn.find('@'))
                                                 : flags.mail_nickname;
                const json::value body = json::object{
                    {"userPrincipalName", flags.upn},
                    {"displayName", flags.display_name},
                    {"passwordProfile",
                     json::object{{"password", flags.password},
                                  {"forceChangePasswordNextSignIn", flags.force_change_password}}},
                    {"mailNickname", nickname},
                    {"accountEnabled", true}};
                GP_ASSIGN_OR_RETURN(const ArmReply made, client.Call("POST", "/v1.0/users", &body));
                return Body(made);
              });
            });
          });
  for (const char* verb : {"show", "delete"}) {
    Command(user, verb,
            std::string(verb == std::string("show") ? "Show" : "Delete") +
                " a user (object id or user principal name).",
            state, [&, verb](CLI::App* one) {
              one->add_option("--id", flags.id, "Object id or user principal name")->required();
              one->callback([&, verb] {
                exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
                  const std::string method = verb == std::string("show") ? "GET" : "DELETE";
                  GP_ASSIGN_OR_RETURN(const ArmReply reply,
                                      client.Call(method, "/v1.0/users/" + flags.id));
                  return method == "GET" ? Body(reply) : json::value();
                });
              });
            });
  }
  Command(user, "list", "List users.", state, [&](CLI::App* list) {
    list->add_option("--display-name", flags.display_name, "Names that start with this");
    list->add_option("--upn", flags.upn, "This user principal name");
    list->callback([&] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        std::string filter;
        if (!flags.display_name.empty())
          filter = "startswith(displayName," + Quote(flags.display_name) + ")";
        if (!flags.upn.empty())
          filter += (filter.empty() ? "" : " and ") + std::string("userPrincipalName eq ") +
                    Quote(flags.upn);
        GP_ASSIGN_OR_RETURN(
            json::array all,
            List(client, "/v1.0/users" + (filter.empty() ? "" : "?" + Filter(filter))));
        return json::value(std::move(all));
      });
    });
  });
}

void RegisterGroupMemberCommands(CLI::App* group, AccessFlags& flags, AksCommandState& state,
                                 CliContext& context, int& exit_code) {
  CLI::App* member = group->add_subcommand("member", "A group's members.");
  member->require_subcommand(1);
  struct Verb {
    const char* name;
    const char* help;
    bool needs_member;
  };
  static constexpr Verb kVerbs[] = {
      {"add", "Add a member (user, service principal or group) by object id.", true},
      {"remove", "Remove a member.", true},
      {"check", "Whether an object is a member, directly or through member groups.", true},
      {"list", "List the members.", false}};
  for (const Verb& verb : kVerbs) {
    Command(member, verb.name, verb.help, state, [&, verb](CLI::App* command) {
      command->add_option("-g,--group", flags.group, "Group name or object id")->required();
      if (verb.needs_member)
        command->add_option("--member-id", flags.member, "The member's object id")->required();
      const std::string name = verb.name;
      command->callback([&, name] {
        exit_code = Run(context, state, [&, name](ArmClient& client) -> Result<json::value> {
          GP_ASSIGN_OR_RETURN(const std::string id, FindGroup(client, flags.group));
          if (name == "list") {
            GP_ASSIGN_OR_RETURN(json::array all, List(client, "/v1.0/groups/" + id + "/members"));
            return json::value(std::move(all));
          }
          if (name == "check") {
            const json::value body = json::object{{"groupIds", json::array{json::value(id)}}};
            GP_ASSIGN_OR_RETURN(
                const ArmReply reply,
                client.Call("POST", "/v1.0/directoryObjects/" + flags.member + "/checkMemberGroups",
                            &body));
            const json::array found = ValueOf(reply.body);
            return json::value(json::object{{"value", !found.empty()}});
          }
          if (name == "remove") {
            GP_RETURN_IF_ERROR(
                client.Call("DELETE", "/v1.0/groups/" + id + "/members/" + flags.member + "/$ref"));
            return json::value();
          }
          const json::value body = json::object{
              {"@odata.id", client.config().server + "v1.0/directoryObjects/" + flags.member}};
          GP_RETURN_IF_ERROR(client.Call("POST", "/v1.0/groups/" + id + "/members/$ref", &body));
          return json::value();
        });
      });
    });
  }
}

void RegisterDirectoryGroupCommands(CLI::App* ad, AccessFlags& flags, AksCommandState& state,
                           CliContext& context, int& exit_code) {
  CLI::App* group = ad->add_subcommand("group", "Security groups: their members hold its roles.");
  group->require_subcommand(1);
  Command(group, "create", "Create a security group.", state, [&](CLI::App* create) {
    create->add_option("--display-name", flags.display_name, "Display name")->required();
    create->add_option("--mail-nickname", flags.mail_nickname, "Mail nickname")->required();
    create->add_option("--description", flags.description, "Description");
    create->callback([&] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(
            const json::array same,
            List(client,
                 "/v1.0/groups?" + Filter("displayName eq " + Quote(flags.display_name) +
                                          " and mailNickname eq " + Quote(flags.mail_nickname))));
        if (!same.empty()) {
          context.err << "WARNING: A group with the same display name and mail nickname already "
                         "exists, returning.\n";
          return same.front();
        }
        json::object body{{"displayName", flags.display_name},
                          {"mailNickname", flags.mail_nickname},
                          {"mailEnabled", false},
                          {"securityEnabled", true}};
        if (!flags.description.empty()) body["description"] = flags.description;
        const json::value sent = body;
        GP_ASSIGN_OR_RETURN(const ArmReply made, client.Call("POST", "/v1.0/groups", &sent));
        return Body(made);
      });
    });
  });
  for (const char* verb : {"show", "delete"}) {
    Command(
        group, verb,
        std::string(verb == std::string("show") ? "Show" : "Delete") +
            " a group (name or object id).",
        state, [&, verb](CLI::App* one) {
          one->add_option("-g,--group", flags.group, "Group name or object id")->required();
          one->callback([&, verb] {
            exit_code = Run(context, state, [&, verb](ArmClient& client) -> Result<json::value> {
              GP_ASSIGN_OR_RETURN(const std::string id, FindGroup(client, flags.group));
              const std::string method = verb == std::string("show") ? "GET" : "DELETE";
              GP_ASSIGN_OR_RETURN(const ArmReply reply, client.Call(method, "/v1.0/groups/" + id));
              return method == "GET" ? Body(reply) : json::value();
            });
          });
        });
  }
  Command(group, "list", "List groups.", state, [&](CLI::App* list) {
    list->add_option("--display-name", flags.display_name, "Names that start with this");
    list->callback([&] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(
            json::array all,
            List(client, "/v1.0/groups" + (flags.display_name.empty()
                                               ? std::string()
                                               : "?" + Filter("startswith(displayName," +
                                                              Quote(flags.display_name) + ")"))));
        return json::value(std::move(all));
      });
    });
  });
  RegisterGroupMemberCommands(group, flags, state, context, exit_code);
}

void RegisterRoleCommands(CLI::App& app, AccessFlags& flags, AksCommandState& state,
                          CliContext& context, int& exit_code) {
  CLI::App* role = app.add_subcommand("role", "Role definitions and role assignments.");
  role->require_subcommand(1);
  CLI::App* definition = role->add_subcommand("definition", "Role definitions.");
  definition->require_subcommand(1);
  Command(definition, "list", "List role definitions.", state, [&](CLI::App* definitions) {
    definitions->add_option("-n,--name", flags.role, "A role name or id");
    definitions->add_option("--scope", flags.scope, "Scope (default: the subscription)");
    definitions->add_option("-g,--resource-group", state.group, "Resource group");
    definitions->add_flag("--custom-role-only", flags.custom_only, "Custom roles only");
    definitions->callback([&] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(const json::array all,
                            List(client, ScopeOf(context, flags, state) +
                                             "/providers/Microsoft.Authorization/roleDefinitions" +
                                             kDefinitionsVersion));
        json::array out;
        for (const json::value& item : all) {
          json::object shown = RoleDefinitionAsAzPrints(item.as_object());
          if (!flags.role.empty() && StringField(shown, "name") != flags.role &&
              StringField(shown, "roleName") != flags.role)
            continue;
          if (flags.custom_only && StringField(shown, "roleType") != "CustomRole") continue;
          out.push_back(std::move(shown));
        }
        return json::value(std::move(out));
      });
    });
  });
  CLI::App* assignment = role->add_subcommand("assignment", "Role assignments.");
  assignment->require_subcommand(1);
  Command(
      assignment, "create",
      "Assign a role.\n\nExample:\n  gangplank role assignment create "
      "--assignee ada@example.org --role Reader -g rg1",
      state, [&](CLI::App* create) {
        AddAssignmentFlags(create, flags, state);
        create->get_option("--role")->required();
        create->add_option("--assignee-object-id", flags.assignee_object_id,
                           "Object id (no look-up)");
        create
            ->add_option("--assignee-principal-type", flags.assignee_type,
                         "User, Group or ServicePrincipal")
            ->check(CLI::IsMember({"User", "Group", "ServicePrincipal", "ForeignGroup"}));
        create->callback([&] {
          if (flags.assignee.empty() == flags.assignee_object_id.empty()) {
            exit_code =
                PrintError(context, "usage error: --assignee STRING | --assignee-object-id GUID");
            return;
          }
          exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
            GP_ASSIGN_OR_RETURN(json::object made,
                                CreateAssignment(client, flags, ScopeOf(context, flags, state)));
            return json::value(std::move(made));
          });
        });
      });
  Command(assignment, "list", "List role assignments at a scope.", state, [&](CLI::App* list) {
    AddAssignmentFlags(list, flags, state);
    list->add_flag("--all", flags.all, "Every assignment in the subscription");
    list->add_flag("--include-inherited", flags.inherited, "Also those above the scope");
    list->callback([&] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(json::array all,
                            ListAssignments(client, flags, ScopeOf(context, flags, state)));
        return json::value(std::move(all));
      });
    });
  });
  Command(assignment, "delete", "Delete role assignments.", state, [&](CLI::App* remove) {
    remove->add_option("--ids", flags.ids, "Assignment ids");
    AddAssignmentFlags(remove, flags, state);
    remove->callback([&] {
      if (flags.ids.empty() && flags.assignee.empty() && flags.role.empty()) {
        exit_code = PrintError(context, "usage error: --ids ID ... | --assignee X and/or --role R");
        return;
      }
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        std::vector<std::string> ids = flags.ids;
        if (ids.empty()) {
          GP_ASSIGN_OR_RETURN(const json::array found,
                              ListAssignments(client, flags, ScopeOf(context, flags, state)));
          for (const json::value& a : found) ids.push_back(StringField(a.as_object(), "id"));
          if (ids.empty()) return NotFound("No matched assignments were found to delete");
        }
        for (const std::string& id : ids)
          GP_RETURN_IF_ERROR(client.Call("DELETE", id + kAssignmentsVersion));
        return json::value();
      });
    });
  });
}

void RegisterMonitorCommands(CLI::App& app, AccessFlags& flags, AksCommandState& state,
                             CliContext& context, int& exit_code) {
  CLI::App* monitor = app.add_subcommand("monitor", "The activity log.");
  monitor->require_subcommand(1);
  CLI::App* log = monitor->add_subcommand("activity-log", "Who did what, and when.");
  log->require_subcommand(1);
  Command(log, "list",
          "List activity log events.\n\nExample:\n  gangplank monitor "
          "activity-log list -g rg1 --offset 1h --status Failed",
          state, [&](CLI::App* list) {
            list->add_option("-g,--resource-group", state.group, "Resource group");
            list->add_option("--resource-id", flags.resource_id, "A resource's id");
            list->add_option("--caller", flags.caller, "User principal name or app id");
            list->add_option("--status", flags.status, "Started, Accepted, Succeeded or Failed");
            list->add_option("--correlation-id", flags.correlation_id,
                             "A request's correlation id");
            list->add_option("--offset", flags.offset, "How far back (default 6h): 30m, 2d, 1h30m");
            list->add_option("--start-time", flags.start,
                             "Start (ISO 8601); with --end-time, no offset");
            list->add_option("--end-time", flags.end, "End (ISO 8601)");
            list->add_option("--max-events", flags.max_events, "At most this many (default 50)");
            list->callback([&] {
              exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
                GP_ASSIGN_OR_RETURN(const std::string filter, ActivityFilter(flags, state));
                GP_ASSIGN_OR_RETURN(
                    json::array events,
                    List(client,
                         client.SubscriptionPath() +
                             "/providers/Microsoft.Insights/eventtypes/management/values" +
                             kActivityVersion + "&" + Filter(filter),
                         static_cast<std::size_t>(std::max(flags.max_events, 0))));
                return json::value(std::move(events));
              });
            });
          });
}

}  // namespace

void RegisterAccessCommands(CLI::App& app, AksCommandState& state, CliContext& context,
                            int& exit_code) {
  auto flags = std::make_shared<AccessFlags>();
  state.access_flags = flags;  // as long as the command tree that fills them
  CLI::App* ad = app.add_subcommand("ad", "Identities: service principals, users and groups.");
  ad->require_subcommand(1);
  RegisterServicePrincipalCommands(ad, *flags, state, context, exit_code);
  RegisterUserCommands(ad, *flags, state, context, exit_code);
  RegisterDirectoryGroupCommands(ad, *flags, state, context, exit_code);
  RegisterRoleCommands(app, *flags, state, context, exit_code);
  RegisterMonitorCommands(app, *flags, state, context, exit_code);
}

}  // namespace gangplank::cli
