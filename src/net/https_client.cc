// A synchronous Beast HTTPS client with one reusable connection.
#include "net/https_client.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <optional>

#include "common/file_io.h"

namespace gangplank::net {
namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct HttpsClient::Impl {
  std::string host;  // as in the URL (an IP literal or a name)
  std::string port;
  std::chrono::seconds timeout{10};
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::string session_file;  // empty: no resumption across processes
  // The server URL and a digest of the CA file: a session is resumed only by a client of the same
  // server that trusts the same CA (a resumed session skips the certificate check).
  std::string session_key;

  ~Impl() { SaveSession(); }

  // The CA is parsed when a handshake first needs it: a resumed session checks no certificate,
  // and parsing a PEM certificate costs OpenSSL 3 more than the whole resumed handshake.
  std::string ca_file;
  std::string ca_pem;
  bool ca_loaded = false;
  bool ca_unusable = false;  // the file holds no certificate OpenSSL can read
  static int VerifyWithCa(X509_STORE_CTX* store_ctx, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    if (!self->ca_loaded) {
      self->ca_loaded = true;
      X509_STORE* store = SSL_CTX_get_cert_store(self->tls.native_handle());
      BIO* bio = BIO_new_mem_buf(self->ca_pem.data(), static_cast<int>(self->ca_pem.size()));
      int added = 0;
      while (X509* cert = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr) {
        added += X509_STORE_add_cert(store, cert);
        X509_free(cert);
      }
      BIO_free(bio);
      ERR_clear_error();  // the end of the file reads as an error
      self->ca_unusable = added == 0;
    }
    if (self->ca_unusable) return 0;
    return X509_verify_cert(store_ctx);
  }

  // OpenSSL hands over each session ticket the server sends (TLS 1.3 sends them after the
  // handshake): the newest is kept, and written to the session file when the client goes.
  static int OnNewSession(SSL* ssl, SSL_SESSION* session) {
    auto* self = static_cast<Impl*>(SSL_get_ex_data(ssl, ExDataIndex()));
    if (!self) return 0;
    if (self->new_session) SSL_SESSION_free(self->new_session);
    self->new_session = session;
    return 1;  // ours now
  }
  SSL_SESSION* new_session = nullptr;
  bool resumed = false;  // the last handshake resumed the session from the file

  // Where the SSL object points back at this client (Asio keeps its own use of the app data).
  static int ExDataIndex() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
  }

  void ResumeSession(SSL* ssl) {
    if (session_file.empty()) return;
    auto saved = ReadFile(session_file, 16384);
    if (!saved || !saved->starts_with(session_key + "\n")) return;
    const std::string der = saved->substr(session_key.size() + 1);
    const unsigned char* at = reinterpret_cast<const unsigned char*>(der.data());
    SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &at, static_cast<long>(der.size()));
    if (!session) return;
    if (SSL_SESSION_is_resumable(session)) SSL_set_session(ssl, session);
    SSL_SESSION_free(session);
  }

  // Written only after a full handshake: the ticket a resumed session came from stays good for
  // its lifetime (the server's hint, two hours), and rewriting the file every run costs more
  // than the resumption saves.
  void SaveSession() {
    if (!new_session) return;
    if (!session_file.empty() && !resumed) {
      const int size = i2d_SSL_SESSION(new_session, nullptr);
      std::string der(static_cast<std::size_t>(std::max(size, 0)), '\0');
      unsigned char* at = reinterpret_cast<unsigned char*>(der.data());
      if (size > 0 && i2d_SSL_SESSION(new_session, &at) == size)
        (void)WriteFileAtomically(session_file, session_key + "\n" + der, 0600,
                                  IfExists::kReplace);
    }
    SSL_SESSION_free(new_session);
    new_session = nullptr;
  }

  void Connect() {
    stream.emplace(io, tls);
    SSL_set_ex_data(stream->native_handle(), ExDataIndex(), this);
    ResumeSession(stream->native_handle());
    boost::system::error_code ec;
    (void)asio::ip::make_address(host, ec);
    if (!ec) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream->native_handle()), host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(SSL_get0_param(stream->native_handle()), host.c_str(), 0);
      SSL_set_tlsext_host_name(stream->native_handle(), host.c_str());
    }
    tcp::resolver resolver(io);
    beast::get_lowest_layer(*stream).expires_after(timeout);
    beast::get_lowest_layer(*stream).connect(resolver.resolve(host, port));
    beast::get_lowest_layer(*stream).socket().set_option(tcp::no_delay(true));
    stream->handshake(ssl::stream_base::client);
    resumed = SSL_session_reused(stream->native_handle()) == 1;
    buffer.clear();
  }
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;

Result<std::unique_ptr<HttpsClient>> HttpsClient::Create(const std::string& server_url,
                                                         const std::string& ca_file,
                                                         std::chrono::seconds timeout) {
  const auto invalid = MakeError(StatusCode::kInvalidArgument, "InvalidServerUrl",
                                 "the server URL '" + server_url.substr(0, 200) +
                                     "' is not https://HOST:PORT/");
  constexpr std::string_view kScheme = "https://";
  if (!server_url.starts_with(kScheme)) return invalid;
  std::string authority = server_url.substr(kScheme.size());
  authority = authority.substr(0, authority.find('/'));
  auto impl = std::make_unique<Impl>();
  impl->timeout = timeout;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return invalid;
    impl->host = authority.substr(1, close - 1);
    impl->port = authority.size() > close + 2 ? authority.substr(close + 2) : "443";
  } else {
    const std::size_t colon = authority.rfind(':');
    impl->host = authority.substr(0, colon);
    impl->port = colon == std::string::npos ? "443" : authority.substr(colon + 1);
  }
  if (impl->host.empty() || impl->port.empty() ||
      impl->port.find_first_not_of("0123456789") != std::string::npos)
    return invalid;
  auto ca = ReadFile(ca_file, 1 << 20);
  if (!ca || ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return MakeError(StatusCode::kFailedPrecondition, "CaFileUnreadable",
                     "cannot load the CA file " + ca_file + ": " +
                         (ca ? std::string("it holds no PEM certificate") : ca.error().message));
  }
  impl->ca_file = ca_file;
  impl->ca_pem = *ca;
  impl->tls.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_cert_verify_callback(impl->tls.native_handle(), &Impl::VerifyWithCa, impl.get());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(ca->data()), ca->size(), digest);
  impl->session_key = server_url + " ";
  for (const unsigned char byte : digest) {
    static constexpr char kHex[] = "0123456789abcdef";
    impl->session_key += kHex[byte >> 4];
    impl->session_key += kHex[byte & 15];
  }
  SSL_CTX_set_session_cache_mode(impl->tls.native_handle(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(impl->tls.native_handle(), &Impl::OnNewSession);
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

void HttpsClient::set_session_file(std::string path) { impl_->session_file = std::move(path); }

Result<HttpReply> HttpsClient::Send(const std::string& method, const std::string& target,
                                    const std::string& body,
                                    const std::map<std::string, std::string>& headers) {
  // A kept-alive connection the server closed fails on first use: try once more, afresh.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      const bool fresh = !impl_->stream;
      if (fresh) impl_->Connect();
      http::request<http::string_body> request(http::string_to_verb(method), target, 11);
      request.set(http::field::host, impl_->host + ":" + impl_->port);
      request.set(http::field::user_agent, "gangplank");
      for (const auto& [name, value] : headers) request.set(name, value);
      request.body() = body;
      request.prepare_payload();
      beast::get_lowest_layer(*impl_->stream).expires_after(impl_->timeout);
      http::write(*impl_->stream, request);
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      http::read(*impl_->stream, impl_->buffer, parser);
      HttpReply reply{static_cast<int>(parser.get().result_int()), parser.get().body(), {}};
      for (const auto& field : parser.get()) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        reply.headers[name] = std::string(field.value());
      }
      if (!parser.get().keep_alive()) impl_->stream.reset();
      return reply;
    } catch (const boost::system::system_error& error) {
      impl_->stream.reset();
      if (attempt == 1) {
        std::string message = "cannot reach https://" + impl_->host + ":" + impl_->port + "/: " +
                              error.code().message();
        if (impl_->ca_unusable)
          message += " (no certificate in the CA file " + impl_->ca_file + " could be read)";
        else if (message.find("certificate verify failed") != std::string::npos)
          message += " (the server's certificate does not chain to the given CA file: is it the "
                     "CA of this server?)";
        return MakeError(StatusCode::kUnavailable, "ServerUnreachable", message);
      }
    }
  }
  return MakeError(StatusCode::kUnavailable, "ServerUnreachable", "unreachable");
}

}  // namespace gangplank::net
