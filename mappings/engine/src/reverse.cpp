// Reverse rules derived from forward ones.
#include "plan.h"

namespace qiao::mapping::detail {

namespace {

// a is b or a path inside it (its steps start with b's)?
bool within(const Path& a, const Path& b) {
  const auto &x = a.steps(), &y = b.steps();
  if (x.size() < y.size()) return false;
  for (size_t i = 0; i < y.size(); ++i)
    if (x[i].type != y[i].type || x[i].index != y[i].index || x[i].key != y[i].key) return false;
  return true;
}

bool plainSteps(const Path& p) {
  for (const auto& st : p.steps())
    if (st.type != Path::Step::kKey && st.type != Path::Step::kIndex) return false;
  return !p.steps().empty();
}

}  // namespace

void markFreshTargets(std::vector<Rule>& rules,
                      std::unordered_map<std::string, uint32_t>& containers) {
  std::vector<const Path*> seen;
  for (Rule& r : rules) {
    bool fresh = plainSteps(r.to);
    for (const Path* s : seen) fresh = fresh && !within(r.to, *s) && !within(*s, r.to);
    r.fresh_target = fresh;
    r.direct_copy = r.from.size() == 1 && !r.constant && r.conv == Conv::kNone && !r.trim &&
                    !r.upper && !r.lower && !r.halfwidth && r.unwrap_ref.empty() && !r.is_each;
    seen.push_back(&r.to);
    const auto& st = r.to.steps();
    if (plainSteps(r.to) && st.size() >= 2) {
      std::string key;  // the container's steps, spelled unambiguously
      for (size_t i = 0; i + 1 < st.size(); ++i) {
        bool is_key = st[i].type == Path::Step::kKey;
        key += is_key ? 'k' : 'i';
        key += std::to_string(is_key ? st[i].key.size() : static_cast<size_t>(st[i].index));
        key += ':';
        if (is_key) key += st[i].key;
      }
      r.container_id = containers.emplace(key, static_cast<uint32_t>(containers.size() + 1)).first->second;
    }
    if (r.is_each) markFreshTargets(r.rules, containers);  // each element starts empty
  }
  for (Rule& r : rules)
    for (const Rule& o : rules) r.container_size += r.container_id && o.container_id == r.container_id;
}

std::string invertRule(const Rule& r, Rule& out) {
  if (r.conv == Conv::kConcat) return "concat";
  if (r.conv == Conv::kExpr) return "expr";
  if (r.conv == Conv::kTemplate) return "template";
  if (r.when) return "when";
  if (r.conv == Conv::kSplit) return "split";
  if (r.conv == Conv::kSubstring) return "substring";
  if (r.conv == Conv::kRegex) return "regex";
  if ((r.trim || r.upper || r.lower || r.halfwidth) && !r.lossless) return "a text transform";
  if (r.from.empty() && !r.is_each) return "a rule without 'from'";
  out.label = r.label + ".reverse";
  out.position = r.position + " (reverse)";
  // The reverse writes the first source that belongs to the record itself.
  const Source* dst = nullptr;
  for (const auto& s : r.from)
    if (!s.parent) {
      dst = &s;
      break;
    }
  if (r.is_each) dst = &r.each;
  if (!dst || dst->parent) return "a rule reading only the enclosing record";
  if (dst->path.hasWildcard()) return "a wildcard source";
  out.to = dst->path;
  out.to_text = dst->text;
  Source src;
  src.path = r.to;
  src.text = r.to_text;
  out.from.push_back(std::move(src));
  out.unwrap_ref = r.wrap_ref;
  out.required = r.required;
  if (r.is_each) {
    if (r.where) return "each with where";
    out.is_each = true;
    out.each = out.from.front();
    out.from.clear();
    return "";  // inner rules are derived by the loader
  }
  switch (r.conv) {
    case Conv::kNone:
      break;
    case Conv::kMap: {
      if (!r.table) return "map";
      auto inv = std::make_shared<Table>();
      for (const auto& [k, v] : *r.table)
        if (!inv->emplace(v, k).second) return "map (table '" + r.table_name + "' is not one-to-one)";
      out.conv = Conv::kMap;
      out.table = std::move(inv);
      out.table_name = r.table_name + " (inverse)";
      out.strict = r.strict;
      break;
    }
    case Conv::kDecimal:
      if (r.scale >= 0) return "decimal with scale (rounding may drop digits)";
      out.conv = Conv::kDecimal;
      out.as_string = true;  // canonical records keep decimals as strings
      break;
    case Conv::kNumber:
      out.conv = Conv::kString;
      break;
    case Conv::kString:
      out.conv = Conv::kNumber;
      break;
    case Conv::kBool:
      if (!r.false_text) return "bool without 'false:'";
      out.conv = Conv::kBoolToText;
      out.true_text = r.true_text;
      out.false_text = r.false_text;
      break;
    case Conv::kDate:
      if (r.date_parse != Rule::DateParse::kPattern) return "date with parse: auto/excel";
      out.conv = Conv::kDate;
      out.date_parse = Rule::DateParse::kPattern;
      out.parse_pattern = r.format_pattern;
      out.format_pattern = r.parse_pattern;
      out.zone = r.zone;
      break;
    case Conv::kLookup:
      out.conv = Conv::kLookup;
      out.entity = r.entity;
      out.system = r.system;
      out.on_missing = r.on_missing;
      out.to_local = !r.to_local;
      break;
    default:
      return "this rule";
  }
  return "";
}

}  // namespace qiao::mapping::detail
