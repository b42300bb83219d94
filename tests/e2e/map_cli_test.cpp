// `qiao map` end to end: the standard order mapping over its fixtures, reverse, per-record
// errors, broken mapping files, malformed lines and --explain.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <vector>

#include "qiao/testkit/testkit.h"

namespace qiao::e2e {
namespace {

using nlohmann::json;

const std::string kMapping = "mappings/standard/crm_order_to_k3_sale_order.yaml";

struct MapRun {
  int rc = -1;
  std::string out;  // stdout only
  std::string err;  // stderr only
};

// Runs `qiao map ARGS` with stdout and stderr captured apart.
MapRun qiaoMap(const testkit::TempDir& dir, const std::string& args) {
  MapRun r;
  std::string err_file = dir.file("stderr.txt");
  r.rc = testkit::runCommand(
      "( " + testkit::binPath("qiao") + " map " + args + " 2>" + err_file + " )", &r.out);
  r.err = testkit::readFile(err_file);
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) v.push_back(l);
  return v;
}

std::string mapping() { return testkit::sourcePath(kMapping); }
std::vector<std::string> orders() {
  return lines(testkit::readFile(testkit::sourcePath("mappings/standard/fixtures/orders.ndjson")));
}
std::vector<std::string> expected() {
  return lines(
      testkit::readFile(testkit::sourcePath("mappings/standard/fixtures/expected.ndjson")));
}

// "file:line:column" of the rule whose text contains needle in the standard mapping, as the
// loader quotes it (the column of the rule's '{').
std::string rulePosition(const std::string& needle) {
  auto ls = lines(testkit::readFile(mapping()));
  for (size_t i = 0; i < ls.size(); ++i) {
    if (ls[i].find(needle) == std::string::npos) continue;
    return mapping() + ":" + std::to_string(i + 1) + ":" + std::to_string(ls[i].find('{') + 1);
  }
  ADD_FAILURE() << "no rule with " << needle;
  return "?";
}

TEST(MapCli, StandardMappingOverFixturesMatchesExpectedByteForByte) {
  testkit::TempDir dir;
  MapRun r = qiaoMap(dir, "--mapping " + mapping() + " --input " +
                              testkit::sourcePath("mappings/standard/fixtures/orders.ndjson"));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            testkit::readFile(testkit::sourcePath("mappings/standard/fixtures/expected.ndjson")));
}

TEST(MapCli, StdinAndJsonArrayInputs) {
  testkit::TempDir dir;
  auto in = orders(), want = expected();
  ASSERT_GE(in.size(), 3u);
  testkit::writeFile(dir.file("two.ndjson"), in[0] + "\n\n" + in[1] + "\n");
  MapRun s = qiaoMap(dir, "--mapping " + mapping() + " --input - < " + dir.file("two.ndjson"));
  EXPECT_EQ(s.rc, 0) << s.err;
  EXPECT_EQ(s.out, want[0] + "\n" + want[1] + "\n");

  testkit::writeFile(dir.file("arr.json"), "[" + in[0] + ",\n" + in[2] + "]");
  MapRun a = qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("arr.json"));
  EXPECT_EQ(a.rc, 0) << a.err;
  EXPECT_EQ(a.out, want[0] + "\n" + want[2] + "\n");

  testkit::writeFile(dir.file("one.json"), in[1]);
  MapRun p =
      qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("one.json") + " --pretty");
  EXPECT_EQ(p.rc, 0) << p.err;
  EXPECT_GT(lines(p.out).size(), 20u);
  EXPECT_EQ(json::parse(p.out), json::parse(want[1]));
}

TEST(MapCli, ReverseOfAMappedRecordGivesBackTheInvertibleFields) {
  testkit::TempDir dir;
  json order = json::parse(orders().at(0));
  testkit::writeFile(dir.file("k3.json"), expected().at(0));
  MapRun r =
      qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("k3.json") + " --reverse");
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(lines(r.out).size(), 1u) << r.out;
  json back = json::parse(r.out);
  for (const char* f :
       {"orderId", "orderDate", "customerCode", "customerName", "currency", "status", "totalAmount",
        "taxAmount", "paymentTerms", "remark", "externalRef"})
    EXPECT_EQ(back.value(f, json()), order[f]) << f;
  ASSERT_EQ(back["lines"].size(), order["lines"].size());
  for (size_t i = 0; i < order["lines"].size(); ++i) {
    for (const char* f : {"lineNo", "materialCode", "qty", "price"})
      EXPECT_EQ(back["lines"][i].value(f, json()), order["lines"][i][f]) << i << " " << f;
  }
  // The mapping's non-invertible targets are named on stderr.
  EXPECT_NE(r.err.find("FAllAmount: expr cannot be reversed"), std::string::npos) << r.err;
}

TEST(MapCli, RecordWithABadFieldExitsFiveNamingLineKeyPathRuleAndValue) {
  testkit::TempDir dir;
  auto in = orders(), want = expected();
  ASSERT_GE(in.size(), 5u);
  json bad = json::parse(in[2]);
  bad["lines"][1]["qty"] = "abc";
  testkit::writeFile(dir.file("bad.ndjson"),
                     in[0] + "\n" + in[1] + "\n" + bad.dump() + "\n" + in[3] + "\n" + in[4] + "\n");
  MapRun r = qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("bad.ndjson"));
  EXPECT_EQ(r.rc, 5) << r.err;
  std::string key = bad["orderId"];
  std::string line = dir.file("bad.ndjson") + ":3: " + key +
                     ": lines[1].qty -> data.Model.FSaleOrderEntry[1].FQty (" +
                     rulePosition("to: FQty") + " rules[";
  EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rules[3]): value \"abc\": not a decimal number\n"), std::string::npos)
      << r.err;
  // The computed amount reading the same qty fails too: every field error is listed.
  EXPECT_NE(
      r.err.find(":3: " + key + ": lines[1].qty -> data.Model.FSaleOrderEntry[1].FAllAmount ("),
      std::string::npos)
      << r.err;
  // Only record 3 failed; the others are on stdout, in order.
  EXPECT_EQ(r.out, want[0] + "\n" + want[1] + "\n" + want[3] + "\n" + want[4] + "\n");

  // --explain marks the failed fields of the failed record.
  MapRun x =
      qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("bad.ndjson") + " --explain");
  EXPECT_EQ(x.rc, 5);
  EXPECT_NE(x.out.find("\n#   data.Model.FSaleOrderEntry[1].FQty !! not a decimal number  <- "
                       "lines[1].qty=\"abc\""),
            std::string::npos)
      << x.out.substr(0, 3000);
}

TEST(MapCli, BrokenMappingFileExitsOneWithEveryPositionedDiagnostic) {
  testkit::TempDir dir;
  testkit::writeFile(dir.file("broken.yaml"),
                     "mapping: broken\n"
                     "rules:\n"
                     "  - {to: a, from: b, map: {table: nope}}\n"
                     "  - {from: c}\n");
  testkit::writeFile(dir.file("in.ndjson"), orders().at(0) + "\n");
  MapRun r =
      qiaoMap(dir, "--mapping " + dir.file("broken.yaml") + " --input " + dir.file("in.ndjson"));
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(
      r.err.find(dir.file("broken.yaml") + ":3:35: rules[0].map.table: no value map 'nope'\n"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(dir.file("broken.yaml") + ":4:5: rules[1]: missing 'to'"), std::string::npos)
      << r.err;

  MapRun missing =
      qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("nothere.ndjson"));
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.err.find("nothere.ndjson"), std::string::npos) << missing.err;

  MapRun usage = qiaoMap(dir, "--mapping " + mapping());
  EXPECT_EQ(usage.rc, 2);
  EXPECT_NE(usage.err.find("usage: qiao map"), std::string::npos) << usage.err;
}

TEST(MapCli, MalformedLineIsNamedByLineNumberAndSkipped) {
  testkit::TempDir dir;
  auto in = orders(), want = expected();
  testkit::writeFile(dir.file("m.ndjson"), in[0] + "\n{\"orderId\": \"SO-X\",,}\n" + in[1] + "\n");
  MapRun r = qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("m.ndjson"));
  EXPECT_EQ(r.rc, 5);
  EXPECT_NE(r.err.find(dir.file("m.ndjson") + ":2: malformed JSON"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.out, want[0] + "\n" + want[1] + "\n");

  // A malformed .json file is unreadable input as a whole.
  testkit::writeFile(dir.file("m.json"), "{\"a\": 1,");
  MapRun j = qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("m.json"));
  EXPECT_EQ(j.rc, 1);
  EXPECT_NE(j.err.find(dir.file("m.json") + ": "), std::string::npos) << j.err;
}

TEST(MapCli, ExplainListsEveryTargetFieldWithRulePositionAndSourceValues) {
  testkit::TempDir dir;
  auto in = orders(), want = expected();
  testkit::writeFile(dir.file("one.ndjson"), in[0] + "\n");
  MapRun r =
      qiaoMap(dir, "--mapping " + mapping() + " --input " + dir.file("one.ndjson") + " --explain");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto out = lines(r.out);
  ASSERT_GE(out.size(), 3u);
  EXPECT_EQ(out[0], want[0]);  // the document first, then '#' lines
  json order = json::parse(in[0]);
  EXPECT_EQ(out[1], "# " + dir.file("one.ndjson") + ":1: " + order["orderId"].get<std::string>());

  // Every explain line names a rule position in the mapping file.
  std::regex shape("^#   \\S+ (= .+|\\(not written\\)|!! .+)  @ " +
                   std::regex_replace(mapping(), std::regex("[.]"), "\\.") +
                   ":[0-9]+:[0-9]+ rules\\[[0-9]+\\](\\.rules\\[[0-9]+\\])?$");
  std::map<std::string, std::string> by_target;
  for (size_t i = 2; i < out.size(); ++i) {
    EXPECT_TRUE(std::regex_match(out[i], shape)) << out[i];
    by_target[out[i].substr(4, out[i].find(' ', 4) - 4)] = out[i];
  }
  // Every field of the mapped document has its line, with the value produced.
  json doc = json::parse(want[0]);
  for (auto& [k, v] : doc["data"]["Model"].items()) {
    std::string t = "data.Model." + k;
    ASSERT_TRUE(by_target.count(t)) << t;
    if (!v.is_array()) {
      EXPECT_NE(by_target[t].find(" = " + v.dump() + "  "), std::string::npos) << by_target[t];
    }
  }
  auto& entry = doc["data"]["Model"]["FSaleOrderEntry"];
  for (size_t i = 0; i < entry.size(); ++i)
    for (auto& [k, v] : entry[i].items()) {
      std::string t = "data.Model.FSaleOrderEntry[" + std::to_string(i) + "]." + k;
      ASSERT_TRUE(by_target.count(t)) << t;
      EXPECT_NE(by_target[t].find(" = " + v.dump() + "  "), std::string::npos) << by_target[t];
    }
  // Source paths and values used, with the rule's position.
  std::string qty = order["lines"][0]["qty"];
  EXPECT_EQ(by_target["data.Model.FSaleOrderEntry[0].FQty"].rfind(
                "#   data.Model.FSaleOrderEntry[0].FQty = " + qty + "  <- lines[0].qty=\"" + qty +
                    "\" | decimal  @ " + rulePosition("to: FQty") + " rules[",
                0),
            0u)
      << by_target["data.Model.FSaleOrderEntry[0].FQty"];
  EXPECT_NE(by_target["data.Model.FBillNo"].find(
                "<- orderId=\"" + order["orderId"].get<std::string>() + "\"  @ " +
                rulePosition("to: data.Model.FBillNo") + " rules["),
            std::string::npos)
      << by_target["data.Model.FBillNo"];
  EXPECT_NE(by_target["data.Model.FSaleOrderEntry[0].FAllAmount"].find("lines[0].qty=\"" + qty +
                                                                       "\", lines[0].price="),
            std::string::npos);
  // A fallback source: the line has no deliveryDate, so the order's is used.
  ASSERT_FALSE(order["lines"][1].contains("deliveryDate"));
  EXPECT_NE(by_target["data.Model.FSaleOrderEntry[1].FDeliveryDate"].find(
                "lines[1].deliveryDate=(absent), ^requestedDeliveryDate=\"" +
                order["requestedDeliveryDate"].get<std::string>() + "\""),
            std::string::npos)
      << by_target["data.Model.FSaleOrderEntry[1].FDeliveryDate"];
}

TEST(MapCli, XrefFileFeedsLookupRulesBothWaysAndNamesMissingIds) {
  testkit::TempDir dir;
  testkit::writeFile(dir.file("m.yaml"),
                     "mapping: xref\nkey: orderId\nrules:\n"
                     "  - {to: FCustId, from: customerId, lookup: {entity: customer, system: "
                     "k3cloud}, ref: FNumber}\n"
                     "  - {to: FBillNo, from: orderId}\n");
  testkit::writeFile(dir.file("xref.json"),
                     R"([{"entity":"customer","system":"k3cloud","local":"C-001","remote":"CUST0042"},)"
                     R"( {"entity":"customer","system":"other","local":"C-002","remote":"X"}])");
  testkit::writeFile(dir.file("in.ndjson"), "{\"orderId\":\"SO-1\",\"customerId\":\"C-001\"}\n"
                                            "{\"orderId\":\"SO-2\",\"customerId\":\"C-002\"}\n");
  const std::string base = "--mapping " + dir.file("m.yaml") + " --input ";
  MapRun r = qiaoMap(dir, base + dir.file("in.ndjson") + " --xref " + dir.file("xref.json"));
  EXPECT_EQ(r.rc, 5) << r.err;
  EXPECT_EQ(r.out, "{\"FCustId\":{\"FNumber\":\"CUST0042\"},\"FBillNo\":\"SO-1\"}\n");
  EXPECT_NE(r.err.find(dir.file("in.ndjson") + ":2: SO-2: customerId -> FCustId (" +
                       dir.file("m.yaml") + ":4:5 rules[0]): value \"C-002\": no cross-reference "
                       "for customer 'C-002' in k3cloud\n"),
            std::string::npos)
      << r.err;

  testkit::writeFile(dir.file("k3.json"), "{\"FCustId\":{\"FNumber\":\"CUST0042\"},\"FBillNo\":\"SO-1\"}");
  MapRun back = qiaoMap(dir, base + dir.file("k3.json") + " --reverse --explain --xref " +
                                 dir.file("xref.json"));
  EXPECT_EQ(back.rc, 0) << back.err;
  EXPECT_EQ(lines(back.out).at(0), "{\"customerId\":\"C-001\",\"orderId\":\"SO-1\"}");
  EXPECT_NE(back.out.find("#   customerId = \"C-001\"  <- FCustId={\"FNumber\":\"CUST0042\"} | "
                          "unwrap FNumber, lookup k3cloud customer -> local id  @ "),
            std::string::npos)
      << back.out;

  // Without --xref a lookup rule is a field error; a bad --xref file is refused up front.
  MapRun none = qiaoMap(dir, base + dir.file("in.ndjson"));
  EXPECT_EQ(none.rc, 5);
  EXPECT_NE(none.err.find("lookup needs the gateway's ID cross-reference"), std::string::npos)
      << none.err;
  testkit::writeFile(dir.file("bad.json"), R"([{"entity":"customer","system":"k3cloud","local":"C-1"}])");
  MapRun bad = qiaoMap(dir, base + dir.file("in.ndjson") + " --xref " + dir.file("bad.json"));
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, "qiao map: --xref " + dir.file("bad.json") +
                         "[0]: \"remote\" must be a non-empty text\n");
  EXPECT_EQ(bad.out, "");
}

}  // namespace
}  // namespace qiao::e2e
