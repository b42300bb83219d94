// First-sync matching with real-looking Chinese company names.
#include <gtest/gtest.h>

#include <chrono>

#include "qiao/sync/match.h"

namespace qiao::sync {
namespace {

CustomerRecord cust(std::string id, std::string name, std::string phone = "",
                    std::string tax = "") {
  CustomerRecord r;
  r.id = std::move(id);
  if (!name.empty()) r.fields["name"] = std::move(name);
  if (!phone.empty()) r.fields["phone"] = std::move(phone);
  if (!tax.empty()) r.fields["taxRegisterCode"] = std::move(tax);
  return r;
}

MatchResult run(const std::vector<CustomerRecord>& crm, const std::vector<CustomerRecord>& k3) {
  auto r = matchCustomers({"crm", "k3", &crm, &k3});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : MatchResult{};
}

TEST(SyncMatch, TaxCodeMatchesWhateverTheNames) {
  std::vector<CustomerRecord> crm = {cust("C1", "华东精机", "", "9135 0100 m000 100y43")};
  std::vector<CustomerRecord> k3 = {cust("100501", "福州某某科技有限公司", "", "91350100M000100Y43")};
  MatchResult m = run(crm, k3);
  ASSERT_EQ(m.pairs.size(), 1u);
  EXPECT_EQ(m.pairs[0], (MatchedPair{"C1", "100501", MatchBasis::kTaxCode}));
  EXPECT_TRUE(m.unmatched_a.empty());
  EXPECT_TRUE(m.unmatched_b.empty());
}

TEST(SyncMatch, SameCompanyWrittenFourWaysMatchesByNameAndPhone) {
  std::vector<CustomerRecord> crm = {
      cust("C1", "苏州华东精密机械有限公司", "0512-6258 8888"),
      cust("C2", "宁波北仑模具有限责任公司", "+86 138 0013 8000"),
      cust("C3", "（苏州）华东精密机械", "13912345678"),
      cust("C4", "ＳＵＺＨＯＵ　ＭＩＮＧＤＡ　ＣＯ．，ＬＴＤ．", "051288886666"),
  };
  std::vector<CustomerRecord> k3 = {
      cust("200", "苏州华东精密机械有限责任公司", "051262588888"),
      cust("201", "宁波北仑模具股份有限公司", "13800138000"),
      cust("202", "苏州华东精密机械有限公司", "+86 139-1234-5678"),
      cust("203", "Suzhou Mingda Co., Ltd.", "0512 8888 6666"),
  };
  MatchResult m = run(crm, k3);
  // C1 and C3 are the same normalised name with different phones: each pairs with the K/3
  // record that has its phone, and nothing is left for review.
  std::vector<MatchedPair> want = {{"C1", "200", MatchBasis::kNamePhone},
                                   {"C2", "201", MatchBasis::kNamePhone},
                                   {"C3", "202", MatchBasis::kNamePhone},
                                   {"C4", "203", MatchBasis::kNamePhone}};
  EXPECT_EQ(m.pairs, want);
  EXPECT_TRUE(m.review.empty());
}

TEST(SyncMatch, SimilarButDifferentCompaniesDoNotMatch) {
  std::vector<CustomerRecord> crm = {
      cust("C1", "苏州华东精密机械有限公司", "051262588888"),
      cust("C2", "苏州华东精密模具有限公司", "051262588889"),
  };
  std::vector<CustomerRecord> k3 = {
      cust("300", "无锡华东精密机械有限公司", "051262588888"),
      cust("301", "苏州华东精密机械制造有限公司", "051262588888"),
      cust("302", "苏州华东精密模具有限公司", "051262580000"),
  };
  MatchResult m = run(crm, k3);
  EXPECT_TRUE(m.pairs.empty());
  // C2/302: same name, different phones -> review, never an automatic pair
  ASSERT_EQ(m.review.size(), 1u);
  EXPECT_EQ(m.review[0].basis, MatchBasis::kNameOnly);
  EXPECT_EQ(m.review[0].a_ids, std::vector<std::string>{"C2"});
  EXPECT_EQ(m.review[0].b_ids, std::vector<std::string>{"302"});
  EXPECT_EQ(m.unmatched_a, std::vector<std::string>{"C1"});
  EXPECT_EQ(m.unmatched_b, (std::vector<std::string>{"300", "301"}));
}

TEST(SyncMatch, SeveralCandidatesGoToReviewNeverPaired) {
  std::vector<CustomerRecord> crm = {
      cust("C1", "杭州东方轴承有限公司", "057188001234"),
      cust("C2", "杭州东方轴承股份有限公司", "0571-8800-1234"),
      cust("C7", "温州瑞安阀门厂", "", "91320594MA1P8EXA2U"),
  };
  std::vector<CustomerRecord> k3 = {
      cust("400", "杭州东方轴承有限责任公司", "057188001234"),
      cust("401", "瑞安阀门", "", "91320594MA1P8EXA2U"),
      cust("402", "瑞安市阀门厂", "", "91320594-MA1P8EXA2U"),
  };
  MatchResult m = run(crm, k3);
  EXPECT_TRUE(m.pairs.empty());
  ASSERT_EQ(m.review.size(), 2u);
  EXPECT_EQ(m.review[0].basis, MatchBasis::kTaxCode);
  EXPECT_EQ(m.review[0].a_ids, std::vector<std::string>{"C7"});
  EXPECT_EQ(m.review[0].b_ids, (std::vector<std::string>{"401", "402"}));
  EXPECT_EQ(m.review[1].basis, MatchBasis::kNamePhone);
  EXPECT_EQ(m.review[1].a_ids, (std::vector<std::string>{"C1", "C2"}));
  EXPECT_EQ(m.review[1].b_ids, std::vector<std::string>{"400"});
  EXPECT_NE(m.review[1].reason.find("2 candidate(s) on crm"), std::string::npos);
  EXPECT_TRUE(m.unmatched_a.empty());
  EXPECT_TRUE(m.unmatched_b.empty());
}

TEST(SyncMatch, DifferentValidTaxCodesVetoANameAndPhonePair) {
  std::vector<CustomerRecord> crm = {
      cust("C1", "厦门海沧贸易有限公司", "0592-6000000", "91350100M000100Y43")};
  std::vector<CustomerRecord> k3 = {
      cust("500", "厦门海沧贸易有限公司", "05926000000", "91110108551385082Q")};
  MatchResult m = run(crm, k3);
  EXPECT_TRUE(m.pairs.empty());
  ASSERT_EQ(m.review.size(), 1u);
  EXPECT_NE(m.review[0].reason.find("different tax codes"), std::string::npos);
}

TEST(SyncMatch, BadTaxCodeIsReportedAndNameAndPhoneStillMatch) {
  std::vector<CustomerRecord> crm = {
      cust("C1", "常州天宁电机有限公司", "0519-8888 1234", "91350100M000100Y44")};
  std::vector<CustomerRecord> k3 = {cust("600", "常州天宁电机有限公司", "051988881234")};
  MatchResult m = run(crm, k3);
  ASSERT_EQ(m.pairs.size(), 1u);
  EXPECT_EQ(m.pairs[0].basis, MatchBasis::kNamePhone);
  ASSERT_EQ(m.tax_code_problems.size(), 1u);
  EXPECT_EQ(m.tax_code_problems[0].side, "crm");
  EXPECT_EQ(m.tax_code_problems[0].id, "C1");
  EXPECT_EQ(m.tax_code_problems[0].kind, TaxCodeKind::kBadCheck);
}

TEST(SyncMatch, DeletedRecordsTakeNoPartAndNameOnlyCanBeSwitchedOff) {
  std::vector<CustomerRecord> crm = {cust("C1", "南通港闸纺织有限公司", "")};
  std::vector<CustomerRecord> k3 = {cust("700", "南通港闸纺织有限公司", "051385550000"),
                                    cust("701", "南通港闸纺织有限公司", "051385550000")};
  k3[1].deleted = true;
  MatchResult m = run(crm, k3);
  ASSERT_EQ(m.review.size(), 1u);  // name only: phone missing on crm
  EXPECT_EQ(m.review[0].b_ids, std::vector<std::string>{"700"});

  MatchKeys strict;
  strict.review_name_only = false;
  auto r = matchCustomers({"crm", "k3", &crm, &k3}, strict);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().review.empty());
  EXPECT_EQ(r.value().unmatched_a, std::vector<std::string>{"C1"});
  EXPECT_EQ(r.value().unmatched_b, std::vector<std::string>{"700"});
}

TEST(SyncMatch, DuplicateOrEmptyIdsAreErrorsNamingSideAndRow) {
  std::vector<CustomerRecord> crm = {cust("C1", "甲有限公司"), cust("C1", "乙有限公司")};
  std::vector<CustomerRecord> k3 = {cust("", "丙有限公司")};
  auto r = matchCustomers({"crm", "k3", &crm, &k3});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "crm record #1: id 'C1' appears twice");
  crm.pop_back();
  r = matchCustomers({"crm", "k3", &crm, &k3});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "k3 record #0: empty id");
}

TEST(SyncMatch, TwentyThousandPerSideIsLinear) {
  std::vector<CustomerRecord> crm, k3;
  for (int i = 0; i < 20000; ++i) {
    std::string n = std::to_string(i);
    crm.push_back(cust("C" + n, "测试客户" + n + "有限公司", "1390000" + n));
    k3.push_back(cust("K" + n, "测试客户" + n + "有限责任公司", "+86 1390000" + n));
  }
  auto start = std::chrono::steady_clock::now();
  MatchResult m = run(crm, k3);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(m.pairs.size(), 20000u);
  EXPECT_LT(ms, 10000) << "quadratic?";
}

}  // namespace
}  // namespace qiao::sync
