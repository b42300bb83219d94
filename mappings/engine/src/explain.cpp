// The --explain trace of the applier (applier.h): per target field, the rule, the sources read
// and how the value came about. Only runs when a Trace is asked for.
#include "applier.h"

namespace qiao::mapping::detail {

void Applier::tracedScalar(const Rule& r, const Value& cur, const Value& parent,
                           const Value& out_base) {
  TraceEntry te;
  te.target = tprefix_ + r.to_text;
  te.rule = r.position;
  size_t before = errors_.size();
  const bool store_failed = store_error_.has_value();
  rec_ = &te;
  Value written = mapScalar(r, cur, parent, out_base);
  rec_ = nullptr;
  if (written.valid()) te.value = toJson(written);
  for (size_t k = before; k < errors_.size(); ++k)
    te.error += (te.error.empty() ? "" : "; ") + errors_[k].message;
  if (!store_failed && store_error_)
    te.error = "cross-reference store error: " + store_error_->message;
  trace_->push_back(std::move(te));
}

void Applier::traceSource(const Source& s, const Val& v) {
  rec_->sources.push_back({s.parent ? s.text : sprefix_ + s.text, show(v)});
}

void Applier::noteStep(std::string_view step) {
  if (!rec_->how.empty()) rec_->how += ", ";
  rec_->how += step;
}

size_t Applier::traceEachBegin(const Rule& r) {
  trace_->push_back({tprefix_ + r.to_text, r.position, {}, "each", "", ""});
  return trace_->size() - 1;
}

// Before the rules of one element run: element paths for the entries they add.
void Applier::traceEachElement(const Rule& r, size_t in_index, size_t out_index) {
  std::string s = r.each.parent ? std::string() : sprefix_;
  s += r.each.text + bracketed(in_index) + ".";
  tprefix_ += r.to_text + bracketed(out_index) + ".";
  sprefix_ = std::move(s);
}

void Applier::traceEachEnd(const Rule& r, size_t entry, size_t in_size, size_t out_size) {
  TraceEntry& e = (*trace_)[entry];
  e.sources.push_back({sprefix_ + r.each.text, bracketed(in_size, " elements")});
  e.how = "each: " + std::to_string(out_size) + " of " + std::to_string(in_size) +
          " elements kept" + (r.where ? " by where " + r.where->text : "");
  e.value = bracketed(out_size, " elements");
}

std::string Applier::convName(const Rule& r) {
  switch (r.conv) {
    case Conv::kMap: return "map " + r.table_name;
    case Conv::kDecimal: return "decimal";
    case Conv::kNumber: return "number";
    case Conv::kString: return "string";
    case Conv::kBool:
    case Conv::kBoolToText: return "bool";
    case Conv::kDate: return "date";
    case Conv::kLookup:
      return (r.to_local ? "lookup " + r.system + " " + r.entity + " -> local id"
                         : "lookup " + r.entity + " -> " + r.system + " id");
    default: return "";
  }
}

}  // namespace qiao::mapping::detail
