// What Graph's handlers share: its errors, the writer check, collection answers, the OData
// $filter forms az sends, and finding a directory object by id.
#include <boost/json.hpp>

#include "access/directory.h"
#include "api/arm_response.h"
#include "api/graph.h"
#include "resources/operation.h"
#include "resources/spec_checks.h"

namespace gangplank::api::graph {
namespace json = boost::json;

Error NotFound(const std::string& id) {
  return MakeError(StatusCode::kNotFound, "Request_ResourceNotFound",
                   "Resource '" + id.substr(0, 64) +
                       "' does not exist or one of its queried reference-property objects are "
                       "not present.");
}

Error BadRequest(std::string message) {
  return InvalidInput("Request_BadRequest", std::move(message), "");
}

Status RequireDirectoryWriter(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const bool allowed,
                      CallerMay(call, "Microsoft.Authorization/roleAssignments/write",
                                "/subscriptions/" + call.context.config.admin.subscription_id));
  if (allowed) return OkStatus();
  return MakeError(StatusCode::kPermissionDenied, "Authorization_RequestDenied",
                   "Insufficient privileges to complete the operation: changing the directory "
                   "needs Owner or User Access Administrator on the subscription.");
}

std::string Now(const ArmCall& call) { return resources::Rfc3339(call.context.clock.Now()); }

Result<json::object> Body(const ArmCall& call, std::string_view example) {
  return resources::DecodeBody(call.request.http.body(), example);
}

HttpResponse GraphList(const ArmCall& call, std::string_view entity, json::array value) {
  return JsonResponse(call.request.http, HttpStatus::ok,
                      json::object{{"@odata.context", call.context.config.server_url +
                                                          "v1.0/$metadata#" + std::string(entity)},
                                   {"value", std::move(value)}});
}

namespace {

// A quoted OData string ('' inside is one quote), or nullopt.
std::optional<std::string> Unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') return std::nullopt;
  std::string out;
  text = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\'' && i + 1 < text.size() && text[i + 1] == '\'') ++i;
  }
  return out;
}

// The filter's terms: split at " and " outside quotes.
std::vector<std::string_view> Terms(std::string_view filter) {
  std::vector<std::string_view> terms;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == '\'') quoted = !quoted;
    if (!quoted && filter.substr(i).starts_with(" and ")) {
      terms.push_back(filter.substr(start, i - start));
      start = i + 5;
      i += 4;
    }
  }
  terms.push_back(filter.substr(start));
  return terms;
}

// FIELD/any(x:x eq 'V'), as az sends for servicePrincipalNames and identifierUris.
std::optional<GraphFilter> ParseAny(std::string_view term) {
  const std::size_t any = term.find("/any(");
  if (any == std::string_view::npos || any == 0 || !term.ends_with(")")) return std::nullopt;
  std::string_view lambda = term.substr(any + 5, term.size() - any - 6);  // "x:x eq 'V'"
  const std::size_t colon = lambda.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view variable = lambda.substr(0, colon);
  lambda.remove_prefix(colon + 1);
  if (!lambda.starts_with(variable) || !lambda.substr(variable.size()).starts_with(" eq "))
    return std::nullopt;
  auto value = Unquote(lambda.substr(variable.size() + 4));
  if (!value) return std::nullopt;
  return GraphFilter{std::string(term.substr(0, any)), *value, false};
}

std::optional<GraphFilter> ParseTerm(std::string_view term) {
  if (term.starts_with("startswith(") && term.ends_with(")")) {
    const std::string_view inner = term.substr(11, term.size() - 12);
    const std::size_t comma = inner.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    auto value = Unquote(inner.substr(comma + 1));
    if (!value) return std::nullopt;
    return GraphFilter{std::string(inner.substr(0, comma)), *value, true};
  }
  if (auto any = ParseAny(term)) return any;
  const std::size_t eq = term.find(" eq ");
  if (eq == std::string_view::npos) return std::nullopt;
  auto value = Unquote(term.substr(eq + 4));
  if (!value) return std::nullopt;
  return GraphFilter{std::string(term.substr(0, eq)), *value, false};
}

}  // namespace

Result<std::vector<GraphFilter>> ParseGraphFilter(const ArmCall& call) {
  std::vector<GraphFilter> filter;
  const auto text = call.request.Query("$filter");
  if (!text) return filter;
  for (const std::string_view term : Terms(*text)) {
    auto parsed = ParseTerm(term);
    if (!parsed) {
      return BadRequest("Unsupported $filter '" + text->substr(0, 200) +
                        "': use FIELD eq 'value', startswith(FIELD,'value') or "
                        "FIELD/any(x:x eq 'value'), joined by 'and'.");
    }
    filter.push_back(std::move(*parsed));
  }
  return filter;
}

bool Keeps(const std::vector<GraphFilter>& filter, const json::object& object) {
  for (const GraphFilter& term : filter) {
    const json::value* field = object.if_contains(term.field);
    const auto matches = [&](const json::value& value) {
      if (!value.is_string()) return false;
      const std::string_view text = value.get_string();
      return term.prefix ? store::IdKey(text).starts_with(store::IdKey(term.value))
                         : store::IdKey(text) == store::IdKey(term.value);
    };
    if (field == nullptr) return false;
    const bool kept = field->is_array() ? std::any_of(field->get_array().begin(),
                                                      field->get_array().end(), matches)
                                        : matches(*field);
    if (!kept) return false;
  }
  return true;
}

Result<std::optional<json::object>> FindDirectoryObject(const ArmCall& call, std::string_view id) {
  store::Store& store = call.context.store;
  GP_ASSIGN_OR_RETURN(const auto user, store.Get(access::kUserKind, access::UserRowId(id)));
  if (user) {
    GP_ASSIGN_OR_RETURN(const access::User decoded, access::DecodeUser(*user));
    return std::optional(access::UserJson(decoded));
  }
  GP_ASSIGN_OR_RETURN(const auto group, store.Get(access::kGroupKind, access::GroupRowId(id)));
  if (group) {
    GP_ASSIGN_OR_RETURN(const access::Group decoded, access::DecodeGroup(*group));
    return std::optional(access::GroupJson(decoded));
  }
  GP_ASSIGN_OR_RETURN(const auto sp, store.Get(access::kServicePrincipalKind,
                                               access::ServicePrincipalRowId(id)));
  if (sp) {
    GP_ASSIGN_OR_RETURN(const access::ServicePrincipal decoded,
                        access::DecodeServicePrincipal(*sp));
    return std::optional(access::ServicePrincipalJson(decoded));
  }
  return std::optional<json::object>();
}

}  // namespace gangplank::api::graph
