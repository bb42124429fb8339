// The CLI's ARM client: a bearer token from the control plane's token endpoint (client
// credentials), JSON calls with ARM errors turned into plain messages, and waiting for
// long-running operations.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cli/cli_config.h"
#include "net/https_client.h"

namespace gangplank::cli {

struct ArmReply {
  int status = 0;
  boost::json::value body;      // null when the body was empty
  std::string async_operation;  // the Azure-AsyncOperation path, when the call started one
};

class ArmClient {
 public:
  // `http` reaches config.server; a token is fetched on the first call.
  ArmClient(CliConfig config, std::unique_ptr<net::HttpClient> http);
  // `state_dir`, when given, keeps the TLS session between runs (tls-session, 0600).
  static Result<ArmClient> Connect(const CliConfig& config, const std::string& state_dir = "");

  // METHOD PATH (under the subscription's server, api-version included by the caller). A 4xx or
  // 5xx becomes an Error whose message is ARM's "(Code) message"; 404 keeps kNotFound.
  Result<ArmReply> Call(const std::string& method, const std::string& path,
                        const boost::json::value* body = nullptr);
  // Polls an operation until it ends; `progress` hears percentComplete and the progress text
  // after every poll (about ten times a second), changed or not, so a spinner can turn.
  Status Wait(const std::string& operation_path,
              const std::function<void(int percent, const std::string& text)>& progress);

  // Hears what the client does: level 1 one line per request, level 2 also headers and bodies.
  // Tokens and the client secret never reach it.
  using Trace = std::function<void(int level, const std::string& line)>;
  void set_trace(Trace trace) { trace_ = std::move(trace); }

  // Keeps tokens in `path` (0600, in the 0700 config dir) between runs, as az does: a token is
  // used again until five minutes before it expires, and fetched anew after a 401.
  void set_token_cache(std::string path) { token_cache_ = std::move(path); }

  // Headers sent with every ARM call from now on (az's --aks-custom-headers).
  void set_extra_headers(std::map<std::string, std::string> headers) {
    extra_headers_ = std::move(headers);
  }

  // An SSH user certificate for the RSA key `rsa_public_blob` (its SSH wire form) from the
  // control plane's CA, asked for as az ssh asks (a client-credentials grant with token_type
  // ssh-cert and the key as a JWK): the "ssh-rsa-cert-v01@openssh.com …" line for a -cert.pub.
  // A refusal keeps the server's words (no login role: unauthorized_client).
  Result<std::string> SshCertificate(const std::string& rsa_public_blob);

  const CliConfig& config() const { return config_; }
  std::string SubscriptionPath() const { return "/subscriptions/" + config_.subscription_id; }

 private:
  Status FetchToken();
  bool TokenFromCache();
  void SaveToken(long long expires_on) const;

  CliConfig config_;
  std::unique_ptr<net::HttpClient> http_;
  std::string token_;
  Trace trace_;
  std::map<std::string, std::string> extra_headers_;
  std::string token_cache_;
  bool cached_token_refused_ = false;
};

}  // namespace gangplank::cli
