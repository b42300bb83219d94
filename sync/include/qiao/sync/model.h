// Two-way customer master data sync: the side-neutral data model and its configuration.
//
// A side is a named system ("crm", "k3", later "wecom"); nothing here assumes two of them.
// A customer on one side is a CustomerRecord: that side's own id, the synced fields as
// canonical field name -> text, the side's own modification time and its lifecycle flags.
// Mappings turn CRM customers / K/3 BD_Customer rows into this shape before the sync sees them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::sync {

using FieldMap = std::map<std::string, std::string>;  // canonical field name -> text value

struct CustomerRecord {
  std::string id;           // the side's own id (CRM customerId, K/3 FCUSTID)
  FieldMap fields;          // only what the side has; an absent field and "" are the same
  int64_t modified_ms = 0;  // the side's last change (CRM modifiedAt, K/3 FModifyDate), ms UTC
  bool deleted = false;
  bool forbidden = false;   // K/3 FForbidStatus = B, CRM status = forbidden
  bool operator==(const CustomerRecord&) const = default;
};

// What happens on the other sides when a side deletes or forbids a customer.
enum class LifecyclePolicy : uint8_t {
  kMirror,  // delete / forbid (and re-enable) it on the other sides too
  kFlag,    // leave it active elsewhere, write SideConfig::flag_field on the other sides
  kIgnore,  // write nothing; still recorded as a PolicyApplication
};
std::string_view toString(LifecyclePolicy p);
Result<LifecyclePolicy> parseLifecyclePolicy(std::string_view text);  // mirror | flag | ignore

struct SideConfig {
  std::string name;                       // "crm", "k3", "wecom"
  LifecyclePolicy on_delete = LifecyclePolicy::kFlag;  // when THIS side deletes
  LifecyclePolicy on_forbid = LifecyclePolicy::kMirror;  // when THIS side forbids / re-enables
  // The field a kFlag policy of another side writes here (e.g. "syncRemark"); outside the
  // synced fields so a flag never counts as content. Empty: this side cannot take flags
  // (a kFlag aimed at it is recorded as not applied).
  std::string flag_field;
  // The synced fields this side carries; empty = all of SyncConfig::fields. A WeCom external
  // contact has only a few, so its content hash covers only those.
  std::vector<std::string> carries;
  // This side cannot delete (K/3 deletes only unaudited data): another side's mirrored delete
  // is a forbid here, and the link keeps this side, forbidden — not deleted, so its next pull
  // is nothing new.
  bool delete_as_forbid = false;
};

struct SyncConfig {
  std::vector<SideConfig> sides;    // order matters: the first side wins exact-time ties
  std::vector<std::string> fields;  // the synced fields; hashing sorts them, order is free
  // field -> owning side. An owned field always comes from its owner; a field not listed is
  // shared (newest change wins).
  std::map<std::string, std::string> owner;
  // An incoming customer with no cross-reference: create it on the other sides (true) or
  // put it on the review list (false, e.g. before the first-sync matching has run).
  bool create_unlinked = true;

  // Every problem at once: unknown side in owner, duplicate side or field, carries naming a
  // field that is not synced ... (kConfigInvalid, one line per problem).
  Status validate() const;
  const SideConfig* side(std::string_view name) const;
  // Index of the side in `sides`, or -1.
  int sideIndex(std::string_view name) const;
  // The synced fields `side` carries, sorted (the canonical order).
  std::vector<std::string> fieldsOf(std::string_view side) const;
};

// A stable 64-bit content hash (FNV-1a over "field\0value\0" in sorted field order, then the
// forbidden/deleted flags). Absent and empty values hash the same. Identical on every
// platform and build: it is stored.
uint64_t contentHash(const FieldMap& fields, const std::vector<std::string>& sorted_fields,
                     bool forbidden, bool deleted);

// The hash of a record over the fields `side` carries.
uint64_t contentHash(const CustomerRecord& record, const SyncConfig& config,
                     std::string_view side);

// Value of a field, "" when absent.
const std::string& fieldValue(const FieldMap& fields, const std::string& name);

}  // namespace qiao::sync
