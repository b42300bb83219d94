// Loading the standard mappings and their hand-written fixtures (JSON arrays of records).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

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
