// The HTTP client seam over a Unix socket: how node agents reach the control plane's node
// gateway (a socket bind-mounted into every node). Plain HTTP/1.1, one keep-alive connection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "net/https_client.h"

namespace gangplank::net {

class UnixHttpClient final : public HttpClient {
 public:
  // `timeout` bounds each exchange, from connect to the last byte of the reply: a long poll
  // needs more than the wait it asks for.
  UnixHttpClient(std::string socket_path, std::chrono::milliseconds timeout);
  ~UnixHttpClient() override;

  Result<HttpReply> Send(const std::string& method, const std::string& target,
                         const std::string& body,
                         const std::map<std::string, std::string>& headers) override;
  void Interrupt() override;

 private:
  Result<HttpReply> Exchange(const std::string& request);
  void Close();

  std::string socket_path_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int interrupt_fd_ = -1;  // an eventfd: once written, every wait ends at once
};

// "unix:/PATH" → a UnixHttpClient; "https://HOST:PORT/" → an HttpsClient verified with `ca_file`.
Result<std::unique_ptr<HttpClient>> ConnectToServer(const std::string& server,
                                                    const std::string& ca_file,
                                                    std::chrono::milliseconds timeout);

}  // namespace gangplank::net
