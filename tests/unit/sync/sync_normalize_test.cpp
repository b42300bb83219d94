// Natural keys: tax register codes (GB 32100-2015 check character), phones, company names.
#include <gtest/gtest.h>

#include "qiao/sync/normalize.h"

namespace qiao::sync {
namespace {

TEST(SyncTaxCode, PublishedCodesValidate) {
  // The example in GB 32100-2015 and a listed company's published code.
  EXPECT_EQ(classifyTaxCode("91350100M000100Y43"), TaxCodeKind::kUnifiedCode);
  EXPECT_EQ(classifyTaxCode("91110108551385082Q"), TaxCodeKind::kUnifiedCode);
  EXPECT_EQ(unifiedCodeCheckChar("91350100M000100Y4"), '3');
  EXPECT_EQ(unifiedCodeCheckChar("91110108551385082"), 'Q');
}

TEST(SyncTaxCode, WrongCheckCharacterIsRejected) {
  EXPECT_EQ(classifyTaxCode("91350100M000100Y44"), TaxCodeKind::kBadCheck);
  EXPECT_EQ(classifyTaxCode("91110108551385082R"), TaxCodeKind::kBadCheck);
  // one transposed pair of digits changes the check character
  EXPECT_EQ(classifyTaxCode("91350100M000010Y43"), TaxCodeKind::kBadCheck);
  EXPECT_EQ(taxCodeKey("91350100M000100Y44"), "");
}

TEST(SyncTaxCode, LettersOutsideTheAlphabetAreMalformed) {
  // I, O, S, V, Z are not in the code alphabet
  EXPECT_EQ(classifyTaxCode("91350100M0001O0Y43"), TaxCodeKind::kMalformed);
  EXPECT_EQ(unifiedCodeCheckChar("91350100M0001I0Y4"), '\0');
  EXPECT_EQ(classifyTaxCode("9135010"), TaxCodeKind::kMalformed);
  EXPECT_EQ(classifyTaxCode("91350100M000100Y4#"), TaxCodeKind::kMalformed);
  EXPECT_EQ(classifyTaxCode(""), TaxCodeKind::kEmpty);
}

TEST(SyncTaxCode, NormalisationFoldsCaseWidthSpacesAndHyphens) {
  EXPECT_EQ(normalizeTaxCode(" 9135 0100-m000 100y43 "), "91350100M000100Y43");
  EXPECT_EQ(normalizeTaxCode("９１３５０１００Ｍ０００１００Ｙ４３"), "91350100M000100Y43");
  EXPECT_EQ(normalizeTaxCode("91350100－M000100Y43"), "91350100M000100Y43");
  EXPECT_EQ(taxCodeKey("9135 0100 m000 100y43"), "91350100M000100Y43");
}

TEST(SyncTaxCode, LegacyFifteenDigitCodesAreKeysWithoutCheck) {
  EXPECT_EQ(classifyTaxCode("320502123456789"), TaxCodeKind::kLegacy);
  EXPECT_EQ(taxCodeKey("320502-123456789"), "320502123456789");
}

TEST(SyncPhone, DigitsOnlyCountryCodeDropped) {
  EXPECT_EQ(normalizePhone("+86 138-0013-8000"), "13800138000");
  EXPECT_EQ(normalizePhone("0086 13800138000"), "13800138000");
  EXPECT_EQ(normalizePhone("8613800138000"), "13800138000");
  // a landline's trunk 0 goes: written domestically or with the country code, one number
  EXPECT_EQ(normalizePhone("（0512）6258-8888"), "51262588888");
  EXPECT_EQ(normalizePhone("0512-62588888"), normalizePhone("+86 512 6258 8888"));
  EXPECT_EQ(normalizePhone("+86 (0)512 6258 8888"), "51262588888");
  EXPECT_EQ(normalizePhone("010-88886666"), "1088886666");
  EXPECT_EQ(normalizePhone("0086 10 8888 6666"), "1088886666");
  // short local numbers and international prefixes keep their digits
  EXPECT_EQ(normalizePhone("62588888"), "62588888");
  EXPECT_EQ(normalizePhone("00852 2345 6789"), "0085223456789");
  EXPECT_EQ(normalizePhone("＋８６ １３８００１３８０００"), "13800138000");
  // a landline that merely starts with 86 keeps its digits
  EXPECT_EQ(normalizePhone("8625 1234"), "86251234");
  EXPECT_EQ(normalizePhone(""), "");
}

TEST(SyncName, LegalFormsBracketsWidthAndCaseCompareEqual) {
  std::string k = nameKey("苏州华东精密机械有限公司");
  EXPECT_EQ(nameKey("苏州华东精密机械有限责任公司"), k);
  EXPECT_EQ(nameKey("苏州华东精密机械股份有限公司"), k);
  EXPECT_EQ(nameKey("（苏州）华东精密机械"), k);
  EXPECT_EQ(nameKey("(苏州)华东精密机械有限公司"), k);
  EXPECT_EQ(nameKey("苏州 华东精密机械 有限公司"), k);
  EXPECT_EQ(nameKey("Suzhou Huadong Co., Ltd."), nameKey("SUZHOU ＨＵＡＤＯＮＧ CO LTD"));
}

TEST(SyncName, DifferentCompaniesStayDifferent) {
  std::string k = nameKey("苏州华东精密机械有限公司");
  EXPECT_NE(nameKey("无锡华东精密机械有限公司"), k);
  EXPECT_NE(nameKey("苏州华东精密机械制造有限公司"), k);
  EXPECT_NE(nameKey("苏州华东精密模具有限公司"), k);
  EXPECT_NE(nameKey("苏州华东精密有限公司"), k);
}

}  // namespace
}  // namespace qiao::sync
