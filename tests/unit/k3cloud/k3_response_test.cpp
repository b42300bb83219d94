// Reply parsing on every quirk the reference lists (§1.6, §2.4, §3.3), with sample bodies.
#include <gtest/gtest.h>

#include <string>

#include "k3_response.h"
#include "qiao/core/log.h"

namespace {

using namespace qiao::connectors::k3cloud;
using nlohmann::json;
using qiao::ErrorClass;
using qiao::ErrorCode;

json parse(const std::string& text) { return json::parse(text); }

HttpReply reply(long status, std::string body, std::string type = "application/json") {
  HttpReply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(type);
  return r;
}

TEST(K3Response, SaveSuccessWithBooleanIsSuccessGivesIdAndNumber) {
  auto r = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"ErrorCode":0,"IsSuccess":true,
      "MsgCode":0,"Errors":[],"SuccessEntitys":[{"Id":100234,"Number":"XSDD000123","DIndex":0}],
      "SuccessMessages":[]},"Id":100234,"Number":"XSDD000123",
      "NeedReturnData":[{"FBillNo":"XSDD000123"}]}})"), "K/3 Save SAL_SaleOrder");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, "100234");
  EXPECT_EQ(r->number, "XSDD000123");
  EXPECT_EQ(r->need_return_data[0]["FBillNo"], "XSDD000123");
  ASSERT_EQ(r->status.success_entities.size(), 1u);
  EXPECT_EQ(r->status.success_entities[0].number, "XSDD000123");
}

TEST(K3Response, IsSuccessAsStringIsHonouredBothWays) {
  auto ok = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"IsSuccess":"true"},
      "Id":"7","Number":"N7"}})"), "op");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->id, "7");
  auto bad = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"IsSuccess":"false",
      "ErrorCode":"500","MsgCode":"11","Errors":[{"FieldName":"FDate","Message":"日期必填",
      "DIndex":0}]}}})"), "K/3 Save X");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(bad.error().message.find("MsgCode 11"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("FDate: 日期必填"), std::string::npos) << bad.error().message;
}

TEST(K3Response, MultipleErrorsKeepFieldNamesRowsAndChineseText) {
  auto r = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
      "MsgCode":11,"Errors":[
        {"FieldName":"FCustId","Message":"客户编码为C999的客户不存在","DIndex":0},
        {"FieldName":"FMaterialId","Message":"物料编码M404不存在","DIndex":2},
        {"FieldName":"","Message":"单据保存失败","DIndex":1}]}}})"), "K/3 Save SAL_SaleOrder");
  ASSERT_FALSE(r.ok());
  const auto& m = r.error().message;
  EXPECT_EQ(r.error().code, ErrorCode::kRemotePermanent);
  EXPECT_NE(m.find("K/3 Save SAL_SaleOrder failed"), std::string::npos) << m;
  EXPECT_NE(m.find("FCustId: 客户编码为C999的客户不存在 [row 0]"), std::string::npos) << m;
  EXPECT_NE(m.find("FMaterialId: 物料编码M404不存在 [row 2]"), std::string::npos) << m;
  EXPECT_NE(m.find("; 单据保存失败 [row 1]"), std::string::npos) << m;
  EXPECT_NE(m.find("validation failed"), std::string::npos) << m;
}

TEST(K3Response, UnicodeEscapedChineseIsDecoded) {
  // "会话信息已丢失，请重新登录" as \u escapes, the way some builds send it.
  std::string body =
      R"({"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":11,"Errors":[{"FieldName":"FCustId","Message":"\u5ba2\u6237\u4e0d\u5b58\u5728","DIndex":0}]}}})";
  auto decoded = decodeReply(reply(200, body), "op", 0);
  ASSERT_TRUE(decoded.ok());
  auto r = parseOpReply(*decoded, "op");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("FCustId: 客户不存在"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("\\u"), std::string::npos);
}

TEST(K3Response, BatchSaveSuccessEntitiesWithDIndex) {
  auto r = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"IsSuccess":true,
      "SuccessEntitys":[{"Id":11,"Number":"A-11","DIndex":0},{"Id":"12","Number":"A-12","DIndex":1}]},
      "NeedReturnData":[{"FBillNo":"A-11"},{"FBillNo":"A-12"}]}})"), "K/3 BatchSave X");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status.success_entities.size(), 2u);
  EXPECT_EQ(r->status.success_entities[1].id, "12");
  EXPECT_EQ(r->status.success_entities[1].number, "A-12");
  EXPECT_EQ(r->status.success_entities[1].dindex, 1);
  EXPECT_EQ(r->id, "");  // BatchSave has no single Id
}

TEST(K3Response, SingleSuccessEntityFillsMissingIdAndNumber) {
  auto r = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"IsSuccess":true,
      "SuccessEntitys":[{"Id":42,"Number":"B-42","DIndex":0}]}}})"), "K/3 Submit X");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "42");
  EXPECT_EQ(r->number, "B-42");
}

TEST(K3Response, QueryRowsAndEmptyResult) {
  auto rows = parseQueryReply(parse(R"([[100,"XSDD1","A"],[101,"XSDD2","C"]])"), "q");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1][1], "XSDD2");
  auto none = parseQueryReply(parse("[]"), "q");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(K3Response, QueryErrorInsideTheArrayIsAnError) {
  auto rows = parseQueryReply(parse(R"([[{"Result":{"ResponseStatus":{"ErrorCode":500,
      "IsSuccess":false,"MsgCode":9,"Errors":[{"FieldName":null,
      "Message":"元数据中标识为FFoo的字段不存在","DIndex":0}]}}}]])"),
                              "K/3 ExecuteBillQuery SAL_SaleOrder");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().klass, ErrorClass::kPermanent);
  EXPECT_NE(rows.error().message.find("元数据中标识为FFoo的字段不存在"), std::string::npos)
      << rows.error().message;
  EXPECT_NE(rows.error().message.find("MsgCode 9"), std::string::npos);
}

TEST(K3Response, QueryErrorWithSessionLostIsAuthExpired) {
  auto rows = parseQueryReply(parse(R"([[{"Result":{"ResponseStatus":{"IsSuccess":false,
      "MsgCode":1,"Errors":[{"Message":"会话信息已丢失，请重新登录"}]}}}]])"), "q");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().klass, ErrorClass::kAuthExpired);
  auto st = findResponseStatus(parse(R"([[{"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":1}}}]])"));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->msg_code, 1);
  EXPECT_FALSE(findResponseStatus(parse(R"([[1,"x"]])")).has_value());
}

TEST(K3Response, HtmlErrorPageIsTransientWithShortExcerpt) {
  std::string page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" +
                     std::string(5000, 'x') + "</body></html>";
  auto r = decodeReply(reply(502, page, "text/html; charset=utf-8"), "K/3 Save X", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, ErrorClass::kTransient);
  EXPECT_NE(r.error().message.find("502 Bad Gateway"), std::string::npos) << r.error().message;
  EXPECT_LT(r.error().message.size(), 400u);
  // An HTML page with status 200 (a proxy's login or maintenance page) is no success either.
  auto ok_status = decodeReply(reply(200, "<html><body>维护中 maintenance</body></html>", ""), "op", 0);
  ASSERT_FALSE(ok_status.ok());
  EXPECT_EQ(ok_status.error().klass, ErrorClass::kTransient);
  EXPECT_NE(ok_status.error().message.find("维护中 maintenance"), std::string::npos);
}

TEST(K3Response, HttpStatusesClassify) {
  auto r503 = reply(503, R"({"error":"busy"})");
  r503.retry_after = "7";
  auto e = decodeReply(r503, "op", 0);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(e.error().retry_after_ms, 7000);
  auto r429 = reply(429, "slow down", "text/plain");
  r429.retry_after = "Thu, 01 Jan 1970 00:00:30 GMT";
  auto e429 = decodeReply(r429, "op", 10'000);
  ASSERT_FALSE(e429.ok());
  EXPECT_EQ(e429.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(e429.error().retry_after_ms, 20'000);
  auto e404 = decodeReply(reply(404, "no such service", "text/plain"), "op", 0);
  ASSERT_FALSE(e404.ok());
  EXPECT_EQ(e404.error().klass, ErrorClass::kPermanent);
  // "Fail to verify thirty passport": a wrong acct id, non-200 (reference §1.6).
  auto bad_acct = decodeReply(reply(400, "Fail to verify thirty passport", "text/plain"), "login", 0);
  ASSERT_FALSE(bad_acct.ok());
  EXPECT_NE(bad_acct.error().message.find("Fail to verify thirty passport"), std::string::npos);
  auto garbage = decodeReply(reply(200, "{\"Result\":", "application/json"), "op", 0);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().klass, ErrorClass::kTransient);
  auto e500 = decodeReply(reply(500, R"({"Result":{"ResponseStatus":{"IsSuccess":false,
      "Errors":[{"FieldName":"","Message":"服务器内部错误","DIndex":0}]}}})"), "op", 0);
  ASSERT_FALSE(e500.ok());
  EXPECT_EQ(e500.error().klass, ErrorClass::kTransient);
  EXPECT_NE(e500.error().message.find("服务器内部错误"), std::string::npos);
}

TEST(K3Response, MsgCodeTable) {
  // 1 → log in again; 13 network control and 14 call limit → back off and retry; the rest,
  // unknown codes included, are permanent (a write is never blindly repeated).
  for (int code = 0; code <= 20; ++code) {
    ErrorClass want = code == 1 ? ErrorClass::kAuthExpired
                      : (code == 13 || code == 14) ? ErrorClass::kTransient
                                                   : ErrorClass::kPermanent;
    EXPECT_EQ(classifyMsgCode(code), want) << "MsgCode " << code;
  }
  EXPECT_STREQ(msgCodeMeaning(11), "validation failed");
  EXPECT_STREQ(msgCodeMeaning(42), "unknown");
  ResponseStatus st;
  st.msg_code = 14;
  EXPECT_EQ(statusError(st, "op").code, ErrorCode::kRateLimited);
  st.msg_code = 13;
  EXPECT_EQ(statusError(st, "op").klass, ErrorClass::kTransient);
  st.msg_code = 1;
  EXPECT_EQ(statusError(st, "op").code, ErrorCode::kRemoteAuthExpired);
  st.msg_code = 6;
  EXPECT_EQ(statusError(st, "op").klass, ErrorClass::kPermanent);
}

TEST(K3Response, ReplyWithoutResponseStatusIsPermanent) {
  auto r = parseOpReply(parse(R"({"Something":"else"})"), "op");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().klass, ErrorClass::kPermanent);
}

TEST(K3Response, ViewResultAsStringIsReparsed) {
  auto r = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"IsSuccess":true},
      "Result":"{\"Id\":5,\"Number\":\"XSDD5\",\"DocumentStatus\":\"C\"}"}})"), "view");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result["DocumentStatus"], "C");
  auto obj = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"IsSuccess":true},
      "Result":{"Id":5,"Number":"XSDD5"}}})"), "view");
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(obj->result["Number"], "XSDD5");
}

TEST(K3Response, LoginReplies) {
  auto ok = parseLoginReply(parse(R"({"Message":null,"MessageCode":"CheckPasswordPolicy",
      "LoginResultType":1,"Context":{"SessionId":"s","UserId":178301},
      "KDSVCSessionId":"2c6dfa6c-aaaa","IsSuccessByAPI":true})"), "K/3 ValidateUser");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->session_id, "2c6dfa6c-aaaa");
  auto deal = parseLoginReply(parse(R"({"LoginResultType":"-5","KDSVCSessionId":"x"})"), "l");
  EXPECT_TRUE(deal.ok());
  auto wrong = parseLoginReply(parse(R"({"LoginResultType":0,"Message":"用户名或密码错误",
      "KDSVCSessionId":null})"), "K/3 ValidateUser");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().klass, ErrorClass::kAuthExpired);
  EXPECT_NE(wrong.error().message.find("用户名或密码错误"), std::string::npos);
  EXPECT_NE(wrong.error().message.find("LoginResultType 0"), std::string::npos);
  auto no_session = parseLoginReply(parse(R"({"LoginResultType":1,"KDSVCSessionId":""})"), "l");
  ASSERT_FALSE(no_session.ok());
  EXPECT_NE(no_session.error().message.find("no KDSVCSessionId"), std::string::npos);
  auto must_change = parseLoginReply(parse(R"({"LoginResultType":-3,"KDSVCSessionId":"x"})"), "l");
  EXPECT_FALSE(must_change.ok());
}

TEST(K3Response, SetCookieIsParsedWithoutSplittingOnCommas) {
  auto [n1, v1] = parseSetCookie(
      "kdservice-sessionid=2c6d-ff; expires=Thu, 28-Aug-2025 10:00:00 GMT; path=/; HttpOnly");
  EXPECT_EQ(n1, "kdservice-sessionid");
  EXPECT_EQ(v1, "2c6d-ff");
  auto [n2, v2] = parseSetCookie(" ASP.NET_SessionId=abc123; path=/");
  EXPECT_EQ(n2, "ASP.NET_SessionId");
  EXPECT_EQ(v2, "abc123");
  EXPECT_EQ(parseSetCookie("garbage").first, "");
}

TEST(K3Response, RegisteredSecretsNeverReachMessages) {
  qiao::log::registerSecret("pw-Zq81-secret");
  auto r = decodeReply(reply(502, "<html><title>error for pw-Zq81-secret</title></html>", "text/html"),
                       "op", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("pw-Zq81-secret"), std::string::npos) << r.error().message;
  auto e = parseOpReply(parse(R"({"Result":{"ResponseStatus":{"IsSuccess":false,"MsgCode":11,
      "Errors":[{"FieldName":"F","Message":"bad pw-Zq81-secret","DIndex":0}]}}})"), "op");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message.find("pw-Zq81-secret"), std::string::npos) << e.error().message;
}

TEST(K3Response, IdText) {
  EXPECT_EQ(idText(json(100234)), "100234");
  EXPECT_EQ(idText(json("100234")), "100234");
  EXPECT_EQ(idText(json(0)), "");
  EXPECT_EQ(idText(json("0")), "");
  EXPECT_EQ(idText(json(nullptr)), "");
  EXPECT_EQ(idText(json(12.0)), "12");
}

}  // namespace
