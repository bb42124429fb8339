// Signing in at the token issuer, shared by the token endpoint's grants (identity_handlers.cc)
// and the device-code flow with its page (device_code_handlers.cc). Internal to api/.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>

#include "access/directory.h"
#include "api/api_request.h"
#include "api/handlers.h"

namespace gangplank::api {

using Form = std::map<std::string, std::string>;
// An application/x-www-form-urlencoded body (the caller checks that it parses).
Form ParseForm(const std::string& body);

// Who a grant proves the caller is: the token's subject (an app id, or a person's user principal
// name), for a person who they are for the id_token, and the audience when the grant fixed it
// earlier (a device flow names it when it starts; its polls do not).
struct Granted {
  std::string subject;
  std::optional<access::User> person;
  std::string audience;
};

// A person's password: a wrong one counts towards the lockout, and every refusal goes into the
// activity log. The error is OAuth's invalid_grant (its reason), saying why where that is safe.
Result<access::User> SignInWithPassword(const ApiRequest& request, const HandlerContext& context,
                                        const std::string& name, const std::string& password);

// grant_type=urn:ietf:params:oauth:grant-type:device_code: authorization_pending until a person
// approves the flow on the page, then the person's tokens, once.
Result<Granted> DeviceCodeGrant(const ApiRequest& request, const HandlerContext& context,
                                Form& form);

// token_type=ssh-cert (az ssh): the certificate scope asked for (the Azure clouds' CheckMyAccess
// scopes, or this control plane's own), and the response with a certificate for the key in
// req_cnf, to a caller that holds a machine login role somewhere (ssh_cert_handlers.cc).
Result<std::string> SshCertificateScope(const HandlerContext& context, Form& form);
Result<boost::json::object> SshCertificateResponse(const HandlerContext& context, Form& form,
                                                   const Granted& granted,
                                                   const std::string& scope);

}  // namespace gangplank::api
