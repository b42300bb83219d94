// Internal: applies a plan's rules to one record. Never throws; collects every field error.
// Split by concern: apply.cpp (rules, each, writing), convert.cpp (conversions, lookup,
// expressions, conditions), explain.cpp (the --explain trace).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "expr_eval.h"
#include "plan.h"
#include "value.h"

namespace qiao::mapping::detail {

class Applier {
 public:
  Applier(FieldErrors& errors, const XrefResolver* xref, Trace* trace)
      : errors_(errors), xref_(xref), trace_(trace) {}

  void run(const std::vector<Rule>& rules, const Value& cur, const Value& parent,
           const Value& out_base) {
    for (const auto& r : rules) {
      if (r.is_each) each(r, cur, parent, out_base);
      else if (trace_) tracedScalar(r, cur, parent, out_base);
      else mapScalar(r, cur, parent, out_base);
    }
  }
  // The cross-reference store failed (first failure); the record must be retried whole.
  std::optional<Error>& storeError() { return store_error_; }

  // expr_eval.h's environment: reads for expressions and conditions.
  void read(const Source& s, ExprVal& out);
  void fieldError(const Source& s, const ExprVal& v, std::string msg);

 private:
  friend class FastApplier;  // fast_apply.cpp runs uncommon conversions through convert()
  void fail(const Rule& r, const std::string& source, const Val& v, std::string msg) {
    errors_.push_back(FieldError{"", source, r.to_text, r.position, show(v), std::move(msg)});
  }
  Val read(const Source& s, const Value& cur, const Value& parent) {
    Val v = fromValue(lookup(s.parent ? parent : cur, s.path, hint_[s.parent]));
    if (rec_) traceSource(s, v);
    return v;
  }
  // Trace only: how the value came about ("const", "default", "map currency", ...).
  void note(std::string_view step) {
    if (rec_) noteStep(step);
  }
  static Value lookup(Value base, const Path& p, Hint& h) {
    const auto& st = p.steps();
    if (st.size() == 1 && st[0].type == Path::Step::kKey) return findFrom(base, st[0].key, h);
    return get(base, p);
  }

  // apply.cpp
  Value mapScalar(const Rule& r, const Value& cur, const Value& parent, const Value& out_base);
  // src: the source path read (for errors), pointing into the plan; never null.
  bool mapValue(const Rule& r, const Value& cur, const Value& parent, const Value& out_base, Val& v,
                const std::string*& src);
  bool sourceOf(const Rule& r, const Value& cur, const Value& parent, Val& v,
                const std::string*& src);
  void each(const Rule& r, const Value& cur, const Value& parent, const Value& out_base);
  bool copyDirect(const Rule& r, const Value& cur, const Value& parent, const Value& out_base,
                  Value& written);
  // fresh: no earlier rule of the list wrote this target (Rule::fresh_target), so it is added
  // without looking for an existing member.
  // The slot for r.to under base; uses r.fresh_target, r.container_id (0: compare the path's
  // steps instead) and r.container_size.
  // Missing, with why set, when the target cannot be written.
  Value slotCached(Value base, const Rule& r, std::string& why);
  // convert.cpp
  bool convert(const Rule& r, const std::string& src, Val& v);
  bool date(const Rule& r, const std::string& src, Val& v);
  bool lookupId(const Rule& r, const std::string& src, Val& v);
  bool evalExpr(const Rule& r, const Value& cur, const Value& parent, Val& out);
  // template: the text with every placeholder filled (absent: a field error naming it, or ""
  // with missing: empty).
  bool renderTemplate(const Rule& r, const Value& cur, const Value& parent, Val& out);
  // A when/where condition on cur (^ paths: parent). Absent fields make comparisons false; a
  // type error is a field error of r, and the condition counts as false.
  bool test(const Rule& r, const Expr& cond, const Value& cur, const Value& parent);
  // explain.cpp
  void tracedScalar(const Rule& r, const Value& cur, const Value& parent, const Value& out_base);
  void traceSource(const Source& s, const Val& v);
  void noteStep(std::string_view step);
  size_t traceEachBegin(const Rule& r);
  void traceEachElement(const Rule& r, size_t in_index, size_t out_index);
  void traceEachEnd(const Rule& r, size_t entry, size_t in_size, size_t out_size);
  static std::string convName(const Rule& r);

  FieldErrors& errors_;
  const XrefResolver* xref_;
  std::optional<Error> store_error_;
  // Tracing (null when not asked for): the entry being built and the element path prefixes.
  Trace* trace_ = nullptr;
  TraceEntry* rec_ = nullptr;
  std::string tprefix_, sprefix_;
  // Lookup hints for reading (the current record / element, and the enclosing record) and
  // writing, and the cached target container (see slotCached).
  Hint hint_[2], out_hint_;
  ExprScratch scratch_;  // evalExpr's
  Value expr_cur_, expr_parent_;     // what an expression's reads see
  const Rule* expr_rule_ = nullptr;  // whose field errors they are
  Value written_;                 // mapValue's direct copy
  Value parent_;
  const Node* parent_base_ = nullptr;
  const std::vector<Path::Step>* parent_path_ = nullptr;
  uint32_t parent_container_ = 0;
};

}  // namespace qiao::mapping::detail
