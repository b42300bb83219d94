// BD_Customer updates as the customer sync sends them: Model with FCUSTID + NeedUpDateFields.
// An audited customer cannot be saved (MsgCode 12) unless unaudit_to_update UnAudits it first;
// the fields not named in NeedUpDateFields keep their values, and submit/audit bring it back.
#include "k3_sim_fixture.h"

namespace k3test {
namespace {

class K3CustomerUpdateTest : public K3SimTest {
 protected:
  json seededCustomer() {
    auto r = tk::http("POST", port_, "/sim/k3cloud/_customers/seed", R"({"count":1,"seed":9})");
    EXPECT_EQ(r.status, 200) << r.body;
    auto all = json::parse(tk::http("GET", port_, "/sim/k3cloud/_bills/BD_Customer").body);
    return all.back();  // the seeded one is the newest
  }
  json customer(int64_t id) {
    return json::parse(tk::http("GET", port_, "/sim/k3cloud/_bills/BD_Customer/" + std::to_string(id)).body);
  }
  static qiao::Record update(int64_t id, const std::string& key) {
    qiao::Record r;
    r.payload = json{{"formid", "BD_Customer"},
                     {"data", {{"NeedUpDateFields", {"FTEL"}},
                               {"Model", {{"FCUSTID", id}, {"FTEL", "0512-62580000"}, {"FADDRESS", "never written"}}}}}}
                    .dump();
    r.idempotency_key = key;
    r.attempt = 1;
    return r;
  }
};

TEST_F(K3CustomerUpdateTest, AuditedCustomerIsUnauditedUpdatedAndAuditedAgain) {
  json before = seededCustomer();
  int64_t id = before.value("FCUSTID", int64_t{0});
  ASSERT_GT(id, 0);
  ASSERT_EQ(before.value("FDocumentStatus", ""), "C");
  auto sink = makeSink(settings("sign", {{"form_id", "BD_Customer"}, {"submit", true}, {"audit", true},
                                         {"unaudit_to_update", true}, {"external_ref_field", ""}}));
  auto d = sink->deliver(update(id, "qiao-sync-w1"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(json::parse(d->result_json).value("Id", ""), std::to_string(id));
  json after = customer(id);
  EXPECT_EQ(after.value("FTEL", ""), "0512-62580000");
  EXPECT_EQ(after.value("FADDRESS", json()), before.value("FADDRESS", json())) << "not in NeedUpDateFields";
  EXPECT_EQ(after.value("FName", json()), before.value("FName", json()));
  EXPECT_EQ(after.value("FDocumentStatus", ""), "C");
}

TEST_F(K3CustomerUpdateTest, WithoutUnauditTheAuditedCustomerIsRefused) {
  json before = seededCustomer();
  int64_t id = before.value("FCUSTID", int64_t{0});
  auto sink = makeSink(settings("sign", {{"form_id", "BD_Customer"}, {"submit", true}, {"audit", true},
                                         {"external_ref_field", ""}}));
  auto d = sink->deliver(update(id, "qiao-sync-w2"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("不允许修改"), std::string::npos) << d.error().message;
  EXPECT_EQ(customer(id).value("FTEL", json()), before.value("FTEL", json()));
}

TEST_F(K3CustomerUpdateTest, AnIdThatIsNotANumberIsRefusedBeforeAnyCall) {
  auto sink = makeSink(settings("sign", {{"form_id", "BD_Customer"}, {"unaudit_to_update", true},
                                         {"external_ref_field", ""}}));
  qiao::Record r = update(1, "k");
  r.payload = R"({"formid":"BD_Customer","data":{"Model":{"FCUSTID":"1 OR 1=1","FTEL":"1"}}})";
  auto d = sink->deliver(r);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("FCUSTID' must be a numeric id"), std::string::npos) << d.error().message;
}

}  // namespace
}  // namespace k3test
