// A small blocking HTTPS client for tests: verifies the server against a CA file, keeps the
// connection alive between requests, and can send raw bytes for malformed-request tests.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace gangplank::testing {

struct HttpsReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class HttpsClient {
 public:
  // `source`: the local address to connect from (a loopback address such as 127.0.0.2), so a test
  // can be another client than its flood; empty lets the kernel choose.
  HttpsClient(int port, const std::string& ca_file, const std::string& source = "");
  ~HttpsClient();

  HttpsReply Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  // Writes `bytes` on the TLS stream as they are and reads one response.
  HttpsReply Raw(const std::string& bytes);
  // Opens the connection (TLS handshake done) without sending anything.
  void Connect();
  // Writes `bytes` without reading; then ReadReply reads one response (throws when the server
  // closed the connection instead).
  void Send(const std::string& bytes);
  HttpsReply ReadReply(std::chrono::seconds timeout = std::chrono::seconds(30));
  // How many TCP connections this client has opened (keep-alive keeps it at 1).
  int connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// DATA_DIR/credentials.json: the admin's clientId, clientSecret, subscriptionId, server, caFile.
boost::json::object AdminCredentials(const std::string& data_dir);

// An ARM token from the gangplankd at `port`, for the admin credentials in DATA_DIR's
// credentials.json (client credentials, as az and the SDKs ask); empty if refused.
std::string AdminToken(HttpsClient& client, const std::string& data_dir, int port);

}  // namespace gangplank::testing
