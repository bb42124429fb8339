// Beast HTTPS client for tests, verifying the server certificate for 127.0.0.1.
#include "support/https_client.h"

#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <optional>

#include "support/temp_dir.h"

namespace gangplank::testing {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

struct HttpsClient::Impl {
  int port;
  std::string source;
  net::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  int connections = 0;

  void Connect() {
    stream.emplace(io, tls);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream->native_handle()), "127.0.0.1");
    if (!source.empty()) {
      auto& socket = beast::get_lowest_layer(*stream).socket();
      socket.open(tcp::v4());
      socket.bind(tcp::endpoint(net::ip::make_address(source), 0));
    }
    beast::get_lowest_layer(*stream).connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    beast::get_lowest_layer(*stream).expires_after(std::chrono::seconds(30));
    stream->handshake(ssl::stream_base::client);
    buffer.clear();
    ++connections;
  }

  HttpsReply Read(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    // Asynchronously, so the deadline holds (a blocking read ignores the stream's expiry).
    beast::get_lowest_layer(*stream).expires_after(timeout);
    beast::error_code ec;
    http::async_read(*stream, buffer, parser, [&](beast::error_code read, std::size_t) { ec = read; });
    io.restart();
    io.run();
    if (ec) {
      stream.reset();
      throw boost::system::system_error(ec);
    }
    HttpsReply reply;
    const auto& response = parser.get();
    reply.status = response.result_int();
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    reply.body = response.body();
    if (!response.keep_alive()) stream.reset();
    return reply;
  }
};

HttpsClient::HttpsClient(int port, const std::string& ca_file, const std::string& source)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->source = source;
  impl_->tls.load_verify_file(ca_file);
  impl_->tls.set_verify_mode(ssl::verify_peer);
}

HttpsClient::~HttpsClient() = default;

HttpsReply HttpsClient::Request(const std::string& method, const std::string& target,
                                const std::string& body,
                                const std::map<std::string, std::string>& headers) {
  if (!impl_->stream) impl_->Connect();
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(*impl_->stream, request);
  return impl_->Read();
}

HttpsReply HttpsClient::Raw(const std::string& bytes) {
  if (!impl_->stream) impl_->Connect();
  net::write(*impl_->stream, net::buffer(bytes));
  return impl_->Read();
}

void HttpsClient::Connect() {
  if (!impl_->stream) impl_->Connect();
}

void HttpsClient::Send(const std::string& bytes) {
  if (!impl_->stream) impl_->Connect();
  beast::get_lowest_layer(*impl_->stream).expires_after(std::chrono::seconds(30));
  net::write(*impl_->stream, net::buffer(bytes));
}

HttpsReply HttpsClient::ReadReply(std::chrono::seconds timeout) { return impl_->Read(timeout); }

boost::json::object AdminCredentials(const std::string& data_dir) {
  return boost::json::parse(ReadTestFile(data_dir + "/credentials.json")).as_object();
}

std::string AdminToken(HttpsClient& client, const std::string& data_dir, int port) {
  const boost::json::object credentials = AdminCredentials(data_dir);
  const auto reply = client.Request(
      "POST", "/adfs/oauth2/v2.0/token",
      "grant_type=client_credentials&client_id=" +
          std::string(credentials.at("clientId").as_string()) +
          "&client_secret=" + std::string(credentials.at("clientSecret").as_string()) +
          "&scope=https://127.0.0.1:" + std::to_string(port) + "//.default",
      {{"Content-Type", "application/x-www-form-urlencoded"}});
  if (reply.status != 200) return "";
  return std::string(boost::json::parse(reply.body).at("access_token").as_string());
}

int HttpsClient::connections() const { return impl_->connections; }

}  // namespace gangplank::testing
