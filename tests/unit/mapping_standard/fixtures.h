// Loading the standard mappings and their hand-written fixtures (JSON arrays of records).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>

#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"

namespace qiao::mapping::stdtest {

inline const std::string kDir = QIAO_STANDARD_MAPPINGS;

inline std::shared_ptr<const MappingPlan> loadStandard(const std::string& name) {
  auto p = loadMapping(kDir + "/" + name + ".yaml");
  EXPECT_TRUE(p.ok()) << name << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : nullptr;
}

// Reads fixtures/<mapping>/<file> (a JSON array) into doc; fails the test when unreadable.
inline bool readFixture(const std::string& mapping, const std::string& file, Document& doc) {
  std::ifstream in(kDir + "/fixtures/" + mapping + "/" + file, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << mapping << "/" << file;
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  Status s = parseJson(ss.str(), doc);
  EXPECT_TRUE(s.ok()) << mapping << "/" << file << ": " << (s.ok() ? "" : s.error().message);
  EXPECT_TRUE(s.ok() && doc.root().isArray()) << mapping << "/" << file << " must be a JSON array";
  return s.ok() && doc.root().isArray();
}

// The ID cross-reference of a fixture (fixtures/<mapping>/xref.json: a JSON array of
// {"entity", "system", "local", "remote"}, the `qiao map --xref` format).
class FixtureXref : public XrefResolver {
 public:
  // False (and a test failure) when the file is there but unreadable; true when absent.
  bool load(const std::string& mapping) {
    std::ifstream probe(kDir + "/fixtures/" + mapping + "/xref.json");
    if (!probe) return true;
    Document doc;
    if (!readFixture(mapping, "xref.json", doc)) return false;
    for (size_t i = 0; i < doc.root().size(); ++i) {
      Value e = doc.root().at(i);
      std::string v[4];
      const char* keys[4] = {"entity", "system", "local", "remote"};
      for (int k = 0; k < 4; ++k) v[k] = std::string(e[keys[k]].asString());
      remote_[{v[0], v[1], v[2]}] = v[3];
      local_[{v[0], v[1], v[3]}] = v[2];
    }
    loaded = true;
    return true;
  }
  Result<std::optional<std::string>> toRemote(std::string_view e, std::string_view s,
                                              std::string_view id) const override {
    return find(remote_, e, s, id);
  }
  Result<std::optional<std::string>> toLocal(std::string_view e, std::string_view s,
                                             std::string_view id) const override {
    return find(local_, e, s, id);
  }
  bool loaded = false;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  static Result<std::optional<std::string>> find(const std::map<Key, std::string>& m,
                                                 std::string_view e, std::string_view s,
                                                 std::string_view id) {
    auto it = m.find(Key{e, s, id});
    if (it == m.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  std::map<Key, std::string> remote_, local_;
};

// Maps one JSON text; "ERR <message>" when the record has field errors.
inline std::string mapText(const MappingPlan& plan, const std::string& json,
                           Direction d = Direction::kForward, FieldErrors* errors = nullptr) {
  Document in, out;
  Status s = parseJson(json, in);
  EXPECT_TRUE(s.ok()) << json;
  Status a = apply(plan, in.root(), out, d, errors);
  if (!a.ok()) return "ERR " + a.error().message;
  return toJson(out.root());
}

}  // namespace qiao::mapping::stdtest
