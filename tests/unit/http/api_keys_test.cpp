#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "qiao/http/api_keys.h"

namespace qiao::http {
namespace {

TEST(ApiKeys, PlaintextHasIdAndLongSecretAndOnlyItsHashIsStored) {
  NewKey k = generateApiKey("ingest", "crm", 1234);
  EXPECT_TRUE(std::regex_match(k.plaintext, std::regex("qiao_[0-9a-f]{8}_[0-9a-f]{32}")))
      << k.plaintext;
  EXPECT_EQ(k.plaintext.substr(5, 8), k.key.key_id);
  EXPECT_EQ(k.key.hash, hashApiKey(k.plaintext));
  EXPECT_TRUE(std::regex_match(k.key.hash, std::regex("[0-9a-f]{64}")));
  EXPECT_EQ(k.key.hash.find(k.plaintext.substr(14)), std::string::npos);
  EXPECT_EQ(k.key.role, "ingest");
  EXPECT_EQ(k.key.name, "crm");
  EXPECT_EQ(k.key.created_at_ms, 1234);
  EXPECT_FALSE(k.key.revoked);
}

TEST(ApiKeys, KeysAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(generateApiKey("admin", "x", 0).plaintext);
  EXPECT_EQ(seen.size(), 200u);
}

TEST(ApiKeys, HashIsSha256Hex) {
  // Known vector: SHA-256("abc").
  EXPECT_EQ(hashApiKey("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeys, Roles) {
  for (const char* r : {"admin", "operator", "finance", "ingest"}) EXPECT_TRUE(isValidRole(r)) << r;
  for (const char* r : {"", "Admin", "root", "ingest "}) EXPECT_FALSE(isValidRole(r)) << r;
}

}  // namespace
}  // namespace qiao::http
