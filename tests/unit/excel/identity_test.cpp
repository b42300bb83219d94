// File and row identity.
#include <gtest/gtest.h>

#include "excel_test_util.h"
#include "qiao/excel/file_identity.h"

namespace qiao::excel {
namespace {

TEST(FileIdentity, Sha256OfBytesAndFiles) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  testing::TempDir dir;
  std::string big(300000, 'q');
  testing::writeBytes(dir.file("f.bin"), big);
  auto h = sha256File(dir.file("f.bin"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, sha256Hex(big));
  EXPECT_EQ(h->size(), 64u);
  EXPECT_FALSE(sha256File(dir.file("missing")).ok());
}

TEST(RowKeys, ContentKeyIgnoresSurroundingSpaceButNotValuesOrOrder) {
  auto k = rowContentKey({"SO-1", "100.00"});
  EXPECT_EQ(k.size(), 32u);
  EXPECT_EQ(k, rowContentKey({" SO-1 ", "100.00\t"}));
  EXPECT_NE(k, rowContentKey({"100.00", "SO-1"}));
  EXPECT_NE(k, rowContentKey({"SO-1", "100.01"}));
  EXPECT_NE(rowContentKey({"a", "bc"}), rowContentKey({"ab", "c"}));
  EXPECT_EQ(rowPositionKey("0123456789abcdef0123", "订单", 7), "0123456789abcdef:订单:7");
}

}  // namespace
}  // namespace qiao::excel

namespace qiao::excel {
namespace {

TEST(FileNames, OnlyPlainNamesPass) {
  for (const char* ok : {"orders.xlsx", "订单 2026-11.csv", "a..b.csv"}) EXPECT_TRUE(validateFileName(ok).ok()) << ok;
  for (const char* bad : {"", "../x.csv", "..", ".hidden.csv", "a/b.csv", "a\\b.csv", "a\nb.csv", "\xFF.csv"}) {
    EXPECT_FALSE(validateFileName(bad).ok()) << bad;
  }
  EXPECT_FALSE(validateFileName(std::string(256, 'a')).ok());
  EXPECT_FALSE(validateFileName(std::string("a\0b", 3)).ok());
  EXPECT_NE(validateFileName("../etc/passwd").error().message.find("starts with '.'"), std::string::npos);
}

}  // namespace
}  // namespace qiao::excel
