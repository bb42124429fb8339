// A gangplankd API without sockets: SQLite store in a scratch directory, a fake clock, the token
// service, the operations engine (driven by hand), and helpers to send requests.
#pragma once

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>

#include "api/api_service.h"
#include "mocks/fake_clock.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::api {

class ApiHarness : public ::testing::Test {
 protected:
  static constexpr const char* kUrl = "https://127.0.0.1:8443/";

  void SetUp() override {
    store_ = std::move(store::SqliteStore::Open(dir_.Join("db")).value());
    tokens_ = *auth::TokenService::Open(dir_.path(), std::string(kUrl) + "adfs",
                                        {kUrl, "https://127.0.0.1:8443"}, clock_);
    admin_.client_id = "client-id";
    admin_.client_secret = "client-secret";
    admin_.subscription_id = "sub-1";
    Restart();
    token_ = *tokens_->Issue("client-id", kUrl);
  }

  // A new engine and service over the same store, as after a gangplankd restart.
  void Restart() {
    service_.reset();
    operations_ = std::make_unique<controller::OperationsEngine>(*store_, clock_);
    service_ = std::make_unique<ApiService>(ApiServiceConfig{admin_, kUrl}, *store_, tokens_,
                                            clock_, *operations_);
  }

  HttpResponse Send(HttpVerb verb, const std::string& target, const std::string& body = "",
                    bool authenticated = true,
                    const std::map<boost::beast::http::field, std::string>& headers = {}) {
    HttpRequest request(verb, target, 11);
    if (authenticated) request.set(boost::beast::http::field::authorization, "Bearer " + token_);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    return service_->Handle(request);
  }

  static boost::json::value Body(const HttpResponse& response) {
    return boost::json::parse(response.body());
  }
  static std::string ErrorCode(const HttpResponse& response) {
    return std::string(Body(response).at("error").at("code").as_string());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<auth::TokenService> tokens_;
  auth::AdminCredentials admin_;
  std::unique_ptr<controller::OperationsEngine> operations_;
  std::unique_ptr<ApiService> service_;
  std::string token_;
};

}  // namespace gangplank::api
