// Reference and payer-name normalisation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qiao/recon/normalize.h"

namespace qiao::recon {
namespace {

std::vector<std::string> candidates(std::string_view remark, std::size_t min = 5) {
  std::vector<std::string> out;
  forEachReferenceCandidate(remark, min, [&](std::string_view c, bool whole) {
    out.push_back((whole ? "=" : "~") + std::string(c));
  });
  return out;
}

TEST(ReconNormalize, FoldWidth) {
  EXPECT_EQ(foldWidth("ＳＯ－２０２６　ａｂ"), "SO-2026 ab");
  EXPECT_EQ(foldWidth("货款"), "货款");
  EXPECT_EQ(foldWidth(std::string("\xff\xfe", 2)), std::string("\xff\xfe", 2));  // invalid bytes kept
}

TEST(ReconNormalize, CanonicalReference) {
  EXPECT_EQ(canonicalReference("so-2026/0000001"), "SO20260000001");
  EXPECT_EQ(canonicalReference("ＸＳＤＤ０００１２３"), "XSDD000123");
  EXPECT_EQ(digitsPart("SO20260000001"), "20260000001");
  EXPECT_EQ(digitsPart("20260000001"), "");
  EXPECT_EQ(digitsPart("ABC"), "");
}

TEST(ReconNormalize, RemarkCandidates) {
  EXPECT_EQ(candidates("货款SO-2026-0000001谢谢"), (std::vector<std::string>{"=SO20260000001", "~O20260000001",
                                                                          "~20260000001"}));
  // Two numbers joined by '/' are split again at the digit->letter boundary.
  auto c = candidates("SO001/SO002", 5);
  EXPECT_NE(std::find(c.begin(), c.end(), "~SO001"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), "~SO002"), c.end());
  // A trailing dash or dot is not part of the number; short pieces are skipped.
  EXPECT_EQ(candidates("付款 12. AB-"), std::vector<std::string>{});
  EXPECT_EQ(candidates("ＳＯ－２０２６－０００１"), (std::vector<std::string>{"=SO20260001", "~O20260001",
                                                                          "~20260001"}));
}

TEST(ReconNormalize, CompanyNames) {
  std::string base = normalizeCompanyName("苏州华东精密机械有限公司");
  EXPECT_EQ(base, "苏州华东精密机械");
  EXPECT_EQ(normalizeCompanyName("苏州华东精密机械有限责任公司"), base);
  EXPECT_EQ(normalizeCompanyName("苏州华东精密机械股份有限公司"), base);
  EXPECT_EQ(normalizeCompanyName(" 苏州 华东精密机械（有限公司） "), base);
  EXPECT_EQ(normalizeCompanyName("苏州华东精密机械(集团)有限公司"), normalizeCompanyName("苏州华东精密机械（集团）有限公司"));
  EXPECT_NE(normalizeCompanyName("苏州华东精密机械(集团)有限公司"), base);
  EXPECT_EQ(normalizeCompanyName("Ningbo Mould Co., Ltd."), normalizeCompanyName("NINGBO MOULD CO LTD"));
  EXPECT_EQ(normalizeCompanyName("Ｎｉｎｇｂｏ Ｍｏｕｌｄ Ｌｉｍｉｔｅｄ"), "NINGBOMOULD");
  EXPECT_EQ(normalizeCompanyName("有限公司"), "有限公司");  // nothing left would match everything
}

}  // namespace
}  // namespace qiao::recon
