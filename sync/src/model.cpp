// Sync configuration checks and the stable content hash; see model.h.
#include "qiao/sync/model.h"

#include <algorithm>
#include <set>

namespace qiao::sync {

std::string_view toString(LifecyclePolicy p) {
  switch (p) {
    case LifecyclePolicy::kMirror: return "mirror";
    case LifecyclePolicy::kFlag: return "flag";
    case LifecyclePolicy::kIgnore: return "ignore";
  }
  return "?";
}

Result<LifecyclePolicy> parseLifecyclePolicy(std::string_view text) {
  if (text == "mirror") return LifecyclePolicy::kMirror;
  if (text == "flag") return LifecyclePolicy::kFlag;
  if (text == "ignore") return LifecyclePolicy::kIgnore;
  return Error::permanent(ErrorCode::kConfigInvalid,
                          "unknown policy '" + std::string(text) + "' (mirror, flag, ignore)");
}

Status SyncConfig::validate() const {
  std::vector<std::string> problems;
  std::set<std::string> side_names;
  std::set<std::string> field_names(fields.begin(), fields.end());
  if (sides.size() < 2) problems.push_back("sides: at least two sides are needed");
  if (field_names.size() != fields.size()) problems.push_back("fields: a field is listed twice");
  if (fields.empty()) problems.push_back("fields: no synced field");
  for (std::size_t i = 0; i < sides.size(); ++i) {
    const SideConfig& s = sides[i];
    std::string at = "sides[" + std::to_string(i) + "]";
    if (s.name.empty()) problems.push_back(at + ".name: empty");
    if (!side_names.insert(s.name).second) problems.push_back(at + ".name: '" + s.name + "' twice");
    if (!s.flag_field.empty() && field_names.count(s.flag_field)) {
      problems.push_back(at + ".flag_field: '" + s.flag_field + "' is a synced field");
    }
    for (const std::string& f : s.carries) {
      if (!field_names.count(f)) {
        problems.push_back(at + ".carries: '" + f + "' is not in fields");
      }
    }
  }
  for (const auto& [field, side_name] : owner) {
    if (!field_names.count(field)) {
      problems.push_back("owner." + field + ": not a synced field");
    }
    if (!side_names.count(side_name)) {
      problems.push_back("owner." + field + ": unknown side '" + side_name + "'");
    }
  }
  if (problems.empty()) return Status::okStatus();
  std::string msg = "sync config invalid:";
  for (const std::string& p : problems) msg += "\n  " + p;
  return Error::permanent(ErrorCode::kConfigInvalid, msg);
}

const SideConfig* SyncConfig::side(std::string_view name) const {
  for (const SideConfig& s : sides) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

int SyncConfig::sideIndex(std::string_view name) const {
  for (std::size_t i = 0; i < sides.size(); ++i) {
    if (sides[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> SyncConfig::fieldsOf(std::string_view name) const {
  const SideConfig* s = side(name);
  std::vector<std::string> out = (s && !s->carries.empty()) ? s->carries : fields;
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
void mix(uint64_t* h, std::string_view bytes) {
  for (char c : bytes) {
    *h ^= static_cast<unsigned char>(c);
    *h *= kFnvPrime;
  }
  *h ^= 0;  // the separator byte keeps "ab","c" apart from "a","bc"
  *h *= kFnvPrime;
}
}  // namespace

const std::string& fieldValue(const FieldMap& fields, const std::string& name) {
  static const std::string kEmpty;
  auto it = fields.find(name);
  return it == fields.end() ? kEmpty : it->second;
}

uint64_t contentHash(const FieldMap& fields, const std::vector<std::string>& sorted_fields,
                     bool forbidden, bool deleted) {
  uint64_t h = kFnvOffset;
  for (const std::string& f : sorted_fields) {
    mix(&h, f);
    mix(&h, fieldValue(fields, f));
  }
  mix(&h, forbidden ? "F1" : "F0");
  mix(&h, deleted ? "D1" : "D0");
  return h == 0 ? 1 : h;  // 0 means "unknown" in the state
}

uint64_t contentHash(const CustomerRecord& record, const SyncConfig& config,
                     std::string_view side) {
  return contentHash(record.fields, config.fieldsOf(side), record.forbidden, record.deleted);
}

}  // namespace qiao::sync
