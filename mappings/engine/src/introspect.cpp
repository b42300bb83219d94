// sourceFields: which top-level fields a plan's forward rules read. Reads PlanData only.
#include "qiao/mapping/introspect.h"

#include <unordered_map>

#include "plan.h"

namespace qiao::mapping {
namespace {

// The field's name when the source is one top-level key of the record, else "".
std::string topLevelName(const detail::Source& s) {
  if (s.parent || s.path.hasWildcard() || s.path.steps().size() != 1) return "";
  const auto& step = s.path.steps()[0];
  if (step.type != Path::Step::kKey && step.type != Path::Step::kPointer) return "";
  return step.key;
}

bool patternHasTime(const detail::Rule& r) {
  if (!r.format_pattern) return false;
  const std::string& t = r.format_pattern->text();
  return t.find('H') != std::string::npos || t.find('h') != std::string::npos;
}

std::string dateParseOf(const detail::Rule& r) {
  using P = detail::Rule::DateParse;
  if (r.conv != detail::Conv::kDate) return "";
  switch (r.date_parse) {
    case P::kAuto: return "auto";
    case P::kExcel1900: return "excel1900";
    case P::kExcel1904: return "excel1904";
    case P::kPattern: return r.parse_pattern ? r.parse_pattern->text() : "auto";
  }
  return "auto";
}

std::string kindOf(const detail::Rule& r) {
  using detail::Conv;
  switch (r.conv) {
    case Conv::kDecimal: return "decimal";
    case Conv::kNumber: return "number";
    case Conv::kBool: return "bool";
    case Conv::kDate: return patternHasTime(r) ? "datetime" : "date";
    default: return "text";
  }
}

class Collector {
 public:
  void add(const std::string& name, bool required, const std::string& kind,
           std::vector<std::string> aliases, const std::string& target,
           const std::string& date_parse = "") {
    if (name.empty()) return;
    auto it = index_.find(name);
    if (it != index_.end()) {
      SourceField& f = out_[it->second];
      f.required = f.required || required;
      for (auto& a : aliases) {
        bool known = a == f.path;
        for (const auto& b : f.aliases) known = known || a == b;
        if (!known) f.aliases.push_back(a);
      }
      return;
    }
    index_.emplace(name, out_.size());
    out_.push_back(SourceField{name, required, kind, std::move(aliases), target, date_parse});
  }
  std::vector<SourceField> take() { return std::move(out_); }

 private:
  std::vector<SourceField> out_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

std::vector<SourceField> sourceFields(const MappingPlan& plan) {
  Collector c;
  for (const detail::Rule& r : plan.data().forward) {
    if (r.is_each) continue;  // reads an array of the record: not a column
    if (!r.from.empty()) {
      std::string first = topLevelName(r.from[0]);
      std::vector<std::string> aliases;
      for (size_t i = 1; i < r.from.size(); ++i) {
        std::string a = topLevelName(r.from[i]);
        if (!a.empty()) aliases.push_back(std::move(a));
      }
      if (first.empty() && !aliases.empty()) {  // the first name is nested: next one names it
        first = aliases.front();
        aliases.erase(aliases.begin());
      }
      c.add(first, r.required, kindOf(r), std::move(aliases), r.to_text, dateParseOf(r));
    }
    for (const detail::Source& s : r.parts) c.add(topLevelName(s), false, "text", {}, r.to_text);
    for (const detail::TemplatePart& p : r.tmpl)
      if (p.field) c.add(topLevelName(*p.field), false, "text", {}, r.to_text);
    for (const detail::ExprOp& op : r.expr.ops) {
      if (op.type == detail::ExprOp::kLoad || op.type == detail::ExprOp::kPresent ||
          op.type == detail::ExprOp::kEmpty) {
        c.add(topLevelName(op.source), false, "text", {}, r.to_text);
      }
    }
  }
  return c.take();
}

std::string keyPath(const MappingPlan& plan) {
  const auto& key = plan.data().key;
  return key ? key->text() : std::string();
}

}  // namespace qiao::mapping
