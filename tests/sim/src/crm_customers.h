// The CRM simulator's customers (docs/crm-model.md "Customer"): create, merge-update, soft
// delete, paged incremental reads by (modifiedAt, customerId), deterministic seeding.
// Thread-safe; one reader-writer lock over the book.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "crm_common.h"

namespace qiao::sim::crm {

struct SeedRequest {
  int64_t count = 0;
  uint64_t seed = 1;
  double overlap_with_k3 = 0;    // share of customers drawn from the shared company range
  double name_variants = 0;      // share of those shared ones whose name is written differently
  double without_tax_code = 0;   // share of customers with no taxRegisterCode
};

class CustomerBook {
 public:
  Reply list(const PageQuery& q, bool include_deleted) const;
  Reply get(const std::string& id) const;
  // A repeated Idempotency-Key answers the customer it created first (duplicate, 200).
  Reply create(const nlohmann::json& body, const std::string& idempotency_key,
               const Notify& notify);
  // Merges top-level fields (null removes one); if_match = "" or the expected version.
  Reply update(const std::string& id, const nlohmann::json& body, const std::string& if_match,
               const Notify& notify);
  Reply remove(const std::string& id, const Notify& notify);  // soft: status "deleted"
  Reply seed(const SeedRequest& req);   // no webhooks: data that was already there
  Reply bulk(const nlohmann::json& body);
  std::string all() const;              // every customer, deleted ones too, as a JSON array
  size_t size() const;
  void reset();
  nlohmann::json save() const;
  void load(const nlohmann::json& state);

 private:
  struct Stored {
    std::string json;  // the customer as served, modifiedAt and version included
    int64_t modified_ms = 0;
    int64_t version = 0;
    bool deleted = false;
  };
  std::string nextId();  // caller holds the lock
  void put(const std::string& id, nlohmann::json record, int64_t ms, int64_t version);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Stored> customers_;
  ChangeIndex index_;
  WriteClock clock_;
  uint64_t next_id_ = 1;
  std::unordered_map<std::string, std::string> keys_;  // Idempotency-Key -> customerId
};

}  // namespace qiao::sim::crm
