// Record: the unit that travels through qiao. The payload stays JSON text so that it crosses
// the store, the plugin ABI and the HTTP API without re-encoding.
#pragma once

#include <cstdint>
#include <string>

namespace qiao {

struct Record {
  std::string payload;          // JSON text of the business document
  std::string entity;           // "order", "customer", "payment", ...
  std::string source_system;    // "crm", "k3cloud", "excel", ...
  std::string business_key;     // the key people search by: "SO-1234"
  std::string idempotency_key;  // stable per logical write; sent to the target on every try
  std::string trace_id;         // follows the record across systems and log lines
  int64_t created_at_ms = 0;    // when qiao accepted it (UTC, ms since epoch)
  int64_t updated_at_ms = 0;    // last change of the payload (replay with a correction)
  // Delivery attempt this record is being delivered in (1 = first try), set by the store when
  // it hands the message out, counting tries made before a replay too; 0 outside delivery. A
  // sink whose earlier try may have taken effect (attempt > 1) looks the record up in the
  // target before writing it again.
  int attempt = 0;
};

}  // namespace qiao
