// Stored documents of the K/3 simulator and the operations on them: Save/BatchSave/Draft,
// Submit/Audit/UnAudit/Delete with the Z/A/B/C/D status flow, View; base-data lookups for
// {"FNumber": ...} references. One store per form, each with its own lock: a Save locks its form
// and then (shared) the base-data forms it references, always in that order (references form
// a DAG: bills → customers → organisations/currencies), so locks never cycle.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "k3_common.h"
#include "k3_schema.h"

namespace qiao::sim::k3 {

// One form's documents. Members are guarded by mu; the helpers expect the caller to hold it
// (unique for changes).
struct FormStore {
  explicit FormStore(const FormDef& d) : def(d) {}
  const FormDef& def;
  mutable std::shared_mutex mu;
  std::map<int64_t, json> docs;                        // id → full document, ordered by id
  std::unordered_map<std::string, int64_t> by_number;  // FBillNo / FNumber → id
  // Lazily built equality indexes for header fields: lower(field) → lower(text) → ids.
  std::unordered_map<std::string, std::unordered_map<std::string, std::set<int64_t>>> indexes;
  std::unordered_set<std::string> seen_fields;  // lower-case keys of custom fields ever saved
  // Lazily built ordered indexes for header date fields (FModifyDate): lower(field) →
  // dateKey(value) → ids, so `FModifyDate >= '...'` reads only the newer documents.
  std::unordered_map<std::string, std::map<std::string, std::set<int64_t>>> ranges;
  int64_t next_number = 1;

  std::string numberOf(const json& doc) const;
  std::string statusOf(const json& doc) const;  // "" when absent
  void put(int64_t id, json doc);
  void erase(int64_t id);
  void clear();
  // Builds the index for a header field if missing (unique lock held).
  void ensureIndex(const std::string& field_lower);
  // Builds the ordered index for a header date field if missing (unique lock held).
  void ensureRange(const std::string& field_lower);
  // "2026-11-27 10:00:00" → "2026-11-27T10:00:00.000": one spelling per instant, ordered as text.
  static std::string dateKey(const json& v);
};

struct RefInfo {
  int64_t id = 0;
  std::string number, name;
  bool forbidden = false;
};

class Forms {
 public:
  Forms();
  FormStore* store(std::string_view form_id);  // nullptr for an unknown form
  const FormStore* store(std::string_view form_id) const;
  std::optional<RefInfo> lookup(const std::string& form, const std::string& number) const;

  // The service calls; each returns the full response body (the "Result" envelope).
  json save(const FormDef& def, const json& data, bool batch, bool draft);
  json operate(const std::string& op, const FormDef& def, const json& data);
  json view(const FormDef& def, const json& data);

  // Admin: add or replace base data by FNumber; add documents as given (receipts).
  json addBaseData(const FormDef& def, const json& rows, std::string* error);
  json addDocuments(const FormDef& def, const json& docs, std::string* error);
  // Generated customers (crm_companies.h): the first round(count·overlap_with_crm) from the
  // range shared with the CRM simulator, the rest K/3-only; numbered CUST000001, ...
  json seedCustomers(int64_t count, uint64_t seed, double overlap_with_crm, std::string* error);
  json list(const FormDef& def) const;
  std::optional<json> get(const FormDef& def, int64_t id) const;
  json counts() const;
  void reset();
  json saveState() const;
  void loadState(const json& state);

 private:
  struct SaveOptions;
  int64_t newId() { return next_id_++; }
  int64_t newEntryId() { return next_entry_id_++; }
  // Applies one Model under the store's unique lock; errors get dindex.
  std::optional<json> saveOne(FormStore& st, const json& model, SaveOptions& opt,
                              int dindex, std::vector<K3Error>* errors);
  void validate(const FormDef& def, const json& doc, bool verify_refs, int dindex,
                std::vector<K3Error>* errors) const;
  json applyModel(const FormDef& def, const json* existing, const json& model,
                  const SaveOptions& opt, int dindex, std::vector<K3Error>* errors);
  json viewObject(const FormDef& def, const json& doc) const;
  json refView(const std::string& form, const json& value) const;

  std::vector<std::unique_ptr<FormStore>> stores_;
  std::atomic<int64_t> next_id_{100001}, next_entry_id_{200001};
};

const char* statusName(const std::string& status);

}  // namespace qiao::sim::k3
