#include <gtest/gtest.h>

#include "qiao/mapping/json.h"
#include "qiao/mapping/path.h"

using namespace qiao::mapping;

namespace {
Path compiled(std::string_view text) {
  auto p = Path::compile(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(p).value() : Path();
}
}  // namespace

TEST(MappingJsonPath, GetsKeysIndexesPointersAndWildcards) {
  Document d;
  ASSERT_TRUE(parseJson(R"({"a":{"b":"x","a.b":"dotted","~/":7},"lines":[{"qty":"1"},{"qty":"2"},{"no":3},{"qty":"4"}]})", d).ok());
  EXPECT_EQ(get(d, compiled("a.b")).asString(), "x");
  EXPECT_EQ(get(d, compiled("$.a.b")).asString(), "x");
  EXPECT_EQ(get(d, compiled("a[\"a.b\"]")).asString(), "dotted");
  EXPECT_EQ(get(d, compiled("lines[1].qty")).asString(), "2");
  EXPECT_FALSE(get(d, compiled("lines[9].qty")).valid());
  EXPECT_FALSE(get(d, compiled("a.b.c")).valid());
  EXPECT_EQ(get(d, compiled("/lines/3/qty")).asString(), "4");
  EXPECT_EQ(get(d, compiled("/a/~0~1")).numberText(), "7");
  EXPECT_EQ(get(d, compiled("")).kind(), Kind::kObject);
  Path star = compiled("lines[*].qty");
  EXPECT_TRUE(star.hasWildcard());
  EXPECT_EQ(get(d, star).asString(), "1");
  std::vector<Value> all;
  getAll(d.root(), star, all);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].asString(), "4");
  all.clear();
  getAll(d.root(), compiled("a.*"), all);
  EXPECT_EQ(all.size(), 3u);
}

TEST(MappingJsonPath, RejectsBadSyntax) {
  for (const char* bad : {"a..b", "a.", ".a", "a[", "a[x]", "a[-1]", "a[01]", "/a/~2", "a]b[0]x"}) {
    auto p = Path::compile(bad);
    EXPECT_FALSE(p.ok()) << "accepted: " << bad;
    if (!p.ok()) {
      EXPECT_EQ(p.error().code, qiao::ErrorCode::kInvalidArgument);
    }
  }
}

TEST(MappingJsonPath, SetPathBuildsTheOutput) {
  Document out;
  ASSERT_TRUE(setPath(out, "a.b[2].c").ok());
  setPath(out, "a.b[2].c").value().setString("v");
  setPath(out, "a.x").value().setNumberText("1.50");
  setPath(out, "model.FEntity[0].FQty").value().setInt(3);
  EXPECT_EQ(toJson(out.root()),
            R"({"a":{"b":[null,null,{"c":"v"}],"x":1.50},"model":{"FEntity":[{"FQty":3}]}})");
  EXPECT_FALSE(setPath(out, "lines[*].q").ok());
  EXPECT_FALSE(setPath(out, "a.x.y").ok());  // a number is in the way
  EXPECT_FALSE(setPath(out, "a[0]").ok());   // an object is not an array
}
