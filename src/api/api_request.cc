// Target parsing with Boost.URL (percent-decoding, query splitting).
#include "api/api_request.h"

#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace gangplank::api {
namespace urls = boost::urls;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<std::string> ApiRequest::Query(const std::string& name) const {
  const auto found = query.find(Lower(name));
  if (found == query.end()) return std::nullopt;
  return found->second;
}

bool ApiRequest::Matches(std::initializer_list<std::string_view> pattern) const {
  if (pattern.size() != lower_segments.size()) return false;
  std::size_t i = 0;
  for (std::string_view part : pattern) {
    if (part != "*" && part != lower_segments[i]) return false;
    ++i;
  }
  return true;
}

Result<ApiRequest> ParseApiRequest(const HttpRequest& request) {
  const auto target = std::string_view(request.target().data(), request.target().size());
  auto parsed = urls::parse_origin_form(target);
  if (!parsed) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidUri",
                     "the request target is not a valid URI path");
  }
  ApiRequest api{request, {}, {}, {}, {}, {}, {}, {}};
  for (const auto& segment : parsed->segments()) {
    if (segment.empty()) continue;  // ARM clients sometimes send '//' (az's resource manager URL)
    api.segments.push_back(segment);
    api.lower_segments.push_back(Lower(segment));
  }
  for (const auto& param : parsed->params()) {
    api.query.emplace(Lower(param.key), param.has_value ? param.value : std::string());
  }
  return api;
}

}  // namespace gangplank::api
