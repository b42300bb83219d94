// Callback XML: envelope, approval events with repeated elements as lists, external-contact
// events, and bad XML reported with the element's name.
#include <gtest/gtest.h>

#include "wecom_xml.h"

namespace w = qiao::connectors::wecom;

TEST(WecomXml, EnvelopeFieldsAndTrimmedEncrypt) {
  auto e = w::parseEnvelope(
      "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>"
      "<Encrypt><![CDATA[\n  abc+/=  \n]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->to_user_name, "ww1436e0e65a779aee");
  EXPECT_EQ(e->encrypt, "abc+/=");
  EXPECT_EQ(e->agent_id, "1000002");
}

TEST(WecomXml, EnvelopeErrorsNameTheElement) {
  auto missing = w::parseEnvelope("<xml><ToUserName>x</ToUserName></xml>");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("<xml><Encrypt>"), std::string::npos);
  auto empty = w::parseEnvelope("<xml><Encrypt><![CDATA[]]></Encrypt></xml>");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);
  auto root = w::parseEnvelope("<root><Encrypt>a</Encrypt></root>");
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.error().message.find("got <root>"), std::string::npos);
}

TEST(WecomXml, MalformedInputIsAnErrorNeverACrash) {
  for (const char* bad : {"", "<xml>", "<xml><Encrypt>a</Encrypt>", "not xml at all",
                          "<xml><a></b></xml>", "<xml><![CDATA[</xml>", "\xff\xfe<xml/>"}) {
    auto e = w::parseEnvelope(bad);
    EXPECT_FALSE(e.ok()) << bad;
    auto v = w::parseEvent(bad);
    EXPECT_FALSE(v.ok()) << bad;
  }
  auto r = w::parseEvent("<xml><MsgType>event</MsgType><a></b></xml>");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not well-formed at byte"), std::string::npos)
      << r.error().message;
}

TEST(WecomXml, ApprovalChangeKeepsEveryRecordAndApprover) {
  const char* xml = R"(<xml><ToUserName><![CDATA[wwcorp]]></ToUserName>
<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1571732272</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]></Event>
<AgentID>3010040</AgentID>
<ApprovalInfo>
 <SpNo>202506110001</SpNo><SpName><![CDATA[报销]]></SpName><SpStatus>1</SpStatus>
 <TemplateId><![CDATA[3Tka1eD6v6]]></TemplateId><ApplyTime>1571728713</ApplyTime>
 <Applyer><UserId><![CDATA[WuJunJie]]></UserId><Party><![CDATA[1]]></Party></Applyer>
 <SpRecord><SpStatus>2</SpStatus><ApproverAttr>2</ApproverAttr>
   <Details><Approver><UserId><![CDATA[A1]]></UserId></Approver><Speech><![CDATA[ok]]></Speech><SpStatus>2</SpStatus><SpTime>1571730000</SpTime></Details>
   <Details><Approver><UserId><![CDATA[A2]]></UserId></Approver><Speech/><SpStatus>2</SpStatus><SpTime>1571730001</SpTime></Details>
 </SpRecord>
 <SpRecord><SpStatus>1</SpStatus><ApproverAttr>1</ApproverAttr>
   <Details><Approver><UserId><![CDATA[B1]]></UserId></Approver><Speech/><SpStatus>1</SpStatus><SpTime>0</SpTime></Details>
 </SpRecord>
 <SpRecord><SpStatus>1</SpStatus><ApproverAttr>1</ApproverAttr></SpRecord>
 <Notifyer><UserId><![CDATA[N1]]></UserId></Notifyer><Notifyer><UserId><![CDATA[N2]]></UserId></Notifyer>
 <Comments><CommentUserInfo><UserId>LiuZhi</UserId></CommentUserInfo><CommentTime>1571732000</CommentTime><CommentContent>hi</CommentContent><CommentId>66</CommentId></Comments>
 <StatuChangeEvent>2</StatuChangeEvent>
 <SomethingNew><Nested>tolerated</Nested></SomethingNew>
</ApprovalInfo></xml>)";
  auto r = w::parseEvent(xml);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->msg_type, "event");
  EXPECT_EQ(r->event, "sys_approval_change");
  EXPECT_EQ(r->agent_id, "3010040");
  ASSERT_TRUE(r->approval.has_value());
  const auto& a = *r->approval;
  EXPECT_EQ(a.sp_no, "202506110001");
  EXPECT_EQ(a.sp_name, "\xe6\x8a\xa5\xe9\x94\x80");
  EXPECT_EQ(a.sp_status, "1");
  EXPECT_EQ(a.applyer_userid, "WuJunJie");
  EXPECT_EQ(a.statu_change_event, "2");
  ASSERT_EQ(a.sp_records.size(), 3u);
  ASSERT_EQ(a.sp_records[0].details.size(), 2u);
  EXPECT_EQ(a.sp_records[0].details[0].approver_userid, "A1");
  EXPECT_EQ(a.sp_records[0].details[0].speech, "ok");
  EXPECT_EQ(a.sp_records[0].details[1].approver_userid, "A2");
  EXPECT_EQ(a.sp_records[0].approver_attr, "2");
  ASSERT_EQ(a.sp_records[1].details.size(), 1u);
  EXPECT_EQ(a.sp_records[1].details[0].approver_userid, "B1");
  EXPECT_EQ(a.sp_records[1].details[0].sp_time, "0");
  EXPECT_TRUE(a.sp_records[2].details.empty());
  ASSERT_EQ(a.notifyers.size(), 2u);
  EXPECT_EQ(a.notifyers[1], "N2");
  ASSERT_EQ(a.comments.size(), 1u);
  EXPECT_EQ(a.comments[0].userid, "LiuZhi");
}

TEST(WecomXml, ApprovalWithoutSpNoNamesTheElement) {
  auto r = w::parseEvent(
      "<xml><MsgType>event</MsgType><Event>sys_approval_change</Event>"
      "<ApprovalInfo><SpName>x</SpName></ApprovalInfo></xml>");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("<ApprovalInfo><SpNo>"), std::string::npos);
  auto r2 = w::parseEvent("<xml><MsgType>event</MsgType><Event>sys_approval_change</Event></xml>");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("<xml><ApprovalInfo>"), std::string::npos);
  auto r3 = w::parseEvent("<xml><Event>x</Event></xml>");
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().message.find("<MsgType>"), std::string::npos);
}

TEST(WecomXml, ExternalContactChange) {
  auto r = w::parseEvent(
      "<xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
      "<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>"
      "<Event><![CDATA[change_external_contact]]></Event>"
      "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"
      "<UserID><![CDATA[zhangsan]]></UserID>"
      "<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>"
      "<State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->change_type, "add_external_contact");
  EXPECT_EQ(r->user_id, "zhangsan");
  EXPECT_EQ(r->external_user_id, "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA");
  EXPECT_EQ(r->state, "teststate");
  EXPECT_EQ(r->welcome_code, "WELCOMECODE");
  EXPECT_EQ(r->create_time, "1403610513");
  EXPECT_FALSE(r->approval.has_value());
  auto bad = w::parseEvent(
      "<xml><MsgType>event</MsgType><Event>change_external_contact</Event>"
      "<UserID>u</UserID></xml>");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("<ChangeType>"), std::string::npos);
}
