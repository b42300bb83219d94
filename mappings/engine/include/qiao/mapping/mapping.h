// The field-mapping engine (issue 3): loads a mapping file (docs/design/mapping-format.md) into
// an immutable plan and applies it to JSON documents, forward (source -> target) or reverse.
//
// A plan is read-only after loading: many threads may apply one plan at once. Applying never
// throws; every field error of a record is collected and returned together.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/mapping/document.h"

namespace qiao::mapping {

enum class Direction : uint8_t { kForward, kReverse };

struct LoadOptions {
  // Where `include:` names are looked up (<dir>/<name>.yaml); "" = the mapping file's folder.
  std::string mappings_dir;
};

// One field that could not be mapped. All of a record's field errors are reported together.
struct FieldError {
  std::string business_key;  // value of the plan's `key:` path in the record ("" if none)
  std::string source;        // source path ("" for computed rules)
  std::string target;        // target path
  std::string rule;          // "file:line:column rules[3]"
  std::string value;         // offending value as JSON text ("" when absent)
  std::string message;
  std::string toString() const;
};
using FieldErrors = std::vector<FieldError>;

namespace detail {
struct PlanData;
}

class MappingPlan {
 public:
  explicit MappingPlan(std::unique_ptr<detail::PlanData> data);
  ~MappingPlan();
  MappingPlan(const MappingPlan&) = delete;
  MappingPlan& operator=(const MappingPlan&) = delete;

  const std::string& name() const;
  const std::string& file() const;
  // Target paths the reverse direction cannot produce a source for (no `reverse:` given).
  const std::vector<std::string>& nonInvertible() const;
  // Load notes that are not errors: "file:line:col: FReceiveAddress: concat cannot be reversed;
  // add reverse:", one per non-invertible target.
  const std::vector<std::string>& warnings() const;
  const detail::PlanData& data() const { return *data_; }

 private:
  std::unique_ptr<detail::PlanData> data_;
};

// Errors are kConfigInvalid; the message holds every diagnostic, one per line, each
// "file:line:column: rules[3].map.table: message".
Result<std::shared_ptr<const MappingPlan>> loadMapping(const std::string& path,
                                                       const LoadOptions& options = {});
// Same, from text; file_name is quoted in diagnostics.
Result<std::shared_ptr<const MappingPlan>> loadMappingText(std::string_view yaml,
                                                           std::string_view file_name,
                                                           const LoadOptions& options = {});

// What apply did for one target field (`qiao map --explain`): one entry per rule applied,
// in rule order; rules inside `each` once per element, with element indexes in the paths.
struct TraceSource {
  std::string path;   // source path as read ("lines[0].qty", "^requestedDeliveryDate")
  std::string value;  // the value found, as JSON text; "" when absent
};
struct TraceEntry {
  std::string target;  // "data.Model.FSaleOrderEntry[0].FQty"
  std::string rule;    // "file:line:column rules[24].rules[3]"
  std::vector<TraceSource> sources;  // every source read, in order (fallbacks included)
  std::string how;     // "const", "default", "concat", "expr ...", "each", "" for a plain read
  std::string value;   // what was written, as JSON text; "" when nothing was written
  std::string error;   // the field error(s) of this rule, "" if none
};
using Trace = std::vector<TraceEntry>;

// The record's business key (the value at the plan's `key:` path) as text; "" when the plan
// has no key or the record lacks it.
std::string businessKey(const MappingPlan& plan, const Value& record);

// Resolves `lookup:` rules against the ID cross-reference (the gateway's store). Thread-safe:
// one resolver serves every thread applying plans.
class XrefResolver {
 public:
  virtual ~XrefResolver() = default;
  // local id (our/CRM side) -> id in `system`; nullopt when unknown; an Error when the store
  // failed (its ErrorClass is passed on by apply, so a transient store error is retried).
  virtual Result<std::optional<std::string>> toRemote(std::string_view entity,
                                                      std::string_view system,
                                                      std::string_view local_id) const = 0;
  virtual Result<std::optional<std::string>> toLocal(std::string_view entity,
                                                     std::string_view system,
                                                     std::string_view remote_id) const = 0;
};

struct ApplyOptions {
  const XrefResolver* xref = nullptr;  // needed by `lookup:` rules
  FieldErrors* errors = nullptr;       // receives the field errors (cleared first)
  Trace* trace = nullptr;  // records how each target was produced (cleared first); slower
};

// Maps in into out (out is cleared first). On field errors returns kMappingError (permanent)
// whose message lists them all; options.errors, when given, receives them as records too. out
// then holds whatever could be mapped. When the cross-reference store fails, returns that
// store's Error (code and class kept, e.g. transient) instead: the record is retried whole.
Status apply(const MappingPlan& plan, const Value& in, Document& out, Direction direction,
             const ApplyOptions& options);
// Shorthands without a cross-reference (a `lookup:` rule then gives a field error).
Status apply(const MappingPlan& plan, const Value& in, Document& out, Direction direction,
             FieldErrors* errors = nullptr);
Status apply(const MappingPlan& plan, const Value& in, Document& out, Direction direction,
             FieldErrors* errors, Trace* trace);

}  // namespace qiao::mapping
