// A whole callback request: timestamp window, envelope, signature, decryption, event XML.
#include <gtest/gtest.h>

#include "wecom_callback.h"

namespace w = qiao::connectors::wecom;

namespace {
w::CallbackKeys keys() {
  auto k = w::makeCallbackKeys("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
                               "wx5823bf96d3bd56c7");
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : w::CallbackKeys{};
}
// TV2 of the reference, as WeCom would POST it.
const char* kTv2Encrypt =
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
std::string tv2Body() {
  return std::string("<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[") +
         kTv2Encrypt + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>";
}
w::CallbackQuery tv2Query() {
  return {"477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", ""};
}
}  // namespace

TEST(WecomCallback, OfficialPostOpensToItsEvent) {
  auto ev = w::openCallback(keys(), tv2Query(), tv2Body(), 1409659813 + 30);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->msg_type, "text");
  EXPECT_EQ(ev->content, "hello");
  EXPECT_EQ(ev->from_user_name, "mycreate");
  EXPECT_EQ(ev->msg_id, "4561255354251345929");
  EXPECT_EQ(ev->agent_id, "218");
}

TEST(WecomCallback, StaleOrBadTimestampIsRefused) {
  auto late = w::openCallback(keys(), tv2Query(), tv2Body(), 1409659813 + 601);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("601 s away"), std::string::npos) << late.error().message;
  auto early = w::openCallback(keys(), tv2Query(), tv2Body(), 1409659813 - 700);
  EXPECT_FALSE(early.ok());
  auto q = tv2Query();
  q.timestamp = "14096x9813";
  auto bad = w::openCallback(keys(), q, tv2Body(), 1409659813);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not a number"), std::string::npos);
}

TEST(WecomCallback, SignatureBadEnvelopeAndUrlVerification) {
  auto q = tv2Query();
  q.nonce = "1372623148";
  auto sig = w::openCallback(keys(), q, tv2Body(), 1409659813);
  ASSERT_FALSE(sig.ok());
  EXPECT_NE(sig.error().message.find("bad signature"), std::string::npos);
  auto env = w::openCallback(keys(), tv2Query(), "<xml><Encrypt>", 1409659813);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.error().message.find("not well-formed"), std::string::npos);
  w::CallbackQuery get{"5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780",
                       "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="};
  auto echo = w::answerUrlVerification(keys(), get, 1409659589);
  ASSERT_TRUE(echo.ok()) << echo.error().message;
  EXPECT_EQ(*echo, "1616140317555161061");
  get.echostr.clear();
  EXPECT_FALSE(w::answerUrlVerification(keys(), get, 1409659589).ok());
}
