#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "qiao/mapping/document.h"
#include "qiao/mapping/json.h"
#include "qiao/mapping/ndjson.h"
#include "qiao/testkit/testkit.h"

using namespace qiao::mapping;

namespace {

std::string roundTrip(std::string_view text) {
  Document d;
  JsonParser p;
  auto s = p.parse(text, d);
  EXPECT_TRUE(s.ok()) << text << " -> " << (s.ok() ? "" : s.error().message);
  return toJson(d.root());
}

}  // namespace

TEST(MappingJson, RoundTripsToCanonicalCompactForm) {
  const std::pair<std::string, std::string> cases[] = {
      {R"( {"a" : 1 , "b":[ true,false,null ] } )", R"({"a":1,"b":[true,false,null]})"},
      {R"({"客户名称":"广州新世纪包装材料有限公司","联系人":"丁斌"})",
       R"({"客户名称":"广州新世纪包装材料有限公司","联系人":"丁斌"})"},
      {R"(["0.1","x"])", R"(["0.1","x"])"},
      {R"([0.1, 12.30, -0, 1E400, 1e-400, 123456789012345678901234567890, -1.5e+3])",
       R"([0.1,12.30,-0,1E400,1e-400,123456789012345678901234567890,-1.5e+3])"},
      {R"("a\"b\\c\/d\n\t\r\b\f\u0001\u00e9\u4e2d\ud83d\ude00")",
       "\"a\\\"b\\\\c/d\\n\\t\\r\\b\\f\\u0001é中😀\""},
      {R"({"a":{"b":{"c":[[],{},[{}],[1,[2,[3]]]]}}})", R"({"a":{"b":{"c":[[],{},[{}],[1,[2,[3]]]]}}})"},
      {"42", "42"},
      {"\"solo\"", "\"solo\""},
      {"null", "null"},
      {"[]", "[]"},
      {"{}", "{}"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(roundTrip(in), want) << in;
}

TEST(MappingJson, NumbersKeepTheirTextAndReadAsInt64) {
  Document d;
  ASSERT_TRUE(parseJson(R"({"q":348,"p":"948.62","amt":5768768.12,"big":99999999999999999999,"neg":-7})", d).ok());
  EXPECT_EQ(d.root()["amt"].numberText(), "5768768.12");
  EXPECT_EQ(d.root()["q"].asInt64(), 348);
  EXPECT_EQ(d.root()["neg"].asInt64(), -7);
  EXPECT_FALSE(d.root()["big"].asInt64().has_value());
  EXPECT_FALSE(d.root()["amt"].asInt64().has_value());
  EXPECT_EQ(d.root()["p"].asString(), "948.62");
  EXPECT_FALSE(d.root()["missing"].valid());
}

TEST(MappingJson, DuplicateKeysKeepTheLastValueAtTheFirstPosition) {
  EXPECT_EQ(roundTrip(R"({"a":1,"b":2,"a":3})"), R"({"a":3,"b":2})");
  // Big objects go through the indexed duplicate check.
  std::string big = "{";
  for (int i = 0; i < 100; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  big += "\"k5\":\"last\",\"k99\":true}";
  Document d;
  ASSERT_TRUE(parseJson(big, d).ok());
  EXPECT_EQ(d.root().size(), 100u);
  EXPECT_EQ(d.root()["k5"].asString(), "last");
  EXPECT_TRUE(d.root()["k99"].asBool());
  EXPECT_EQ(d.root().keyAt(5), "k5");
}

TEST(MappingJson, ErrorsNameTheirPosition) {
  struct Case {
    std::string text;
    size_t line, column;
  };
  const Case cases[] = {
      {"{\"a\":1,\n \"b\": tru }", 2, 7},
      {"{\"a\":1,\n \"b\": 01 }", 2, 7},
      {"{\"名\": -}", 1, 7},
      {"[1,2] x", 1, 7},
      {"", 1, 1},
  };
  for (const auto& c : cases) {
    Document d;
    JsonParser p;
    auto s = p.parse(c.text, d);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.error().code, qiao::ErrorCode::kMalformedJson);
    EXPECT_EQ(p.lastError().line, c.line) << c.text << ": " << s.error().message;
    EXPECT_EQ(p.lastError().column, c.column) << c.text << ": " << s.error().message;
    EXPECT_NE(s.error().message.find("line " + std::to_string(c.line)), std::string::npos);
  }
}

TEST(MappingJson, RejectsBadInput) {
  const std::string bad[] = {
      "{\"a\":\"\xC3\x28\"}",      // invalid UTF-8
      "{\"a\":\"\xED\xA0\x80\"}",  // UTF-8 surrogate
      "{\"a\":\"x\ty\"}",          // raw control character in a string
      "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{a:1}", "[1.]", "[.5]", "[+1]", "[1e]",
      "[\"\\x\"]", "[nul]", "[truex]", "{\"a\":1", "[1]]", "1 2", "\"abc",
  };
  for (const auto& t : bad) {
    Document d;
    auto s = parseJson(t, d);
    EXPECT_FALSE(s.ok()) << "accepted: " << t;
  }
  Document d;
  JsonParser p;
  ASSERT_FALSE(p.parse("{\"a\":\"ok\xFF\"}", d).ok());
  EXPECT_EQ(p.lastError().offset, 8u);
  EXPECT_NE(p.lastError().reason.find("UTF-8"), std::string::npos);
}

TEST(MappingJson, DeepNestingIsAnErrorNotACrash) {
  JsonParser p(ParseOptions{.max_depth = 64});
  Document d;
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(p.parse(ok, d).ok());
  std::string deep = std::string(65, '[') + std::string(65, ']');
  auto s = p.parse(deep, d);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("nesting"), std::string::npos) << s.error().message;
  std::string huge(1000000, '[');
  EXPECT_FALSE(p.parse(huge, d).ok());
}

TEST(MappingJson, BuilderAndCopy) {
  Document src;
  ASSERT_TRUE(parseJson(R"({"lines":[{"qty":"2","name":"螺丝"},{"qty":"3"}],"amount":12.30})", src).ok());
  Document out;
  Value root = out.root();
  root.setObject();
  root.add("FBillNo").setString("SO-1 \"x\"");
  root.add("FAmount").setNumberText(src.root()["amount"].numberText());
  root.add("FCount").setInt(-42);
  root.add("FOk").setBool(true);
  root.add("FNone");
  Value entries = root.add("FEntity");
  entries.setArray();
  for (size_t i = 0; i < 10; ++i) entries.append().setInt(static_cast<int64_t>(i));
  root.add("FLines").copyFrom(src.root()["lines"]);
  src.clear();  // the copy must not point into the source
  EXPECT_EQ(toJson(out.root()),
            R"({"FBillNo":"SO-1 \"x\"","FAmount":12.30,"FCount":-42,"FOk":true,"FNone":null,)"
            R"("FEntity":[0,1,2,3,4,5,6,7,8,9],"FLines":[{"qty":"2","name":"螺丝"},{"qty":"3"}]})");
  EXPECT_EQ(root.set("FCount").asInt64(), -42);  // set() finds, does not add
  EXPECT_EQ(root.size(), 7u);

  Document again;
  ASSERT_TRUE(parseJson(toJson(out.root()), again).ok());
  EXPECT_TRUE(equal(out.root(), again.root()));
  again.root()["FCount"].setInt(1);
  EXPECT_FALSE(equal(out.root(), again.root()));
}

TEST(MappingJson, WriterEscapesAndPrettyPrints) {
  Document d;
  d.root().setObject();
  d.root().add("k\n").setString(std::string("\x01\x1f\"\\/中", 8));
  Value a = d.root().add("a");
  a.setArray();
  a.append().setInt(1);
  a.append().setObject();
  EXPECT_EQ(toJson(d.root()), "{\"k\\n\":\"\\u0001\\u001f\\\"\\\\/中\",\"a\":[1,{}]}");
  EXPECT_EQ(toJson(d.root(), WriteOptions{.pretty = true}),
            "{\n  \"k\\n\": \"\\u0001\\u001f\\\"\\\\/中\",\n  \"a\": [\n    1,\n    {}\n  ]\n}");
  std::string buf = "prefix:";
  writeJson(Value(), buf);
  EXPECT_EQ(buf, "prefix:null");
}

TEST(MappingJson, NdjsonReportsTheBadLineAndReadsOn) {
  qiao::testkit::TempDir dir;
  std::string text = "{\"n\":1}\n\n{\"n\":2}\r\n{\"n\":\n{\"n\":4,\"s\":\"中文\"}\n{\"n\":5}";
  qiao::testkit::writeFile(dir.file("in.ndjson"), text);
  auto r = NdjsonReader::openFile(dir.file("in.ndjson"));
  ASSERT_TRUE(r.ok());
  Document d;
  qiao::Status st;
  std::vector<std::string> got;
  std::vector<size_t> lines;
  while ((*r)->next(d, st)) {
    lines.push_back((*r)->lineNumber());
    if (st.ok()) {
      got.push_back(toJson(d.root()));
    } else {
      got.push_back("ERR");
      EXPECT_NE(st.error().message.find("line 4"), std::string::npos) << st.error().message;
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "ERR",
                                           "{\"n\":4,\"s\":\"中文\"}", "{\"n\":5}"}));
  EXPECT_EQ(lines, (std::vector<size_t>{1, 3, 4, 5, 6}));
  EXPECT_FALSE(NdjsonReader::openFile(dir.file("absent")).ok());
}

TEST(MappingJson, NdjsonManyRecordsAndOverlongLines) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(50, 'x') + "\"}\n";
  text += "[" + std::string(5000, '1') + "]\n{\"after\":true}\n";
  std::istringstream in(text);
  NdjsonReader r(in, 1000);
  Document d;
  qiao::Status st;
  int ok = 0, bad = 0;
  int64_t sum = 0;
  while (r.next(d, st)) {
    if (st.ok()) {
      ++ok;
      if (auto v = d.root()["i"].asInt64()) sum += *v;
    } else {
      ++bad;
      EXPECT_EQ(st.error().code, qiao::ErrorCode::kPayloadTooLarge);
      EXPECT_EQ(r.lineNumber(), 20001u);
    }
  }
  EXPECT_EQ(ok, 20001);
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(sum, int64_t{20000} * 19999 / 2);
  EXPECT_TRUE(d.root()["after"].asBool());
}

TEST(MappingJson, EightThreadsParseConcurrently) {
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &failures] {
      Document d;
      std::string out;
      for (int i = 0; i < 2000; ++i) {
        std::string text = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) +
                           ",\"name\":\"线程\",\"amt\":\"12.30\",\"l\":[1,2,{\"x\":null}]}";
        out.clear();
        if (!parseJson(text, d).ok()) { ++failures[t]; continue; }
        writeJson(d.root(), out);
        if (out != text) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST(MappingJson, EveryTruncationOfAnOrderIsAnErrorWithAnInRangeOffset) {
  const std::string order =
      R"({"orderId":"SO-1","customerName":"广州新世纪","amt":"5768768.12","n":12.30,)"
      R"("lines":[{"lineNo":1,"qty":"348","ok":true,"x":null},{"lineNo":2,"e":"a\"\\\u4e2d"}]})";
  JsonParser p;
  Document d;
  ASSERT_TRUE(p.parse(order, d).ok());
  for (size_t n = 0; n < order.size(); ++n) {
    std::string_view prefix(order.data(), n);
    if (!p.parse(prefix, d).ok()) {
      EXPECT_LE(p.lastError().offset, n);
      continue;
    }
    ADD_FAILURE() << "accepted a truncated order: " << prefix;
  }
}

// The writer skips 8-byte words with nothing to escape: escapes at and around word edges, and
// long texts, come out the same as byte by byte.
TEST(MappingJson, WriterEscapesAtEveryPositionOfAWord) {
  for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
    for (size_t at = 0; at < 20; ++at) {
      std::string s(20, 'a');
      s[at] = special;
      s += "上海市浦东新区";  // UTF-8 bytes never need escaping
      Document d;
      d.root().setString(s);
      std::string out = toJson(d.root());
      Document back;
      ASSERT_TRUE(parseJson(out, back).ok()) << out;
      EXPECT_EQ(back.root().asString(), s) << at;
      EXPECT_EQ(out.find('\n'), std::string::npos);
    }
  }
}

// Keys that share a length and last byte (the duplicate check's fingerprint) are not duplicates.
TEST(MappingJson, DuplicateCheckFingerprintCollisionsAreNotDuplicates) {
  EXPECT_EQ(roundTrip(R"({"ab":1,"cb":2,"xb":3,"ab":4})"), R"({"ab":4,"cb":2,"xb":3})");
  EXPECT_EQ(roundTrip(R"({"":1,"":2})"), R"({"":2})");
}

// Found by fuzz_json_reader: big objects (32+ keys) index their keys for the duplicate check;
// a big object nested in another one must not wipe or pollute its parent's index.
TEST(MappingJson, BigObjectInsideABigObjectKeepsBothDuplicateChecks) {
  std::string inner = "{";
  for (int i = 0; i < 40; ++i) inner += (i ? ",\"j" : "\"j") + std::to_string(i) + "\":" + std::to_string(i);
  inner += ",\"j3\":\"inner-last\"}";
  std::string text = "{";
  for (int i = 0; i < 40; ++i) {
    text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":";
    text += i == 35 ? inner : std::to_string(i);
  }
  text += ",\"k1\":\"outer-last\",\"k36\":\"again\"}";
  JsonParser parser;
  Document doc;
  ASSERT_TRUE(parser.parse(text, doc).ok());
  Value root = doc.root();
  EXPECT_EQ(root.size(), 40u);
  EXPECT_EQ(root.find("k1").asString(), "outer-last");
  EXPECT_EQ(root.find("k36").asString(), "again");
  EXPECT_EQ(root.keyAt(1), "k1");  // the last value, at the first one's position
  Value in = root.find("k35");
  ASSERT_TRUE(in.isObject());
  EXPECT_EQ(in.size(), 40u);
  EXPECT_EQ(in.find("j3").asString(), "inner-last");
  EXPECT_EQ(in.find("j39").numberText(), "39");
  // What is written reads back equal.
  std::string out;
  writeJson(root, out);
  Document again;
  ASSERT_TRUE(parser.parse(out, again).ok());
  EXPECT_TRUE(equal(root, again.root()));
}
