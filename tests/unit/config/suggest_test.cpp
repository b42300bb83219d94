#include "qiao/config/suggest.h"

#include <gtest/gtest.h>

namespace qiao::config {
namespace {

TEST(Suggest, EditDistanceCountsTranspositionAsOne) {
  EXPECT_EQ(editDistance("sink", "sink"), 0);
  EXPECT_EQ(editDistance("snik", "sink"), 1);
  EXPECT_EQ(editDistance("rotues", "routes"), 1);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3);
  EXPECT_EQ(editDistance("", "abc"), 3);
  EXPECT_EQ(editDistance("HOST", "host"), 0);
}

TEST(Suggest, PicksNearestWithinThreshold) {
  std::vector<std::string> keys = {"source", "sink", "mapping", "entity", "business_key"};
  EXPECT_EQ(suggest("sinc", keys), "sink");
  EXPECT_EQ(suggest("maping", keys), "mapping");
  EXPECT_EQ(suggest("busines_key", keys), "business_key");
  EXPECT_EQ(suggest("completely_different", keys), "");
  EXPECT_EQ(suggest("zz", {"ab"}), "");  // a full rewrite is no hint
  EXPECT_EQ(suggest("crm", {"erp"}), "");  // 2 of 3 letters changed: another word
  EXPECT_EQ(suggest("GET", {"POST", "PUT"}), "");
  EXPECT_EQ(suggest("htp", {"http", "poller"}), "http");
}

TEST(Suggest, ThresholdGrowsWithLength) {
  // 3 edits on a 9+ letter word are allowed (9/3 = 3), but not on a short one.
  EXPECT_EQ(suggest("conectrs", {"connectors"}), "connectors");
  EXPECT_EQ(suggest("xyzt", {"port"}), "");
}

TEST(Suggest, TiesGoToAlphabeticallyFirst) {
  EXPECT_EQ(suggest("bat", {"cat", "bar"}), "bar");
}

}  // namespace
}  // namespace qiao::config
