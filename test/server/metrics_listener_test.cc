// The plain-HTTP metrics listener: GET and HEAD of /metrics answered with the text it is given,
// anything else refused with a reason, a failing render a 503, a bad request closed.
#include "server/metrics_listener.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace gangplank::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

class MetricsListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = std::make_unique<MetricsListener>(context_, [this]() -> Result<std::string> {
      if (failing_) return MakeError(StatusCode::kUnavailable, "StoreUnavailable", "store away");
      return std::string("gangplank_up 1\n");
    });
    auto bound = listener_->Listen(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    ASSERT_TRUE(bound.ok()) << bound.error().message;
    port_ = bound->port();
    thread_ = std::thread([this] { context_.run(); });
  }
  void TearDown() override {
    listener_->Stop();
    context_.stop();
    thread_.join();
    listener_.reset();
  }

  http::response<http::string_body> Send(http::verb method, const std::string& target,
                                         tcp::socket* reuse = nullptr) {
    boost::asio::io_context client;
    tcp::socket own(client);
    tcp::socket& socket = reuse ? *reuse : own;
    if (!reuse) socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
    http::request<http::empty_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(socket, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);
    http::read(socket, buffer, parser);
    return parser.release();
  }

  boost::asio::io_context context_{1};
  std::unique_ptr<MetricsListener> listener_;
  std::thread thread_;
  unsigned short port_ = 0;
  std::atomic<bool> failing_{false};
};

TEST_F(MetricsListenerTest, GetMetricsAnswersTheTextOnAKeptAliveConnection) {
  boost::asio::io_context client;
  tcp::socket socket(client);
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
  for (int i = 0; i < 3; ++i) {
    const auto response = Send(http::verb::get, "/metrics", &socket);
    EXPECT_EQ(response.result(), http::status::ok);
    EXPECT_EQ(response.body(), "gangplank_up 1\n");
    EXPECT_EQ(response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  }
  const auto head = Send(http::verb::head, "/metrics", &socket);
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_TRUE(head.body().empty());
}

TEST_F(MetricsListenerTest, OtherPathsAndMethodsAreRefusedWithAReason) {
  const auto other = Send(http::verb::get, "/subscriptions");
  EXPECT_EQ(other.result(), http::status::not_found);
  EXPECT_NE(other.body().find("GET /metrics only"), std::string::npos);
  const auto post = Send(http::verb::post, "/metrics");
  EXPECT_EQ(post.result(), http::status::method_not_allowed);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");
}

TEST_F(MetricsListenerTest, AStoreThatCannotBeReadIsA503SayingWhy) {
  failing_ = true;
  const auto response = Send(http::verb::get, "/metrics");
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_NE(response.body().find("store away"), std::string::npos);
  failing_ = false;
  EXPECT_EQ(Send(http::verb::get, "/metrics").result(), http::status::ok);
}

TEST_F(MetricsListenerTest, AnOversizedHeaderGets431AndTheListenerKeepsServing) {
  boost::asio::io_context client;
  tcp::socket socket(client);
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(request));
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  EXPECT_EQ(response.result(), http::status::request_header_fields_too_large);
  EXPECT_EQ(Send(http::verb::get, "/metrics").result(), http::status::ok);
}

TEST_F(MetricsListenerTest, AnAddressInUseIsAClearError) {
  boost::asio::io_context other;
  MetricsListener second(other, [] { return Result<std::string>(std::string()); });
  auto bound = second.Listen(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.error().code, StatusCode::kUnavailable);
  EXPECT_NE(bound.error().message.find("--metrics-listen"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::server
