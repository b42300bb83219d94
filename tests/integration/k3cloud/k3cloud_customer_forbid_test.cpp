// forbid_operation: FForbidStatus in a BD_Customer Save body is applied with ExcuteOperation
// Forbid / Enable (reference 1.2), checked against the current state first, and never saved.
// An update naming only FForbidStatus (the customer sync's forbid / enable / delete writes)
// makes no Save at all.
#include "k3_sim_fixture.h"

namespace k3test {
namespace {

class K3CustomerForbidTest : public K3SimTest {
 protected:
  json seededCustomer() {
    auto r = tk::http("POST", port_, "/sim/k3cloud/_customers/seed", R"({"count":1,"seed":5})");
    EXPECT_EQ(r.status, 200) << r.body;
    auto all = json::parse(tk::http("GET", port_, "/sim/k3cloud/_bills/BD_Customer").body);
    return all.back();
  }
  json customer(int64_t id) {
    return json::parse(tk::http("GET", port_, "/sim/k3cloud/_bills/BD_Customer/" + std::to_string(id)).body);
  }
  static json sinkSettings(json extra = json::object()) {
    json s = {{"form_id", "BD_Customer"}, {"submit", true}, {"audit", true},
              {"unaudit_to_update", true}, {"external_ref_field", ""}};
    s.update(extra);
    return settings("sign", s);
  }
  // What the customer sync sends for forbid / enable: the Model, NeedUpDateFields [FForbidStatus].
  static qiao::Record statusWrite(int64_t id, const char* status, int attempt = 1, json need = {"FForbidStatus"}) {
    qiao::Record r;
    json data = {{"Model", {{"FCUSTID", id}, {"FName", "never written"}, {"FForbidStatus", status}}}};
    if (!need.is_null()) data["NeedUpDateFields"] = need;
    r.payload = json{{"formid", "BD_Customer"}, {"data", data}}.dump();
    r.idempotency_key = "qiao-sync-forbid-" + std::to_string(id);
    r.attempt = attempt;
    return r;
  }
};

TEST_F(K3CustomerForbidTest, ForbidAndEnableAreOperationsNotSaves) {
  json before = seededCustomer();
  int64_t id = before.value("FCUSTID", int64_t{0});
  ASSERT_EQ(before.value("FForbidStatus", ""), "A");
  auto sink = makeSink(sinkSettings());
  const int64_t saves = calls("Save"), unaudits = calls("UnAudit");

  auto d = sink->deliver(statusWrite(id, "B"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  json after = customer(id);
  EXPECT_EQ(after.value("FForbidStatus", ""), "B");
  EXPECT_EQ(after.value("FDocumentStatus", ""), "C") << "Forbid leaves the document status";
  EXPECT_EQ(after.value("FName", json()), before.value("FName", json())) << "nothing saved";
  EXPECT_NE(after.value("FModifyDate", json()), before.value("FModifyDate", json()));
  EXPECT_EQ(calls("ExcuteOperation"), 1);
  EXPECT_EQ(calls("Save"), saves);
  EXPECT_EQ(calls("UnAudit"), unaudits);
  EXPECT_EQ(json::parse(d->result_json).value("Id", ""), std::to_string(id));

  // A retry of the same write (its first try took effect): no second Forbid, which K/3 would
  // refuse with "already forbidden".
  auto again = sink->deliver(statusWrite(id, "B", 2));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(calls("ExcuteOperation"), 1);

  auto en = sink->deliver(statusWrite(id, "A"));
  ASSERT_TRUE(en.ok()) << en.error().message;
  EXPECT_EQ(customer(id).value("FForbidStatus", ""), "A");
  EXPECT_EQ(calls("ExcuteOperation"), 2);
  EXPECT_EQ(calls("Save"), saves);
}

TEST_F(K3CustomerForbidTest, AnUpdateWithOtherFieldsSavesThemThenForbids) {
  json before = seededCustomer();
  int64_t id = before.value("FCUSTID", int64_t{0});
  auto sink = makeSink(sinkSettings());
  qiao::Record r = statusWrite(id, "B", 1, {"FName", "FForbidStatus"});
  auto d = sink->deliver(r);
  ASSERT_TRUE(d.ok()) << d.error().message;
  json after = customer(id);
  EXPECT_EQ(after.value("FName", ""), "never written" /* named: it is written */);
  EXPECT_EQ(after.value("FForbidStatus", ""), "B");
  EXPECT_EQ(after.value("FDocumentStatus", ""), "C");
  EXPECT_EQ(calls("Save"), 1);
  EXPECT_EQ(calls("ExcuteOperation"), 1);
}

TEST_F(K3CustomerForbidTest, AnUpdateNotNamingFForbidStatusLeavesIt) {
  json before = seededCustomer();
  int64_t id = before.value("FCUSTID", int64_t{0});
  auto sink = makeSink(sinkSettings());
  auto d = sink->deliver(statusWrite(id, "B", 1, {"FName"}));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(customer(id).value("FForbidStatus", ""), "A");
  EXPECT_EQ(calls("ExcuteOperation"), 0);
}

TEST_F(K3CustomerForbidTest, AnUnknownCustomerIsAClearError) {
  auto sink = makeSink(sinkSettings());
  auto d = sink->deliver(statusWrite(987654, "B"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("no record with FCUSTID 987654"), std::string::npos) << d.error().message;
  EXPECT_EQ(calls("ExcuteOperation"), 0);
}

TEST_F(K3CustomerForbidTest, ABadStatusValueIsRefusedBeforeAnyCall) {
  auto sink = makeSink(sinkSettings());
  auto d = sink->deliver(statusWrite(1, "X"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("FForbidStatus' must be \"A\""), std::string::npos) << d.error().message;
}

TEST_F(K3CustomerForbidTest, TurnedOffTheStatusGoesThroughSave) {
  json before = seededCustomer();
  int64_t id = before.value("FCUSTID", int64_t{0});
  auto sink = makeSink(sinkSettings({{"forbid_operation", false}}));
  auto d = sink->deliver(statusWrite(id, "B"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(calls("ExcuteOperation"), 0);
  EXPECT_EQ(calls("Save"), 1);
}

}  // namespace
}  // namespace k3test
