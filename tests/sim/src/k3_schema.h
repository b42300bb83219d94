// The forms the K/3 simulator knows: field keys, labels, required flags and base-data
// references, per /work/shared/reference/kingdee-k3cloud.md section 5. Bills (SAL_SaleOrder,
// AR_RECEIVEBILL) and base data (BD_Customer, BD_MATERIAL, ...) share one description.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiao::sim::k3 {

enum class FieldKind { kText, kNumber, kDate, kRef, kBool };

struct FieldDef {
  std::string key;
  std::string label;  // Chinese caption used in K/3's messages
  FieldKind kind = FieldKind::kText;
  std::string ref_form;  // kRef: the base-data form referenced by {"FNumber": ...}
  bool required = false;
};

struct EntityDef {
  std::string key;  // "" = the header; e.g. "FSaleOrderFinance", "FSaleOrderEntry"
  std::string label;
  bool is_entry = false;  // array of rows (单据体) vs. sub-header object (子单据头)
  std::vector<FieldDef> fields;
  const FieldDef* field(std::string_view key) const;  // case-insensitive
};

struct FormDef {
  std::string id;            // "SAL_SaleOrder"
  std::string label;         // "销售订单"
  std::string key_field;     // "FID", "FCUSTID", ...
  std::string number_field;  // "FBillNo" or "FNumber"
  std::string status_field;  // "FDocumentStatus" or "FDOCUMENTSTATUS"
  std::string number_prefix;
  int number_digits = 6;
  bool is_base_data = false;
  std::vector<EntityDef> entities;  // [0] is the header

  const EntityDef& header() const { return entities.front(); }
  const EntityDef* entity(std::string_view key) const;  // case-insensitive, not the header
  // Finds a field in the header or a sub-header; *owner gets the entity ("" = header).
  const FieldDef* headerField(std::string_view key, const EntityDef** owner) const;
  const FieldDef* entryField(std::string_view key, const EntityDef** owner) const;
};

// Every form, in a fixed order; lookups are case-insensitive.
const std::vector<FormDef>& allForms();
const FormDef* findForm(std::string_view id);

// The seeded base data and the seeded tenant's documents, per form id: arrays of documents
// without ids (the store assigns them).
nlohmann::json seedDocuments();

}  // namespace qiao::sim::k3
