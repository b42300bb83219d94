// The CRM simulator's sales orders (docs/crm-model.md "Order") and the two write-backs the
// gateway makes to them: the ERP status after K/3 accepted an order, and the payment status
// from reconciliation. Write-backs are idempotent: a repeat (same Idempotency-Key, or the same
// values as already stored) is answered without a second effect.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "crm_common.h"

namespace qiao::sim::crm {

enum class WriteBack { kErpStatus, kPaymentStatus };

class OrderBook {
 public:
  // Creates or replaces, keeping the write-back fields; notify hears of confirmed orders.
  Reply upsert(const nlohmann::json& body, const Notify& notify);
  Reply get(const std::string& id) const;
  Reply list(const PageQuery& q) const;
  Reply writeBack(WriteBack kind, const std::string& order_id, const nlohmann::json& body,
                  const std::string& idempotency_key);
  std::string all() const;
  size_t size() const;
  void reset();
  nlohmann::json save() const;
  void load(const nlohmann::json& state);

 private:
  struct Stored {
    nlohmann::json order;  // as served, server fields included
    int64_t modified_ms = 0;
    int64_t version = 0;
  };
  void put(const std::string& id, nlohmann::json order, int64_t version);  // holds mu_

  mutable std::mutex mu_;
  std::unordered_map<std::string, Stored> orders_;
  std::unordered_map<std::string, std::string> keys_;  // Idempotency-Key -> orderId
  ChangeIndex index_;
  WriteClock clock_;
};

}  // namespace qiao::sim::crm
