// Token, calls and operation polling against gangplankd (or any ARM endpoint with ADFS tokens).
#include "cli/arm_client.h"

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/random.h"
#include "sshkey/wire.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

std::string FormEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The server's {"error": {"code", "message"}} as one line, or the status when there is none.
Error ArmError(int status, const std::string& body) {
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  std::string code = "HTTP" + std::to_string(status), message = body.substr(0, 300);
  if (!ec && doc.is_object()) {
    if (const json::value* error = doc.get_object().if_contains("error");
        error && error->is_object()) {
      if (const auto* c = error->get_object().if_contains("code"); c && c->is_string())
        code = std::string(c->get_string());
      if (const auto* m = error->get_object().if_contains("message"); m && m->is_string())
        message = std::string(m->get_string());
    }
  }
  const StatusCode kind = status == 404   ? StatusCode::kNotFound
                          : status == 409 ? StatusCode::kAborted
                          : status == 401 ? StatusCode::kUnauthenticated
                          : status < 500  ? StatusCode::kInvalidArgument
                                          : StatusCode::kUnavailable;
  return MakeError(kind, code, "(" + code + ") " + message);
}

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string Milliseconds(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", ms);
  return text;
}

std::string HeaderLines(const std::map<std::string, std::string>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    const bool secret = name == "Authorization" || name == "authorization";
    out += "\n    " + name + ": " + (secret ? "Bearer <redacted>" : value);
  }
  return out;
}

// Bodies are shown whole up to 8 KiB: enough for any cluster, short enough for a terminal.
std::string BodyText(const std::string& body) {
  constexpr std::size_t kShown = 8 * 1024;
  if (body.size() <= kShown) return body;
  return body.substr(0, kShown) + "… (" + std::to_string(body.size()) + " bytes)";
}

}  // namespace

ArmClient::ArmClient(CliConfig config, std::unique_ptr<net::HttpClient> http)
    : config_(std::move(config)), http_(std::move(http)) {}

Result<ArmClient> ArmClient::Connect(const CliConfig& config, const std::string& state_dir) {
  auto http = net::HttpsClient::Create(config.server, config.ca_file, std::chrono::seconds(60));
  if (!http) return http.error();
  if (!state_dir.empty()) (*http)->set_session_file(state_dir + "/tls-session");
  return ArmClient(config, std::move(http.value()));
}

namespace {

constexpr long long kRefreshBeforeExpiry = 300;  // seconds, as az's MSAL cache

long long NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object ReadTokenCache(const std::string& path) {
  auto text = ReadSecretFile(path, 1 << 20);
  if (!text) return {};
  boost::system::error_code ec;
  json::value doc = json::parse(std::string_view(text->data(), text->size()), ec);
  return !ec && doc.is_object() ? doc.as_object() : json::object();
}

}  // namespace

// The cached token for this server and client, when it has more than five minutes left.
bool ArmClient::TokenFromCache() {
  if (token_cache_.empty() || cached_token_refused_) return false;
  const json::object cache = ReadTokenCache(token_cache_);
  const json::value* entry = cache.if_contains(config_.server + " " + config_.client_id);
  if (!entry || !entry->is_object()) return false;
  const json::value* token = entry->as_object().if_contains("accessToken");
  const json::value* expires = entry->as_object().if_contains("expiresOn");
  if (!token || !token->is_string() || !expires || !expires->is_int64() ||
      expires->get_int64() - NowSeconds() <= kRefreshBeforeExpiry)
    return false;
  token_ = std::string(token->get_string());
  if (trace_) trace_(1, "token: from " + token_cache_);
  return true;
}

void ArmClient::SaveToken(long long expires_on) const {
  if (token_cache_.empty()) return;
  json::object cache = ReadTokenCache(token_cache_);
  for (auto it = cache.begin(); it != cache.end();) {  // drop what has expired
    const json::value* expires =
        it->value().is_object() ? it->value().as_object().if_contains("expiresOn") : nullptr;
    if (!expires || !expires->is_int64() || expires->get_int64() <= NowSeconds())
      it = cache.erase(it);
    else
      ++it;
  }
  cache[config_.server + " " + config_.client_id] =
      json::object{{"accessToken", token_}, {"expiresOn", expires_on}};
  // A cache that cannot be written costs the next run a token request, nothing more.
  (void)WriteFileAtomically(token_cache_, json::serialize(cache), 0600, IfExists::kReplace);
}

Status ArmClient::FetchToken() {
  if (TokenFromCache()) return OkStatus();
  const std::string form =
      "grant_type=client_credentials&client_id=" + FormEncode(config_.client_id) +
      "&client_secret=" + FormEncode(config_.client_secret) +
      "&scope=" + FormEncode(config_.server + "/.default");
  const std::string token_path = "/" + config_.tenant + "/oauth2/v2.0/token";
  const auto started = std::chrono::steady_clock::now();
  auto reply = http_->Send("POST", token_path, form,
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  if (!reply) return reply.error();
  if (trace_) {
    trace_(1, "POST " + token_path + " -> " + std::to_string(reply->status) + " (" +
                  Milliseconds(MillisecondsSince(started)) + ")");
    trace_(2, "  request: client credentials for client_id " + config_.client_id +
                  " (the secret and the token in the reply are not shown)");
  }
  if (reply->status != 200) {
    Error error = ArmError(reply->status, reply->body);
    error.message =
        "login refused by " + config_.server + ": " + error.message + "; run gangplank login again";
    return error;
  }
  boost::system::error_code ec;
  const json::value doc = json::parse(reply->body, ec);
  const json::value* token =
      !ec && doc.is_object() ? doc.get_object().if_contains("access_token") : nullptr;
  if (!token || !token->is_string()) {
    return MakeError(StatusCode::kUnavailable, "BadTokenReply",
                     "the token endpoint of " + config_.server + " answered without a token");
  }
  token_ = std::string(token->get_string());
  const json::value* lifetime = doc.get_object().if_contains("expires_in");
  if (lifetime && (lifetime->is_int64() || lifetime->is_string())) {
    const long long seconds = lifetime->is_int64() ? lifetime->get_int64()
                                                   : std::atoll(std::string(lifetime->get_string()).c_str());
    SaveToken(NowSeconds() + seconds);
  }
  return OkStatus();
}

namespace {

// An SSH mpint's bytes in url-safe base64 with padding, as az ssh writes a JWK's n and e.
std::string JwkNumber(std::string_view mpint) {
  std::string text = Base64Encode(mpint);
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

}  // namespace

Result<std::string> ArmClient::SshCertificate(const std::string& rsa_public_blob) {
  sshkey::WireReader reader(rsa_public_blob);
  const auto type = reader.ReadString();
  const auto e = reader.ReadMpint();
  const auto n = reader.ReadMpint();
  if (!type || *type != "ssh-rsa" || !e || !n) {
    return MakeError(StatusCode::kInvalidArgument, "NotAnRsaKey",
                     "SSH certificates are asked for RSA keys (as az ssh does)");
  }
  const std::string n_text = JwkNumber(*n), e_text = JwkNumber(*e);
  const std::string key_id = Sha256Hex(n_text + e_text);
  const std::string jwk = json::serialize(
      json::object{{"kty", "RSA"}, {"n", n_text}, {"e", e_text}, {"kid", key_id}});
  const std::string form =
      "grant_type=client_credentials&client_id=" + FormEncode(config_.client_id) +
      "&client_secret=" + FormEncode(config_.client_secret) + "&token_type=ssh-cert&key_id=" +
      key_id + "&req_cnf=" + FormEncode(jwk) +
      "&scope=" + FormEncode("https://pas.windows.net/CheckMyAccess/Linux/.default");
  const std::string token_path = "/" + config_.tenant + "/oauth2/v2.0/token";
  auto reply = http_->Send("POST", token_path, form,
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
  if (!reply) return reply.error();
  if (trace_) trace_(1, "POST " + token_path + " (ssh-cert) -> " + std::to_string(reply->status));
  boost::system::error_code ec;
  const json::value doc = json::parse(reply->body, ec);
  const json::object* fields = !ec && doc.is_object() ? &doc.get_object() : nullptr;
  const auto field = [&](const char* name) {
    const json::value* value = fields ? fields->if_contains(name) : nullptr;
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  };
  if (reply->status != 200 || field("token_type") != "ssh-cert" || field("access_token").empty()) {
    const std::string why = field("error_description").empty() ? reply->body.substr(0, 300)
                                                              : field("error_description");
    return MakeError(StatusCode::kPermissionDenied,
                     field("error").empty() ? "SshCertificateRefused" : field("error"),
                     "no SSH certificate from " + config_.server + ": " + why);
  }
  return "ssh-rsa-cert-v01@openssh.com " + field("access_token") + "\n";
}

Result<ArmReply> ArmClient::Call(const std::string& method, const std::string& path,
                                 const json::value* body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (token_.empty()) {
      if (Status fetched = FetchToken(); !fetched.ok()) return fetched.error();
    }
    std::map<std::string, std::string> headers = extra_headers_;
    headers["Authorization"] = "Bearer " + token_;
    if (body) headers["Content-Type"] = "application/json";
    const std::string sent = body ? json::serialize(*body) : "";
    const auto started = std::chrono::steady_clock::now();
    auto reply = http_->Send(method, path, sent, headers);
    if (!reply) return reply.error();
    if (trace_) {
      trace_(1, method + " " + path + " -> " + std::to_string(reply->status) + " (" +
                    Milliseconds(MillisecondsSince(started)) + ")");
      trace_(2, "  request headers:" + HeaderLines(headers));
      if (!sent.empty()) trace_(2, "  request body: " + BodyText(sent));
      trace_(2, "  response headers:" + HeaderLines(reply->headers));
      if (!reply->body.empty()) trace_(2, "  response body: " + BodyText(reply->body));
    }
    if (reply->status == 401 && attempt == 0) {  // expired: one new token, one more try
      token_.clear();
      cached_token_refused_ = true;
      continue;
    }
    if (reply->status >= 400) return ArmError(reply->status, reply->body);
    ArmReply result;
    result.status = reply->status;
    if (!reply->body.empty()) {
      boost::system::error_code ec;
      result.body = json::parse(reply->body, ec);
      if (ec) {
        return MakeError(StatusCode::kUnavailable, "BadReply",
                         method + " " + path + " answered with something that is not JSON");
      }
    }
    if (const auto found = reply->headers.find("azure-asyncoperation");
        found != reply->headers.end()) {
      // An absolute URL on the same server: keep the path and query.
      const std::string& url = found->second;
      const std::size_t path_start = url.find('/', url.find("://") + 3);
      result.async_operation = path_start == std::string::npos ? url : url.substr(path_start);
    }
    return result;
  }
  return MakeError(StatusCode::kUnauthenticated, "AuthenticationFailed",
                   "the server refused a fresh token; run gangplank login again");
}

Status ArmClient::Wait(const std::string& operation_path,
                       const std::function<void(int, const std::string&)>& progress) {
  for (;;) {
    auto reply = Call("GET", operation_path);
    if (!reply) return reply.error();
    const json::object& doc = reply->body.as_object();
    const std::string status(doc.at("status").as_string());
    int percent = 0;
    if (const auto* value = doc.if_contains("percentComplete"); value && value->is_int64())
      percent = static_cast<int>(value->get_int64());
    std::string text;
    if (const auto* properties = doc.if_contains("properties");
        properties && properties->is_object())
      if (const auto* p = properties->get_object().if_contains("progress"); p && p->is_string())
        text = std::string(p->get_string());
    if (progress) progress(percent, text);
    if (status == "Succeeded") return OkStatus();
    if (status != "InProgress") {
      std::string message = "the operation " + status;
      if (const auto* error = doc.if_contains("error"); error && error->is_object()) {
        message = "(" + std::string(error->at("code").as_string()) + ") " +
                  std::string(error->at("message").as_string());
      }
      return MakeError(StatusCode::kFailedPrecondition, "OperationFailed", message);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace gangplank::cli
