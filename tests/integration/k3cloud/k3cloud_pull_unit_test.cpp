// The k3cloud source's network-free parts: `pull:` settings, K/3 times, the watermark (its text,
// the overlap and the cap) and View → Model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "k3_pull.h"

namespace {

using nlohmann::json;
namespace k3 = qiao::connectors::k3cloud;

TEST(K3PullConfig, DefaultsFollowTheForm) {
  auto r = k3::parsePullConfig(R"({"pull":{"form_id":"BD_Customer"}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->key_field, "FCUSTID");
  EXPECT_EQ(r->number_field, "FNumber");
  EXPECT_EQ(r->modified_field, "FModifyDate");
  EXPECT_EQ(r->entity, "BD_Customer");
  EXPECT_EQ(r->overlap_ms, 300000);
  EXPECT_EQ(r->page_size, 2000);
  EXPECT_EQ(r->shape, k3::PullShape::kModel);
  auto bill = k3::parsePullConfig(R"({"pull":{"form_id":"AR_RECEIVEBILL","overlap":"90s","envelope":"save"}})");
  ASSERT_TRUE(bill.ok());
  EXPECT_EQ(bill->key_field, "FID");
  EXPECT_EQ(bill->number_field, "FBillNo");
  EXPECT_EQ(bill->overlap_ms, 90000);
  EXPECT_TRUE(bill->save_envelope);
  // The config loader hands durations over as integer milliseconds.
  EXPECT_EQ(k3::parsePullConfig(R"({"pull":{"form_id":"X","overlap":600000}})")->overlap_ms, 600000);
}

TEST(K3PullConfig, EveryProblemIsReportedAtOnce) {
  auto none = k3::parsePullConfig(R"({"base_url":"http://x/"})");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("'pull' is required"), std::string::npos);
  auto bad = k3::parsePullConfig(
      R"({"pull":{"shape":"rows","page_size":0,"overlap":"5 minutes","colour":"red","key_field":"F ID"}})");
  ASSERT_FALSE(bad.ok());
  const std::string& m = bad.error().message;
  for (const char* part : {"pull.form_id is required", "pull.page_size must be between 1 and 10000",
                           "pull.overlap must be a duration", "unknown setting 'pull.colour'",
                           "pull.key_field must be a field key",
                           "pull.field_keys is required when pull.shape is rows"})
    EXPECT_NE(m.find(part), std::string::npos) << part << " in: " << m;
}

TEST(K3PullTime, ParsesK3SpellingsAndFormatsOneCanonicalForm) {
  auto a = k3::parseK3Time("2026-11-27T10:00:00");
  auto b = k3::parseK3Time("2026-11-27 10:00:00.000");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(k3::canonicalK3Time(*a), "2026-11-27T10:00:00.000");
  EXPECT_EQ(k3::canonicalK3Time(*k3::parseK3Time("2026-11-27T10:00:00.25")), "2026-11-27T10:00:00.250");
  EXPECT_EQ(k3::canonicalK3Time(*k3::parseK3Time("2024-02-29")), "2024-02-29T00:00:00.000");
  // Subtracting an overlap across a month and a year boundary, floored for the filter.
  EXPECT_EQ(k3::filterK3Time(*k3::parseK3Time("2027-01-01T00:02:00.900") - 5 * 60000),
            "2026-12-31 23:57:00");
  EXPECT_EQ(k3::canonicalK3Time(*k3::parseK3Time("1969-12-31T23:59:59.999")), "1969-12-31T23:59:59.999");
  for (const char* bad : {"", "2026-13-01", "2026-11-27X10:00", "2026-11-27T25:00:00", "27.11.2026",
                          "2026-11-27T10:00:00."})
    EXPECT_FALSE(k3::parseK3Time(bad)) << bad;
}

TEST(K3PullWatermark, RoundTripsAndRefusesAnotherFormsText) {
  k3::PullWatermark wm;
  wm.form = "AR_RECEIVEBILL";
  wm.add("100001", "2026-11-27T10:00:00.000");
  wm.add("100002", "2026-11-27T10:00:00.000");
  wm.add("100003", "2026-11-27T09:59:00.000");
  EXPECT_EQ(wm.newest, "2026-11-27T10:00:00.000");
  std::string text = k3::encodePullWatermark(wm);
  auto back = k3::decodePullWatermark(text, "AR_RECEIVEBILL");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->newest, wm.newest);
  EXPECT_EQ(back->seen, wm.seen);
  EXPECT_TRUE(back->contains("100003", "2026-11-27T09:59:00.000"));
  EXPECT_FALSE(back->contains("100003", "2026-11-27T10:00:00.000"));  // modified again: new pair
  EXPECT_FALSE(k3::decodePullWatermark(text, "BD_Customer").ok());
  for (const char* bad : {"x", "{}", R"({"v":1,"form":"AR_RECEIVEBILL","newest":"yesterday"})",
                          R"({"v":1,"form":"AR_RECEIVEBILL","seen":{"2026-11-27T10:00:00.000":[1]}})"}) {
    auto r = k3::decodePullWatermark(bad, "AR_RECEIVEBILL");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("reset the route's watermark"), std::string::npos);
  }
  auto empty = k3::decodePullWatermark("", "AR_RECEIVEBILL");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->lowerBoundMs(300000));
}

TEST(K3PullWatermark, PruneKeepsTheOverlapWindowAndHonoursTheCap) {
  k3::PullWatermark wm;
  wm.form = "F";
  wm.add("1", "2026-11-27T09:50:00.000");  // outside a 5 minute window of 10:00:00.500
  wm.add("2", "2026-11-27T09:55:00.000");  // at the floored lower bound: kept (the query returns it)
  wm.add("3", "2026-11-27T09:58:00.000");
  wm.add("4", "2026-11-27T10:00:00.500");
  EXPECT_EQ(k3::filterK3Time(*wm.lowerBoundMs(300000)), "2026-11-27 09:55:00");
  EXPECT_EQ(wm.prune(300000, 100), 0u);
  EXPECT_EQ(wm.seenCount(), 3u);
  EXPECT_FALSE(wm.contains("1", "2026-11-27T09:50:00.000"));
  EXPECT_TRUE(wm.contains("2", "2026-11-27T09:55:00.000"));
  // The cap forgets the oldest pairs first, raising the floor over them: they (and anything
  // below them) still count as emitted; the newest time stays.
  EXPECT_EQ(wm.prune(300000, 2), 1u);
  EXPECT_EQ(wm.seenCount(), 2u);
  EXPECT_EQ(wm.floor_time, "2026-11-27T09:55:00.000");
  EXPECT_EQ(wm.floor_id, "2");
  EXPECT_TRUE(wm.contains("2", "2026-11-27T09:55:00.000"));
  EXPECT_TRUE(wm.contains("1", "2026-11-27T09:55:00.000"));
  EXPECT_TRUE(wm.contains("99", "2026-11-27T09:54:59.000"));
  EXPECT_FALSE(wm.contains("10", "2026-11-27T09:55:00.000"));  // numeric order: 10 > 2
  EXPECT_FALSE(wm.contains("1", "2026-11-27T09:55:00.001"));
  EXPECT_TRUE(wm.contains("4", "2026-11-27T10:00:00.500"));
  EXPECT_EQ(wm.newest, "2026-11-27T10:00:00.500");
  auto back = k3::decodePullWatermark(k3::encodePullWatermark(wm), "F");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->floor_time, wm.floor_time);
  EXPECT_EQ(back->floor_id, "2");
  // The floor leaves once the window has moved past it.
  wm.add("5", "2026-11-27T10:30:00.000");
  wm.prune(300000, 100);
  EXPECT_TRUE(wm.floor_time.empty());
  EXPECT_EQ(wm.seenCount(), 1u);
  // Bounded text: 5000 pairs in one instant stay below 60 kB.
  for (int i = 0; i < 6000; ++i) wm.add(std::to_string(100000 + i), "2026-11-27T10:30:01.000");
  wm.prune(300000, 5000);
  EXPECT_EQ(wm.seenCount(), 5000u);
  EXPECT_EQ(wm.floor_id, "100999");  // the 1000 lowest ids of the instant (and the 10:30 one)
  EXPECT_LT(k3::encodePullWatermark(wm).size(), 60000u);
}

// Watermarks users already have stored keep decoding, mean the same, and are written back
// byte for byte (the text the source wrote before its window moved into the sdk); ids stay
// in K/3's numeric order.
TEST(K3PullWatermark, AStoredWatermarkReadsAndWritesBackUnchanged) {
  const std::string stored =
      R"({"floor":{"id":"9","t":"2026-11-27T09:55:00.000"},"form":"F",)"
      R"("newest":"2026-11-27T10:00:00.500","seen":{"2026-11-27T09:59:00.000":["9","10","100"],)"
      R"("2026-11-27T10:00:00.500":["7"]},"v":1})";
  auto wm = k3::decodePullWatermark(stored, "F");
  ASSERT_TRUE(wm.ok()) << wm.error().message;
  EXPECT_EQ(k3::encodePullWatermark(*wm), stored);
  EXPECT_TRUE(wm->contains("10", "2026-11-27T09:59:00.000"));
  EXPECT_FALSE(wm->contains("11", "2026-11-27T09:59:00.000"));
  EXPECT_TRUE(wm->contains("8", "2026-11-27T09:55:00.000"));    // at the floor, id below it
  EXPECT_FALSE(wm->contains("10", "2026-11-27T09:55:00.000"));  // numeric order: 10 > 9
  EXPECT_EQ(wm->seenCount(), 4u);
  // The cap forgets in (time, numeric id) order: 9, then 10.
  EXPECT_EQ(wm->prune(300000, 2), 2u);
  EXPECT_EQ(wm->floor_time, "2026-11-27T09:59:00.000");
  EXPECT_EQ(wm->floor_id, "10");
}

TEST(K3PullViewToModel, PropertyNamesBecomeFieldKeys) {
  json view = json::parse(R"({
    "Id": 100231, "BillNo": "SKD00000231", "DOCUMENTSTATUS": "C", "F_ABC_Ref": "x",
    "CONTACTUNIT_Id": 100002,
    "CONTACTUNIT": {"Id": 100002, "Number": "C100001", "Name": [{"Key": 2052, "Value": "苏州华东"}]},
    "CURRENCYID": null, "CURRENCYID_Id": 0,
    "Name": [{"Key": 1033, "Value": "Suzhou"}, {"Key": 2052, "Value": "苏州"}],
    "RECEIVEBILLENTRY": [
      {"Id": 200451, "Seq": 1, "PURPOSEID_Id": 7,
       "PURPOSEID": {"Id": 7, "Number": "SFKYT02_SYS", "Name": []}, "REALRECAMOUNTFOR_D": -1200.5}],
    "RECEIVEBILLSRCENTRY": []})");
  json m = k3::viewToModel(view, "FID", 2052);
  json want = json::parse(R"({
    "FID": 100231, "FBillNo": "SKD00000231", "FDOCUMENTSTATUS": "C", "F_ABC_Ref": "x",
    "FCONTACTUNIT": {"FNumber": "C100001"}, "FCURRENCYID": null, "FName": "苏州",
    "FRECEIVEBILLENTRY": [
      {"FEntryID": 200451, "FSeq": 1, "FPURPOSEID": {"FNumber": "SFKYT02_SYS"},
       "FREALRECAMOUNTFOR_D": -1200.5}],
    "FRECEIVEBILLSRCENTRY": []})");
  EXPECT_EQ(m, want) << m.dump();
  EXPECT_EQ(k3::viewToModel(json::parse(R"({"Id": 5, "Number": "C1"})"), "FCUSTID", 2052),
            json::parse(R"({"FCUSTID": 5, "FNumber": "C1"})"));
}

}  // namespace
