// The HTTP client seam and its HTTPS implementation (Boost.Beast over OpenSSL): one keep-alive
// connection, the server verified against a given CA, timeouts on every step.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/error.h"

namespace gangplank::net {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Unavailable when the server cannot be reached or the exchange fails (retry later).
  virtual Result<HttpReply> Send(const std::string& method, const std::string& target,
                                 const std::string& body,
                                 const std::map<std::string, std::string>& headers) = 0;
  // Makes a Send that is waiting on another thread fail at once (a stopping long poll).
  virtual void Interrupt() {}
};

class HttpsClient final : public HttpClient {
 public:
  // `server_url` is https://HOST:PORT/; the certificate must chain to `ca_file` and name HOST.
  static Result<std::unique_ptr<HttpsClient>> Create(const std::string& server_url,
                                                     const std::string& ca_file,
                                                     std::chrono::seconds timeout);
  ~HttpsClient() override;

  // Resumes the TLS session kept in `path` (0600) and keeps a new one there: a new process skips
  // the certificate exchange and verification of a full handshake. Only a session made with this
  // server URL and this CA file is resumed; a file that does not parse, or a session the server
  // does not take, means a full handshake with the certificate checked.
  void set_session_file(std::string path);

  Result<HttpReply> Send(const std::string& method, const std::string& target,
                         const std::string& body,
                         const std::map<std::string, std::string>& headers) override;

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gangplank::net
