// Persistence of the engine state as table rows (see docs/reconciliation.md for the DDL).
//
// Engine::exportState() gives a State; toRows() turns each part into rows of text cells in the
// column order of the proposed tables; fromRows() parses them back, failing with the table,
// row number and column of the first bad cell. Engine::restore() rebuilds every index from a
// State and checks the invariants, so a damaged database is refused, not half-loaded.
#pragma once

#include <cstdint>
#include <functional>
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

// The tables, in DDL column order (the first column(s) are the primary key):
//   recon_orders          order_no | erp_bill_no customer_id currency amount order_date
//                         planned_receipt_date paid_before
//   recon_payments        payment_id | source date payer_name payer_account customer_id currency
//                         amount remark source_order_no reverses_payment_id purpose
//                         resolved_customer_id customer_source processed held notes cancelled
//                         reversal_of
//   recon_allocations     seq | payment_id order_no amount difference rule confidence manual
//                         overpayment user_name reason at_ms unwinds_seq
//   recon_customer_names  customer_id name |  (both: the key)
//   recon_manual_log      id | kind payment_id order_no amount user_name reason at_ms
//   recon_meta            key | value        (format_version = 1, next_seq)
const std::vector<std::string>& columnsOf(std::string_view table);  // empty if unknown
Row orderRow(const Order& o);
Row paymentRow(const PaymentState& p);
Row allocationRow(const Allocation& a);
Row customerNameRow(const CustomerName& c);
Row manualLogRow(std::size_t id, const ManualAction& m);  // id: 1-based position in the log
std::vector<Row> metaRows(int64_t next_seq);

// Where Engine::writeChanges / writeAll send rows (e.g. SQLite statements in one transaction).
struct RowWriter {
  // DELETE FROM recon_allocations (only after rematchAll, before the allocations are written).
  std::function<Status()> clear_allocations;
  // INSERT OR REPLACE INTO <table> VALUES (row...).
  std::function<Status(std::string_view table, const Row& row)> upsert;
  // DELETE FROM recon_allocations WHERE seq = ?
  std::function<Status(int64_t seq)> delete_allocation;
};

// Everything of a State as tables (fine for tests and small books; a million orders take
// gigabytes this way: use Engine::writeChanges instead).
std::vector<TableRows> toRows(const State& state);
// Tables may come in any order; a missing table is empty; a column list that differs from
// the expected one fails. Errors: "recon_payments row 3 column amount: ...".
Result<State> fromRows(const std::vector<TableRows>& tables);

}  // namespace qiao::recon
