// Persistence of the engine state as table rows (see docs/reconciliation.md for the DDL).
//
// Engine::exportState() gives a State; toRows() turns each part into rows of text cells in the
// column order of the proposed tables; fromRows() parses them back, failing with the table,
// row number and column of the first bad cell. Engine::restore() rebuilds every index from a
// State and checks the invariants, so a damaged database is refused, not half-loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/recon/engine.h"
#include "qiao/recon/model.h"

namespace qiao::recon {

struct CustomerName {
  std::string customer_id;
  std::string name;
  bool operator==(const CustomerName&) const = default;
};

// A payment plus what the engine learned about it.
struct PaymentState {
  Payment payment;
  std::optional<std::string> resolved_customer_id;  // when the payment carried none
  std::string customer_source;  // given | resolver | payer_name | reference | manual | ""
  bool processed = false;
  bool held = false;            // finance unmatched it: no automatic matching
  uint32_t notes = kNoteNone;
  Decimal cancelled;            // part of the unallocated amount cancelled by a reversal
  std::optional<std::string> reversal_of;  // reversal: the original it was applied to
  bool operator==(const PaymentState&) const = default;
};

struct State {
  std::vector<Order> orders;
  std::vector<PaymentState> payments;
  std::vector<Allocation> allocations;
  std::vector<CustomerName> customer_names;
  std::vector<ManualAction> manual_log;
  int64_t next_seq = 1;
};

using Cell = std::optional<std::string>;  // nullopt = SQL NULL
using Row = std::vector<Cell>;

struct TableRows {
  std::string table;                 // recon_orders, recon_payments, ...
  std::vector<std::string> columns;  // in DDL order
  std::vector<Row> rows;
};

// recon_orders, recon_payments, recon_allocations, recon_customer_names, recon_manual_log,
// recon_meta (key, value: next_seq, format version).
std::vector<TableRows> toRows(const State& state);
// Tables may come in any order; a missing table is empty; a column list that differs from
// the expected one fails. Errors: "recon_payments row 3 column amount: ...".
Result<State> fromRows(const std::vector<TableRows>& tables);

}  // namespace qiao::recon
