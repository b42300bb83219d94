// Internal: a rule list compiled for the common case (issue 3, "map alone" throughput). Every
// target is resolved at load to a container register and a key; keys, literals and value-map
// texts are owned by the program and borrowed by the output document (Document::keepAlive), so
// a record is mapped without building paths, strings or std::string values.
//
// The fast path only maps records that map cleanly: on the first field error (or anything it
// does not handle itself) it gives up and apply() maps the record again with the general
// applier (applier.h), which reports the errors. Both give the same output by construction:
// the fast path follows the general one's steps and falls back wherever they would differ.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plan.h"

namespace qiao::mapping::detail {

// Text owned by the program (stable address).
struct FastText {
  const char* p = nullptr;
  uint32_t n = 0;
  std::string_view view() const { return {p, n}; }
};

// A literal as it will be written (texts owned by the program).
struct FastLit {
  Kind kind = Kind::kNull;
  bool flag = false;
  FastText text;
};

// A source read: a single key, or a general path. A single key is first looked for where this
// read found it in the previous record (FastProgram::hints[hint]): records of one source mostly
// list their fields in the same order, so the scan of the object's members is mostly skipped.
struct FastRead {
  const Source* src = nullptr;
  bool single = false;
  bool parent = false;   // src->parent: `^x` reads the enclosing record
  uint32_t hint = 0;     // index into FastProgram::hints
  std::string_view key;  // single: the key (a view of the plan's Path)
};

struct FastList;

struct FastStep {
  // The most common rules get a short way: a plain rename (one source, optionally a default
  // and ref), a constant (no default, condition or conversion), `decimal: {}` or `map:` on one
  // source, `date:` and arithmetic `expr:` (the general way takes over for anything else).
  enum Op : uint8_t { kGeneral, kCopy, kConst, kDecimal, kMap, kDate, kArith } op = kGeneral;
  bool required = false;
  const Rule* rule = nullptr;
  int container = -1;  // register holding the target's container; -1 = the list's base object
  FastText key;        // the member written
  bool wrap = false;   // ref: {wrap_key: value}
  FastText wrap_key;
  std::vector<FastRead> from;   // from: (first present), or concat's parts
  bool has_const = false, has_default = false, has_otherwise = false;
  FastLit constant, default_value, otherwise;
  bool transforms = false;      // trim/upper/lower/halfwidth
  // map: small tables are scanned (keys compared by length first); big ones hashed.
  std::vector<std::pair<std::string_view, FastText>> small_table;
  std::shared_ptr<const Table> big_table;
  bool has_map_default = false;
  FastText map_default;
  bool date_auto_fast = false;   // date: parse auto, format yyyy-MM-dd HH:mm:ss, no zone
  FastText date_suffix;          // date_fast's suffix
  FastText separator;            // concat
  // expr: only numbers, fields, + - * round and unary minus: evaluated in 128-bit fixed point
  // (the general evaluator takes over outside its range).
  bool arith = false;
  std::vector<FastRead> expr_reads;  // arith: the read of each kLoad op, by op index
  FastRead each;                 // each: the list read
  std::unique_ptr<FastList> rules;  // each: the element's rules
};

struct FastContainer {
  int parent = -1;  // register of the enclosing container; -1 = base
  FastText key;
  uint32_t reserve = 0;  // distinct members the list can add to it
};

struct FastList {
  std::vector<FastContainer> containers;
  std::vector<FastStep> steps;
};

// Registers per list: more containers than this and the list is not compiled.
constexpr size_t kFastMaxContainers = 16;

struct FastProgram {
  FastList list;
  // Member positions where each read last found its key. Only a speed hint (a wrong one costs a
  // scan, never a different result), so threads sharing the program update them relaxed.
  std::unique_ptr<std::atomic<uint32_t>[]> hints;
  uint32_t hint_count = 0;
  std::deque<std::string> texts;                    // owned texts (stable)
  std::vector<std::shared_ptr<const Table>> tables;  // borrowed big tables, kept alive
  FastText own(std::string_view s) {
    const std::string& t = texts.emplace_back(s);
    return {t.data(), static_cast<uint32_t>(t.size())};
  }
};

// Null when a rule list uses something the fast path does not take (a target that is not a
// plain key path, a target written twice or inside another target, too many containers).
std::shared_ptr<const FastProgram> compileFast(const std::vector<Rule>& rules);

// Maps in into out (whose root the caller made an empty object with room for every rule);
// false when the record needs the general applier (a field error, a store error, ...).
bool applyFast(const FastProgram& p, const Value& in, Document& out, const XrefResolver* xref);

}  // namespace qiao::mapping::detail
