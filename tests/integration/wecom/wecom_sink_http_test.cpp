// The `wecom` sink as registered (descriptor → factory → libcurl) against a tiny fake WeCom
// on 127.0.0.1: gettoken once, message/send with the token in the query, 42001 → one
// refresh and one retry, HTTP 200 + errcode → classified error, robot webhook, and no secret
// in any error. Every wait is bounded.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "qiao/sdk/connector.h"

void qiao_register_wecom(qiao::sdk::Registry& registry);

namespace {

// One request per connection (Connection: close); answers from a scripted list of errcodes
// for message/send and webhook/send. Stops within 100 ms of destruction.
class FakeWecom {
 public:
  FakeWecom() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~FakeWecom() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::vector<std::string> requestLines() {
    std::lock_guard lk(mu_);
    return lines_;
  }
  std::string lastBody() {
    std::lock_guard lk(mu_);
    return last_body_;
  }
  void script(std::vector<int> errcodes) {
    std::lock_guard lk(mu_);
    errcodes_ = std::move(errcodes);
  }
  int gettokens() const { return gettokens_.load(); }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      serve(c);
      ::close(c);
    }
  }
  void serve(int c) {
    std::string req;
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    size_t header_end = std::string::npos;
    size_t need = 0;
    while (std::chrono::steady_clock::now() < deadline && req.size() < (1 << 20)) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos && (header_end = req.find("\r\n\r\n")) != std::string::npos) {
        auto cl = req.find("Content-Length: ");
        need = header_end + 4 + (cl != std::string::npos && cl < header_end
                                     ? std::stoul(req.substr(cl + 16)) : 0);
      }
      if (header_end != std::string::npos && req.size() >= need) break;
    }
    std::string line = req.substr(0, req.find("\r\n"));
    std::string body = header_end == std::string::npos ? "" : req.substr(header_end + 4);
    std::string reply;
    {
      std::lock_guard lk(mu_);
      lines_.push_back(line);
      if (line.find("/cgi-bin/gettoken?") != std::string::npos) {
        int n = ++gettokens_;
        reply = R"({"errcode":0,"errmsg":"ok","access_token":"T)" + std::to_string(n) +
                R"(","expires_in":7200})";
      } else {
        last_body_ = body;
        int code = 0;
        if (!errcodes_.empty()) {
          code = errcodes_.front();
          errcodes_.erase(errcodes_.begin());
        }
        reply = R"({"errcode":)" + std::to_string(code) +
                R"(,"errmsg":"scripted","msgid":"MSG1","invaliduser":"ghost"})";
      }
    }
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(reply.size()) + "\r\nConnection: close\r\n\r\n" + reply;
    ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> gettokens_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<int> errcodes_;
  std::string last_body_;
};

std::unique_ptr<qiao::sdk::Sink> makeSink(const std::string& json) {
  qiao::sdk::Registry registry;
  qiao_register_wecom(registry);
  const auto* d = registry.find("wecom");
  EXPECT_NE(d, nullptr);
  if (!d) return nullptr;
  auto s = d->make_sink(qiao::sdk::InstanceConfig{"wecom_test", json}, qiao::sdk::Context{});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

qiao::Record record(const std::string& payload) {
  qiao::Record r;
  r.payload = payload;
  r.idempotency_key = "k1";
  return r;
}

std::string appConfig(int port, const std::string& corp) {
  return R"({"corp_id":")" + corp + R"(","agent_id":1000002,"secret":"APPSECRET-XYZ",)"
         R"("touser":"zhangsan","timeout":"3s","base_url":"http://127.0.0.1:)" +
         std::to_string(port) + R"("})";
}

}  // namespace

TEST(WecomSinkHttp, SendsAppMessagesWithOneTokenAndRefreshesOn42001) {
  FakeWecom fake;
  auto sink = makeSink(appConfig(fake.port(), "corp-a"));
  ASSERT_TRUE(sink);
  auto d1 = sink->deliver(record(R"({"content":"你好"})"));
  ASSERT_TRUE(d1.ok()) << d1.error().message;
  EXPECT_EQ(d1->remote_id, "MSG1");
  EXPECT_NE(d1->result_json.find("ghost"), std::string::npos);  // partly invalid recipients kept
  EXPECT_NE(fake.lastBody().find("你好"), std::string::npos);    // raw UTF-8 on the wire
  auto d2 = sink->deliver(record(R"({"content":"again"})"));
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(fake.gettokens(), 1);  // cached
  fake.script({42001});
  auto d3 = sink->deliver(record(R"({"content":"third"})"));
  ASSERT_TRUE(d3.ok()) << d3.error().message;
  EXPECT_EQ(fake.gettokens(), 2);
  auto lines = fake.requestLines();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_NE(lines[1].find("POST /cgi-bin/message/send?access_token=T1 "), std::string::npos);
  EXPECT_NE(lines[5].find("POST /cgi-bin/message/send?access_token=T2 "), std::string::npos);
}

TEST(WecomSinkHttp, ErrcodesAreClassifiedAndSecretsStayOut) {
  FakeWecom fake;
  auto sink = makeSink(appConfig(fake.port(), "corp-b"));
  ASSERT_TRUE(sink);
  fake.script({60020});
  auto perm = sink->deliver(record(R"({"content":"x"})"));
  ASSERT_FALSE(perm.ok());
  EXPECT_EQ(perm.error().klass, qiao::ErrorClass::kPermanent);
  EXPECT_NE(perm.error().message.find("60020"), std::string::npos);
  EXPECT_EQ(perm.error().message.find("APPSECRET"), std::string::npos);
  EXPECT_EQ(perm.error().message.find("access_token=T"), std::string::npos);
  fake.script({-1});
  auto busy = sink->deliver(record(R"({"content":"x"})"));
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().klass, qiao::ErrorClass::kTransient);
}

TEST(WecomSinkHttp, RobotWebhook) {
  FakeWecom fake;
  auto sink = makeSink(R"({"mode":"robot","robot_key":"ROBOT-SECRET-KEY","msgtype":"markdown",)"
                       R"("base_url":"http://127.0.0.1:)" + std::to_string(fake.port()) + R"("})");
  ASSERT_TRUE(sink);
  auto ok = sink->deliver(record(R"({"content":"**done**"})"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(fake.gettokens(), 0);
  EXPECT_NE(fake.requestLines().at(0).find("POST /cgi-bin/webhook/send?key=ROBOT-SECRET-KEY"),
            std::string::npos);
  EXPECT_NE(fake.lastBody().find(R"("msgtype":"markdown")"), std::string::npos);
  fake.script({93000});
  auto gone = sink->deliver(record(R"({"content":"x"})"));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().klass, qiao::ErrorClass::kPermanent);
  EXPECT_EQ(gone.error().message.find("ROBOT-SECRET"), std::string::npos);
}

TEST(WecomSinkHttp, UnreachableServerIsTransient) {
  int port;
  {
    FakeWecom fake;
    port = fake.port();
  }  // closed: nothing listens there any more
  auto sink = makeSink(R"({"mode":"robot","robot_key":"K-SECRET","connect_timeout":"1s",)"
                       R"("timeout":"2s","base_url":"http://127.0.0.1:)" + std::to_string(port) + R"("})");
  ASSERT_TRUE(sink);
  auto r = sink->deliver(record(R"({"content":"x"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, qiao::ErrorClass::kTransient);
  EXPECT_EQ(r.error().message.find("K-SECRET"), std::string::npos);
}
