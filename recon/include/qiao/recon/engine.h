// qiao::recon::Engine — payment reconciliation (回款核销): matches receipts to orders.
//
// Feed it orders and payments (idempotent by order_no / payment_id), call run(), read the
// results. run() only looks at what is new or changed since the last run: new payments,
// payments whose original arrived (reversals), and remainders (预收) of customers that got
// new or reopened orders. Everything is in memory; writeChanges()/restore() (rows.h) persist
// it.
//
// Rules, in Config::rules order (each allocation records its rule and a confidence):
//   reference        order / ERP bill number in source_order_no or in the remark
//   exact_amount     customer + an open order with exactly the remaining amount
//   tolerance_amount customer + an open order a little above the remaining amount (bank fee)
//   oldest_first     customer's open orders by (order_date, order_no), partial allowed
// What is left becomes the customer's advance balance (预收), or stays unmatched when no
// customer is known. A reversal (negative amount) unwinds its original. See
// docs/reconciliation.md.
//
// Not thread-safe: one owner, or a lock around it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/decimal.h"
#include "qiao/core/result.h"
#include "qiao/recon/model.h"

namespace qiao::recon {

enum class MatchRule : uint8_t { kReference, kExactAmount, kToleranceAmount, kOldestFirst };
std::string_view toString(MatchRule r);
// "reference", "exact_amount", "tolerance_amount", "oldest_first"; an unknown or repeated
// name fails naming its index ("rules[2]: unknown rule \"fuzzy\"").
Result<std::vector<MatchRule>> parseRules(const std::vector<std::string>& names);

struct Tolerance {
  std::optional<Decimal> absolute;  // e.g. 50.00: up to ¥50 short still settles the order
  std::optional<Decimal> percent;   // e.g. 0.5: up to 0.5 % of the order's open amount
  // Both given: false = either limit suffices (the larger), true = both must hold (the smaller).
  bool require_both = false;
};

struct Confidences {
  double source_field = 1.0;         // source_order_no names the order
  double remark_exact = 0.95;        // a remark token is the order number
  double remark_partial = 0.85;      // prefix dropped or added, inside a longer token
  double payer_differs = 0.6;        // referenced order belongs to another customer
  double exact_amount = 0.9;
  double exact_amount_ambiguous = 0.75;  // several open orders with that amount; oldest taken
  double tolerance_amount = 0.7;
  double oldest_first = 0.6;
  double by_payer_name = 0.9;        // factor when the customer came from the payer name
};

struct Config {
  std::vector<MatchRule> rules = {MatchRule::kReference, MatchRule::kExactAmount,
                                  MatchRule::kToleranceAmount, MatchRule::kOldestFirst};
  int scale = 2;  // decimals kept; an amount with more is rejected (never rounded)
  Tolerance tolerance{Decimal::fromInt(10), std::nullopt, false};
  bool write_off_tolerance_difference = true;  // the fee closes the order (recorded)
  // 预收款 receipts without a reference stay advance unless this is set.
  bool match_advance_receipts_by_customer = false;
  std::size_t min_reference_length = 5;  // shortest remark piece looked up as a reference
  Confidences confidence;
};
// kInvalidArgument naming the field: scale 0..6, tolerance.absolute >= 0 with at most `scale`
// decimals, tolerance.percent in [0, 100) with at most 4 decimals, confidences in 0..1.
Status validate(const Config& config);

// Maps a payment to a customer id when it carries none (the lead backs it with the ID
// cross-reference: payer account / K/3 contact unit -> customer). nullopt = unknown.
using CustomerResolver = std::function<std::optional<std::string>(const Payment&)>;

enum class IngestOutcome : uint8_t { kAdded, kDuplicate, kUpdated };

struct RunStats {
  std::size_t payments_processed = 0;
  std::size_t allocations_created = 0;
  std::size_t reversals_applied = 0;
  std::size_t reversals_waiting = 0;  // negative receipts whose original is not known yet
};

struct ManualAction {
  enum class Kind : uint8_t { kMatch, kUnmatch };
  Kind kind = Kind::kMatch;
  std::string payment_id;
  std::string order_no;
  Decimal amount;  // match: the amount allocated; unmatch: the amount released
  std::string user;
  std::string reason;
  int64_t at_ms = 0;
  bool operator==(const ManualAction&) const = default;
};

struct AdvanceBalance {
  std::string customer_id;
  std::string currency;
  Decimal amount;  // sum of unallocated over the customer's payments in that currency
};

// Per month and currency. Figures use the engine's current state.
struct MonthSummary {
  std::string currency;
  Decimal collected;          // sum of payment amounts dated in the month (reversals negative)
  Decimal auto_matched;       // automatic allocations of those payments
  Decimal manual_matched;     // manual allocations of those payments
  std::optional<Decimal> auto_share;  // auto_matched / collected (4 decimals); none if 0
  Decimal outstanding;        // open amount of orders dated on or before the month's end
  Decimal planned;            // amounts of orders with planned_receipt_date in the month
  Decimal planned_collected;  // allocated to those orders from payments dated <= month end
  std::optional<Decimal> attainment;  // planned_collected / planned (4 decimals); none if 0
};

struct AgingRow {
  std::string currency;
  Decimal not_due;  // due date after as_of
  Decimal d0_30, d31_60, d61_90, d90_plus;
  std::size_t orders = 0;
};

// Filters for the listing calls (all given fields must match; dates inclusive).
struct OrderFilter {
  std::optional<OrderStatus> status;
  std::optional<std::string> customer_id;
  std::optional<std::string> currency;
};
struct PaymentFilter {
  std::optional<PaymentStatus> status;
  std::optional<std::string> customer_id;  // as given or resolved
  std::optional<Date> from, to;
  uint32_t any_notes = kNoteNone;  // non-zero: only payments carrying one of these notes
};

struct State;      // rows.h
struct RowWriter;  // rows.h

class Engine {
 public:
  static Result<Engine> create(Config config, CustomerResolver resolver = {});
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  // Capacity hint before a bulk load (saves rehashing); optional.
  void reserve(std::size_t orders, std::size_t payments);

  // A customer's name (or alias) for payer-name matching. A name shared by two customers
  // resolves to neither (noted as ambiguous).
  Status addCustomerName(std::string_view customer_id, std::string_view name);
  // kDuplicate when the same order / payment was added before with identical content;
  // kAlreadyExists when the id is known with different content; kInvalidArgument (naming
  // the field) for bad input.
  Result<IngestOutcome> addOrder(Order order);
  // An order changed in the CRM / ERP: added if new, kDuplicate if unchanged, else kUpdated.
  // Customer and currency may change only while nothing is allocated to it (kInvalidArgument
  // otherwise). When the amount drops below what is allocated, automatic allocations are
  // released newest first (their money goes back to its payments and is matched again on the
  // next run); manual ones above the new amount are flagged as overpayment.
  Result<IngestOutcome> upsertOrder(Order order);
  Result<IngestOutcome> addPayment(Payment payment);

  RunStats run();
  // Drops every automatic allocation and matches everything again from scratch (the same
  // result whatever order things arrived in). Manual allocations and holds stay.
  RunStats rematchAll();

  // Finance overrides. match: allocates `amount` of the payment to the order, taking it from
  // the payment's unallocated part and, if that is short, releasing the payment's automatic
  // allocations newest first. Above the order's open amount only with allow_overpayment.
  Status match(std::string_view payment_id, std::string_view order_no, const Decimal& amount,
               std::string_view user, std::string_view reason, int64_t at_ms,
               bool allow_overpayment = false);
  // Removes the payment's allocations to the order (automatic or manual) and puts the payment
  // on hold: automatic runs leave it alone from now on.
  Status unmatch(std::string_view payment_id, std::string_view order_no, std::string_view user,
                 std::string_view reason, int64_t at_ms);
  // Gives a held payment back to automatic matching (its remainder is matched on next run).
  Status releaseHold(std::string_view payment_id, std::string_view user, std::string_view reason,
                     int64_t at_ms);
  const std::vector<ManualAction>& manualLog() const;

  std::optional<OrderResult> order(std::string_view order_no) const;
  std::optional<PaymentResult> payment(std::string_view payment_id) const;
  std::vector<OrderResult> orders() const;      // sorted by order_no
  std::vector<PaymentResult> payments() const;  // sorted by payment_id
  // Filtered listings (a linear scan: ~0.1 s per million orders), sorted the same way.
  std::vector<OrderResult> orders(const OrderFilter& filter) const;
  std::vector<PaymentResult> payments(const PaymentFilter& filter) const;
  std::vector<Allocation> allocations() const;  // sorted by seq
  std::vector<Allocation> allocationsOfPayment(std::string_view payment_id) const;
  std::vector<Allocation> allocationsOfOrder(std::string_view order_no) const;
  std::vector<AdvanceBalance> advanceBalances() const;  // non-zero, sorted
  Decimal advanceBalance(std::string_view customer_id, std::string_view currency) const;
  // Orders whose paid / outstanding / status changed since the last call (for the CRM push),
  // sorted.
  std::vector<std::string> takeChangedOrders();

  Result<std::vector<MonthSummary>> summary(int year, int month) const;
  std::vector<AgingRow> aging(Date as_of) const;  // by currency; age from the due date
                                                  // (planned_receipt_date, else order_date)

  // Verifies every invariant (sums, bounds, indexes); a description of the first violation.
  Status checkInvariants() const;

  // Persistence (rows.h). exportState() copies everything (tests, small books, rematchAll);
  // writeChanges() streams only what changed since its last successful call (or since
  // create/restore) row by row, which is what a store should use at a million orders. After
  // rematchAll() it rewrites everything (allocations cleared first). When the writer fails,
  // nothing is marked saved, so the next call writes it again.
  State exportState() const;
  Status writeChanges(const RowWriter& writer);
  Status writeAll(const RowWriter& writer) const;
  static Result<Engine> restore(Config config, const State& state, CustomerResolver resolver = {});

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qiao::recon
