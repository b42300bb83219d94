// qiao::recon::Service — the reconciliation engine behind a SQLite file, for the gateway.
//
// The gateway's reconciliation sink feeds canonical orders and payments (docs/crm-model.md)
// as JSON; the finance API, `qiao recon run|report` and the CRM payment-status push call the
// rest. The service owns the engine (engine.h), its own connection to the gateway's SQLite
// file (WAL, busy_timeout) and its own tables, all named recon_* (docs/reconciliation.md);
// it never touches another table.
//
//   ServiceOptions o;
//   o.sqlite_path = "data/qiao.db";
//   o.resolver = [&](const Payment& p) { return xrefLookup(p.payer_account); };
//   auto svc = Service::open(o);                       // loads what was committed before
//   (*svc)->addPaymentJson(R"({"paymentId":"B1","source":"bank",...})");
//   auto r = (*svc)->run();                             // match + persist, one transaction
//   for (const auto& c : r->changed) pushToCrm(c.json); // {"orderId","paidAmount",...}
//
// Durability: every mutating call (ingest, run, match, unmatch, releaseHold, addCustomerName)
// commits its rows in one SQLite transaction before it returns OK; when that fails, the
// in-memory state is reloaded from the file, so memory never runs ahead of what was
// committed. A process killed at any point reopens to exactly the last committed state.
//
// Thread-safe: every call takes one mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/clock.h"
#include "qiao/core/result.h"
#include "qiao/recon/engine.h"
#include "qiao/recon/model.h"
#include "qiao/recon/rows.h"

namespace qiao {
class TimeZone;
}

namespace qiao::recon {

struct ServiceOptions {
  std::string sqlite_path;         // the gateway's SQLite file (created if missing)
  int busy_timeout_ms = 5000;      // waits this long for the store's writer
  bool synchronous_full = true;    // PRAGMA synchronous=FULL (NORMAL when false)
  Config config;                   // rules, tolerance, scale, confidences
  CustomerResolver resolver;       // payer -> customer id (the ID cross-reference); optional
  // Names (and aliases) of customers for payer-name matching; added at open (idempotent,
  // persisted). More can come through addCustomerName() and from orders (below).
  std::vector<CustomerName> customer_names;
  // upsertOrderJson registers the order's customerName as a name of its customerCode.
  bool names_from_orders = true;
  const Clock* clock = nullptr;                   // nullptr = Clock::system()
  std::shared_ptr<const TimeZone> timezone;       // paymentUpdatedAt's offset; nullptr = UTC
};

// One order whose paid / outstanding / status changed, for the CRM push.
struct OrderStatusChange {
  std::string order_id;
  // {"orderId","paidAmount","outstandingAmount","paymentStatus","currency","paymentUpdatedAt"}
  // amounts as decimal strings, paymentStatus unpaid|partial|paid|overpaid, the time is when
  // the change was committed (ISO-8601 in ServiceOptions::timezone).
  std::string json;
};

struct RunResult {
  RunStats stats;
  // Every order changed since the last call that handed changes out (run, match, unmatch,
  // releaseHold) — including changes caused by ingest (an order's amount changed) and
  // changes committed before a restart. Sorted by order id.
  std::vector<OrderStatusChange> changed;
};

// Query filters as the HTTP API receives them (text); bad values fail with kInvalidArgument
// naming the parameter ("status: unknown payment status \"x\" (expected unmatched, ...)").
struct PaymentQuery {
  std::string status;    // unmatched|advance|partial|matched|reversal|reversed; "" = any
  std::string customer;  // customer code, as given or resolved; "" = any
  std::string from, to;  // payment date range, inclusive, YYYY-MM-DD; "" = open
  std::size_t limit = 100;   // 1..10000
  std::size_t offset = 0;
};
struct OrderQuery {
  std::string status;    // unpaid|partial|paid|overpaid; "" = any
  std::string customer;  // "" = any
  std::size_t limit = 100;   // 1..10000
  std::size_t offset = 0;
};

struct ManualRequest {
  std::string payment_id;  // as listed by paymentsJson (a K/3 multi-entry receipt: "<id>#<entry>")
  std::string order_id;
  std::string amount;      // match only: decimal string, > 0
  std::string user;        // who (from the API key); required
  std::string reason;      // why; required
  bool allow_overpayment = false;  // match only
};

class Service {
 public:
  // Opens (or creates) the recon_* tables in the file and loads the committed state
  // (fromRows + Engine::restore: a damaged state is refused with the table, row and column).
  static Result<std::unique_ptr<Service>> open(const ServiceOptions& options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // A canonical order (docs/crm-model.md): orderId, customerCode, currency, totalAmount,
  // orderDate required; erpBillNo, customerName, paymentTerms (NET30/60/90 -> due date),
  // plannedReceiptDate and paidBefore optional. Added, kDuplicate when unchanged, kUpdated
  // otherwise. Errors name the field path ("totalAmount: ...").
  Result<IngestOutcome> upsertOrderJson(std::string_view canonical_order_json);
  // A canonical payment: paymentId, source (k3cloud|k3|bank), date, amount (!= 0), currency
  // required — a bank row without paymentId (no 流水号 on the statement) gets
  // "BANK-<hash of its date, payer, account, currency, remark, amount>"; customerCode,
  // payerName, payerAccount, remark, purpose (sales|advance), orderRefs, reversalOf, fee,
  // allocations[] optional. A K/3 receipt with several allocations
  // becomes one engine payment per entry ("<paymentId>#<entryId>"). The same payment again
  // is kDuplicate and counted once; the same id with other content fails (kAlreadyExists).
  Result<IngestOutcome> addPaymentJson(std::string_view canonical_payment_json);
  Status addCustomerName(std::string_view customer_id, std::string_view name);
  // Many records, one commit (a K/3 pull page, an imported statement, a bulk load): each is
  // checked and applied on its own and gets its own outcome or error in the answer (orders
  // first, then payments, in the order given); everything accepted is committed together.
  // The call itself fails only when the commit does (then nothing of the batch is kept).
  Result<std::vector<Result<IngestOutcome>>> ingestBatchJson(const std::vector<std::string>& orders,
                                                             const std::vector<std::string>& payments);

  // Matches what is new, commits, and hands out the changed orders (see RunResult).
  Result<RunResult> run();
  // Drops every automatic allocation and matches everything again; same result otherwise.
  Result<RunResult> rematchAll();

  // Finance. Each commits the allocation and the manual log entry and returns the orders it
  // changed (handed out like run()). kNotFound for an unknown payment / order,
  // kInvalidArgument for a bad amount or a missing user / reason.
  Result<RunResult> match(const ManualRequest& request);
  Result<RunResult> unmatch(const ManualRequest& request);  // amount ignored; puts a hold
  Result<RunResult> releaseHold(const ManualRequest& request);  // order_id, amount ignored

  // JSON for the finance API (shapes in docs/reconciliation.md, "The service").
  // {"total":N,"items":[{payment...,"allocations":[...]}]} sorted by payment id.
  Result<std::string> paymentsJson(const PaymentQuery& query) const;
  // {"total":N,"items":[{order...}]} sorted by order id.
  Result<std::string> ordersJson(const OrderQuery& query) const;
  Result<std::string> orderJson(std::string_view order_id) const;      // kNotFound if unknown
  Result<std::string> paymentJson(std::string_view payment_id) const;  // kNotFound if unknown
  // {"month":"2026-11","currencies":[{"currency","collected","autoMatched","manualMatched",
  //  "autoShare","outstanding","planned","plannedCollected","attainment","advance"}]}
  Result<std::string> summaryJson(int year, int month) const;
  // {"asOf":"2026-11-30","currencies":[{"currency","notDue","d0_30","d31_60","d61_90",
  //  "d90Plus","outstanding","orders"}]}
  Result<std::string> agingJson(Date as_of) const;
  // The manual log, newest first: {"total":N,"items":[{"kind","paymentId","orderId",...}]}.
  Result<std::string> manualLogJson(std::size_t limit, std::size_t offset) const;

  // The month's report workbook (.xlsx), written atomically to `path` (temp file + rename):
  // sheets 汇总 Summary, 已核销 Matched, 部分 Partial, 未匹配 Unmatched, 异常 Exceptions,
  // 账龄 Aging (as of `as_of`). Returns the path written.
  Result<std::string> writeReport(const std::string& path, int year, int month, Date as_of) const;

  // Read access for tests and tools (under the lock; copies).
  Status checkInvariants() const;
  std::optional<OrderResult> order(std::string_view order_id) const;
  std::optional<PaymentResult> payment(std::string_view payment_id) const;
  std::vector<Allocation> allocations() const;

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qiao::recon
