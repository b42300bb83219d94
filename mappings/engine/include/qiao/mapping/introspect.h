// Read-only questions about a loaded plan, for tools built around mappings (the Excel import
// and export jobs): which source columns does the forward direction read, and how are they typed.
#pragma once

#include <string>
#include <vector>

#include "qiao/mapping/mapping.h"

namespace qiao::mapping {

struct SourceField {
  std::string path;       // top-level source field as written in the mapping ("订单编号")
  bool required = false;  // a rule reading it is `required: true` (fallback names never are)
  // How the forward rule reads it: text | decimal | number | date | datetime | bool.
  // text for plain reads, string:, map:, split/regex/substring and text transforms.
  std::string kind = "text";
  // The further names of a `from: [a, b, c]` fallback list (b, c): any of them may stand in.
  std::vector<std::string> aliases;
  std::string target;     // target path of the first rule that reads it ("lines[0].qty")
  // date / datetime: what the rule parses — "auto", "excel1900", "excel1904" or the pattern
  // ("yyyy/MM/dd"), so that a reader can hand date cells over in that shape.
  std::string date_parse;
};

// The top-level source fields a plan's forward rules read, in rule order, each once (a field
// read by several rules: required if any of them requires it, kind from the first). Fields
// read inside `each` blocks, by `^parent` paths, and nested paths ("a.b") are left out: they are
// not columns of a flat sheet. Computed rules (const, expr, concat, template) contribute their sources as
// optional text fields.
std::vector<SourceField> sourceFields(const MappingPlan& plan);

// The plan's `key:` path as written ("订单编号"); "" when the plan has none.
std::string keyPath(const MappingPlan& plan);

}  // namespace qiao::mapping
