// Shared helpers for the mapping engine tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"

namespace qiao::mapping::test {

inline std::shared_ptr<const MappingPlan> plan(const std::string& yaml) {
  auto p = loadMappingText(yaml, "t.yaml");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : nullptr;
}

// Maps JSON text with plan; returns the output JSON, or "ERR" + messages on failure.
inline std::string run(const MappingPlan& p, const std::string& json,
                       Direction d = Direction::kForward, FieldErrors* errs = nullptr) {
  Document in, out;
  Status s = parseJson(json, in);
  EXPECT_TRUE(s.ok()) << json;
  Status a = apply(p, in.root(), out, d, errs);
  if (!a.ok()) return "ERR " + a.error().message;
  return toJson(out.root());
}

}  // namespace qiao::mapping::test
