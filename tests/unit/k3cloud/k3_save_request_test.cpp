// How a record becomes a Save request: the payload shapes our mappings produce, the
// connector's Save options, and the external reference used for lookups.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "k3_sink.h"
#include "qiao/testkit/testkit.h"

namespace {

using namespace qiao::connectors::k3cloud;
using nlohmann::json;
namespace tk = qiao::testkit;

K3Config config() {
  K3Config c;
  c.base_url = "http://127.0.0.1:1/K3Cloud/";
  c.acct_id = "a";
  c.username = "u";
  c.password = "p";
  return c;
}

qiao::Record record(std::string payload, std::string key = "idem-1") {
  qiao::Record r;
  r.payload = std::move(payload);
  r.idempotency_key = std::move(key);
  r.business_key = "SO-1";
  return r;
}

TEST(K3SaveRequest, StandardMappingOutputIsAcceptedAsIs) {
  // The first golden output of mappings/standard/crm_order_to_k3_sale_order.yaml.
  std::string text = tk::readFile(tk::sourcePath("mappings/standard/fixtures/expected.ndjson"));
  std::string line = text.substr(0, text.find('\n'));
  ASSERT_FALSE(line.empty());
  auto req = buildSaveRequest(config(), record(line, "qiao-orders-17"));
  ASSERT_TRUE(req.ok()) << req.error().message;
  auto mapped = json::parse(line);
  EXPECT_EQ(req->form_id, mapped["formid"]);
  const auto& model = req->data["Model"];
  EXPECT_EQ(model["FCustId"], mapped["data"]["Model"]["FCustId"]);
  EXPECT_EQ(model["FSaleOrderEntry"].size(), mapped["data"]["Model"]["FSaleOrderEntry"].size());
  EXPECT_EQ(model["FNetOrderBillNo"], "qiao-orders-17");
  EXPECT_EQ(req->ref_field, "FNetOrderBillNo");
  EXPECT_EQ(req->ref_value, "qiao-orders-17");
  EXPECT_EQ(req->data["IsVerifyBaseDataField"], true);
  EXPECT_EQ(req->data["IsDeleteEntry"], true);
  EXPECT_EQ(req->data["IsAutoSubmitAndAudit"], false);  // the mapping's own option kept
  EXPECT_FALSE(req->auto_submit_audit);
}

TEST(K3SaveRequest, ConfiguredOptionsUnlessThePayloadGivesThem) {
  auto c = config();
  c.need_update_fields = {"FNote"};
  c.need_return_fields = {"FBillNo", "FID"};
  c.is_verify_base_data_field = false;
  auto req = buildSaveRequest(
      c, record(R"({"NeedReturnFields":["FDate"],"isdeleteentry":false,"Model":{"FNote":"x"}})"));
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->form_id, "SAL_SaleOrder");
  EXPECT_EQ(req->data["NeedUpDateFields"], json::array({"FNote"}));
  EXPECT_EQ(req->data["NeedReturnFields"], json::array({"FDate"}));
  EXPECT_EQ(req->data["IsVerifyBaseDataField"], false);
  EXPECT_FALSE(req->data.contains("IsDeleteEntry"));  // given as isdeleteentry: not doubled
  EXPECT_EQ(req->data["isdeleteentry"], false);
}

TEST(K3SaveRequest, MappingSetReferenceWinsAndDataMayBeAString) {
  auto req = buildSaveRequest(
      config(), record(R"({"FormId":"SAL_SaleOrder","Data":"{\"IsAutoSubmitAndAudit\":\"true\",\"Model\":{\"FNetOrderBillNo\":\"WEB-9\"}}"})"));
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->ref_value, "WEB-9");
  EXPECT_EQ(req->data["Model"]["FNetOrderBillNo"], "WEB-9");
  EXPECT_TRUE(req->auto_submit_audit);
}

TEST(K3SaveRequest, AutoSubmitAuditOverridesTheMappingsDefault) {
  auto c = config();
  c.auto_submit_audit = true;
  auto req = buildSaveRequest(
      c, record(R"({"formid":"SAL_SaleOrder","data":{"IsAutoSubmitAndAudit":false,"Model":{}}})"));
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->data["IsAutoSubmitAndAudit"], true);
  EXPECT_TRUE(req->auto_submit_audit);
  auto bare = buildSaveRequest(c, record(R"({"Model":{}})"));
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->data["IsAutoSubmitAndAudit"], true);
  auto off = buildSaveRequest(config(), record(R"({"Model":{}})"));
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->data.contains("IsAutoSubmitAndAudit"));
  EXPECT_FALSE(off->auto_submit_audit);
}

TEST(K3SaveRequest, WithoutReferenceFieldFallsBackToBillNumber) {
  auto c = config();
  c.external_ref_field = "";
  auto req = buildSaveRequest(c, record(R"({"Model":{"FBillNo":"SO-77"}})"));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->ref_field, "FBillNo");
  EXPECT_EQ(req->ref_value, "SO-77");
  EXPECT_FALSE(req->data["Model"].contains("FNetOrderBillNo"));
  auto none = buildSaveRequest(c, record(R"({"Model":{"FNote":"x"}})"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->ref_field, "");
  auto customer = buildSaveRequest(c, record(R"({"formid":"BD_Customer","data":{"Model":{"FNumber":"C1"}}})"));
  ASSERT_TRUE(customer.ok());
  EXPECT_EQ(customer->ref_field, "FNumber");
  EXPECT_EQ(lookupFieldsFor("BD_Customer").id, "FCUSTID");
  EXPECT_EQ(lookupFieldsFor("SAL_SaleOrder").id, "FID");
}

TEST(K3SaveRequest, BadPayloadsArePermanentWithAReason) {
  struct Case {
    const char* payload;
    const char* expect;
  } cases[] = {
      {"not json", "is not valid JSON"},
      {"[1]", "must be a JSON object"},
      {R"({"formid":"X"})", "has 'formid' but no 'data'"},
      {R"({"formid":7,"data":{}})", "'formid' must be a non-empty string"},
      {R"({"formid":"X","data":"{bad"})", "'data' is a string but not JSON"},
      {R"({"Foo":1})", "has no 'Model'"},
      {R"({"Model":[{"a":1}]})", "'Model' must be one object"},
  };
  for (const auto& c : cases) {
    auto r = buildSaveRequest(config(), record(c.payload));
    ASSERT_FALSE(r.ok()) << c.payload;
    EXPECT_EQ(r.error().klass, qiao::ErrorClass::kPermanent);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos)
        << c.payload << " → " << r.error().message;
  }
}

}  // namespace
