// Microsoft Graph v1.0 groups, as `az ad group` uses them: security groups of users, service
// principals and groups, whose members hold the roles assigned to the group.
#include <boost/json.hpp>

#include "access/directory.h"
#include "api/arm_response.h"
#include "api/graph.h"
#include "common/json_fields.h"
#include "common/random.h"

namespace gangplank::api {
namespace json = boost::json;
using namespace graph;
using access::Group;

namespace {

constexpr std::size_t kMaxMembers = 5000;

Result<std::pair<Group, std::int64_t>> ReadGroup(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto row, call.context.store.Get(access::kGroupKind,
                                                             access::GroupRowId(call.object)));
  if (!row) return NotFound(call.object);
  GP_ASSIGN_OR_RETURN(Group group, access::DecodeGroup(*row));
  return std::pair{std::move(group), row->version};
}

// Two member changes at once never lose each other (UpdateDirectoryObject).
template <typename Change>
Status UpdateGroup(const ArmCall& call, Change change) {
  GP_RETURN_IF_ERROR(UpdateDirectoryObject(
      call, [&] { return ReadGroup(call); },
      [](const Group& group) { return access::EncodeGroup(group); }, change));
  return OkStatus();
}

bool Holds(const Group& group, std::string_view id) {
  return std::any_of(group.members.begin(), group.members.end(),
                     [&](const std::string& m) { return store::IdKey(m) == store::IdKey(id); });
}

// The object id an @odata.id names: ".../directoryObjects/ID" (or a bare id).
std::string ReferencedId(std::string_view reference) {
  const std::size_t slash = reference.find_last_of('/');
  return std::string(slash == std::string_view::npos ? reference : reference.substr(slash + 1));
}

// The groups of `ids` that `member` belongs to, nested groups followed.
Result<json::array> MemberGroups(const ArmCall& call, std::string_view member,
                                 const std::vector<std::string>* ids) {
  GP_ASSIGN_OR_RETURN(const auto groups, All<Group>(call, access::kGroupKind, access::DecodeGroup));
  json::array value;
  for (const std::string& id : access::TransitiveGroupsOf(member, groups)) {
    const bool asked = ids == nullptr || std::any_of(ids->begin(), ids->end(), [&](auto& want) {
                         return store::IdKey(want) == id;
                       });
    if (asked) value.push_back(json::value(id));
  }
  return value;
}

}  // namespace

ArmAnswer ListSecurityGroups(const ArmCall& call) {
  return ListDirectory<Group>(call, access::kGroupKind, access::DecodeGroup, access::GroupJson,
                              "groups");
}

// POST /groups as az ad group create sends it: a security group (mailEnabled false).
ArmAnswer CreateSecurityGroup(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(
      const json::object body,
      Body(call, R"({"displayName": "node-admins", "mailNickname": "node-admins", "mailEnabled": false, "securityEnabled": true})"));
  Group group{call.context.random.Uuid(), StringField(body, "displayName"),
              StringField(body, "mailNickname"), StringField(body, "description"), Now(call), {}};
  if (group.display_name.empty() || group.display_name.size() > 256)
    return BadRequest("A group needs a displayName of 1 to 256 characters.");
  if (group.mail_nickname.empty() || group.mail_nickname.size() > 64 ||
      group.mail_nickname.find_first_of(" @()\\[]\";:<>,") != std::string::npos) {
    return BadRequest("A group needs a mailNickname of 1 to 64 characters without spaces, '@' or "
                      "brackets.");
  }
  if (const json::value* mail = body.if_contains("mailEnabled");
      mail && mail->is_bool() && mail->get_bool())
    return BadRequest("Only security groups can be created here: send mailEnabled false.");
  GP_RETURN_IF_ERROR(
      call.context.store.Put(access::EncodeGroup(group), store::Precondition::Absent()));
  return JsonResponse(call.request.http, HttpStatus::created, access::GroupJson(group));
}

ArmAnswer GetSecurityGroup(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto read, ReadGroup(call));
  return JsonResponse(call.request.http, HttpStatus::ok, access::GroupJson(read.first));
}

// A deleted group's members lose what it held from the next request on.
ArmAnswer DeleteSecurityGroup(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const auto read, ReadGroup(call));
  GP_RETURN_IF_ERROR(call.context.store.Delete(access::kGroupKind,
                                               access::GroupRowId(read.first.id),
                                               store::Precondition::AtVersion(read.second)));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

ArmAnswer ListGroupMembers(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto read, ReadGroup(call));
  GP_ASSIGN_OR_RETURN(const auto filter, ParseGraphFilter(call));
  json::array value;
  for (const std::string& id : read.first.members) {
    GP_ASSIGN_OR_RETURN(const auto object, FindDirectoryObject(call, id));
    if (object && Keeps(filter, *object)) value.push_back(*object);
  }
  return GraphList(call, "directoryObjects", std::move(value));
}

// POST members/$ref {"@odata.id": ".../directoryObjects/ID"}: the member must exist, and be
// there once (Graph's 400 when it is there already, which az passes on).
ArmAnswer AddGroupMember(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(
      const json::object body,
      Body(call, R"({"@odata.id": "https://…/v1.0/directoryObjects/00000000-0000-0000-0000-000000000000"})"));
  const std::string member = ReferencedId(StringField(body, "@odata.id"));
  if (member.empty())
    return BadRequest("Send {\"@odata.id\": \"<graph>/v1.0/directoryObjects/<object id>\"}.");
  GP_ASSIGN_OR_RETURN(const auto object, FindDirectoryObject(call, member));
  if (!object) return NotFound(member);
  GP_RETURN_IF_ERROR(UpdateGroup(call, [&](Group& group) -> Status {
    if (Holds(group, member)) {
      return BadRequest("One or more added object references already exist for the following "
                        "modified properties: 'members'.");
    }
    if (group.members.size() >= kMaxMembers)
      return BadRequest("A group holds at most " + std::to_string(kMaxMembers) + " members.");
    group.members.push_back(StringField(*object, "id"));
    return OkStatus();
  }));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

ArmAnswer RemoveGroupMember(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_RETURN_IF_ERROR(UpdateGroup(call, [&](Group& group) -> Status {
    if (!Holds(group, call.member)) return NotFound(call.member);
    std::erase_if(group.members, [&](const std::string& m) {
      return store::IdKey(m) == store::IdKey(call.member);
    });
    return OkStatus();
  }));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

// POST directoryObjects/{id}/checkMemberGroups {"groupIds": [...]}: those it belongs to.
ArmAnswer CheckMemberGroups(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const json::object body, Body(call, R"({"groupIds": ["…"]})"));
  const std::vector<std::string> ids = StringsField(body, "groupIds");
  GP_ASSIGN_OR_RETURN(const auto object, FindDirectoryObject(call, call.object));
  if (!object) return NotFound(call.object);
  GP_ASSIGN_OR_RETURN(json::array value, MemberGroups(call, call.object, &ids));
  return GraphList(call, "Collection(Edm.String)", std::move(value));
}

// POST …/{id}/getMemberGroups: every group it belongs to.
ArmAnswer GetMemberGroups(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto object, FindDirectoryObject(call, call.object));
  if (!object) return NotFound(call.object);
  GP_ASSIGN_OR_RETURN(json::array value, MemberGroups(call, call.object, nullptr));
  return GraphList(call, "Collection(Edm.String)", std::move(value));
}

}  // namespace gangplank::api
