// The reconciliation (回款核销) data model: orders, payments, allocations and their results.
//
// All amounts are qiao::Decimal. The engine keeps them at one fixed scale (Config::scale,
// default 2 = fen) and rejects an input with more decimals than that rather than rounding money.
// Dates are whole days (Date = days since 1970-01-01, see parseDate/formatDate).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/decimal.h"
#include "qiao/core/result.h"

namespace qiao::recon {

// Days since 1970-01-01 (negative before).
using Date = int32_t;
// "2026-11-26" (also 2026/11/26, 2026年11月26日, 20261126); kInvalidArgument quoting the text.
Result<Date> parseDate(std::string_view text);
std::string formatDate(Date d);

enum class PaymentSource : uint8_t { kK3, kBank };
enum class Purpose : uint8_t { kSale, kAdvance };  // K/3 SFKYT01_SYS 销售收款 / SFKYT02_SYS 预收款

struct Order {
  std::string order_no;     // the CRM's order number, unique
  std::string erp_bill_no;  // K/3 SAL_SaleOrder FBillNo; may be empty
  std::string customer_id;  // the shared customer code
  std::string currency;     // ISO 4217
  Decimal amount;           // >= 0, tax included
  Date order_date = 0;
  std::optional<Date> planned_receipt_date;  // due date for aging and collection attainment
  Decimal paid_before;      // already paid outside the engine (e.g. written off in K/3 before)
  bool operator==(const Order&) const = default;
};

struct Payment {
  std::string payment_id;  // stable external id: K/3 FBillNo(+entry) or the bank row key
  PaymentSource source = PaymentSource::kBank;
  Date date = 0;
  std::string payer_name;
  std::string payer_account;
  std::optional<std::string> customer_id;  // when the source knows it (K/3 FCONTACTUNIT)
  std::string currency;
  Decimal amount;  // != 0; negative = red / reversal receipt
  std::string remark;
  std::optional<std::string> source_order_no;      // K/3 FSALEORDERNO / FSRCBILLNO
  std::optional<std::string> reverses_payment_id;  // a reversal naming its original
  Purpose purpose = Purpose::kSale;
  bool operator==(const Payment&) const = default;
};

// Rule names as recorded on allocations.
inline constexpr std::string_view kRuleReference = "reference";
inline constexpr std::string_view kRuleExactAmount = "exact_amount";
inline constexpr std::string_view kRuleToleranceAmount = "tolerance_amount";
inline constexpr std::string_view kRuleOldestFirst = "oldest_first";
inline constexpr std::string_view kRuleReversal = "reversal";
inline constexpr std::string_view kRuleManual = "manual";

struct Allocation {
  std::string payment_id;
  std::string order_no;
  Decimal amount;      // > 0; < 0 only for rule "reversal" (unwinding the original's share)
  Decimal difference;  // tolerance / reference rule: the shortfall written off (bank fee)
  std::string rule;
  double confidence = 0;  // 0..1
  bool manual = false;
  bool overpayment = false;  // manual allocation above the order's open amount
  std::string user;          // manual only
  std::string reason;        // manual only
  int64_t at_ms = 0;         // manual only: when
  int64_t seq = 0;           // creation order inside the engine (stable, for unwinding)
  int64_t unwinds_seq = 0;   // reversal only: the seq of the allocation it unwinds
  bool operator==(const Allocation&) const = default;
};

enum class OrderStatus : uint8_t { kUnpaid, kPartial, kPaid, kOverpaid };
enum class PaymentStatus : uint8_t {
  kUnmatched,  // no customer known, nothing allocated
  kAdvance,    // customer known, nothing allocated: all of it is 预收
  kPartial,    // some allocated, the rest is 预收 (customer known) or unmatched
  kMatched,    // fully allocated
  kReversal,   // a negative receipt (its allocations unwind its original)
  kReversed,   // fully cancelled by a reversal
};
std::string_view toString(OrderStatus s);
std::string_view toString(PaymentStatus s);
std::string_view toString(PaymentSource s);
std::string_view toString(Purpose p);
Result<OrderStatus> parseOrderStatus(std::string_view text);
Result<PaymentStatus> parsePaymentStatus(std::string_view text);
Result<PaymentSource> parsePaymentSource(std::string_view text);  // "k3" | "bank"
Result<Purpose> parsePurpose(std::string_view text);              // "sale" | "advance"

// Why a payment was not (fully) matched, or what finance should look at. Bit flags.
enum Note : uint32_t {
  kNoteNone = 0,
  kNoteCurrencyMismatch = 1u << 0,    // a referenced order / the customer's orders are in another currency
  kNoteUnknownPayer = 1u << 1,        // no customer could be resolved
  kNoteAmbiguousReference = 1u << 2,  // a remark token fits several orders; not used
  kNoteReferenceNotFound = 1u << 3,   // source_order_no names no known order
  kNoteReferencedOrderPaid = 1u << 4, // the referenced order had nothing open
  kNotePayerDiffers = 1u << 5,        // referenced order belongs to another customer
  kNoteReversalWithoutOriginal = 1u << 6,
  kNoteReversalUnwoundManual = 1u << 7,  // a reversal had to undo a manual allocation
  kNoteAmbiguousAmount = 1u << 8,     // several open orders had the exact amount; oldest taken
  kNoteFeeWrittenOff = 1u << 9,       // tolerance rule wrote a difference off
  kNoteManualHold = 1u << 10,         // finance unmatched it: no automatic matching any more
  kNoteAmbiguousPayerName = 1u << 11, // the normalised payer name fits several customers
};
// "currency_mismatch,unknown_payer" (empty for none).
std::string notesToString(uint32_t notes);
Result<uint32_t> parseNotes(std::string_view text);

struct OrderResult {
  std::string order_no;
  std::string customer_id;
  std::string currency;
  Decimal amount;
  Decimal paid;         // paid_before + allocations
  Decimal written_off;  // tolerance differences
  Decimal outstanding;  // amount - paid - written_off, never below 0
  Decimal overpaid;     // paid + written_off - amount when above 0
  OrderStatus status = OrderStatus::kUnpaid;
  bool operator==(const OrderResult&) const = default;
};

struct PaymentResult {
  std::string payment_id;
  std::optional<std::string> customer_id;  // as given or resolved
  std::string currency;
  Decimal amount;
  Decimal allocated;    // sum of allocations
  Decimal unallocated;  // amount - allocated: 预收 when the customer is known
  PaymentStatus status = PaymentStatus::kUnmatched;
  uint32_t notes = kNoteNone;
  bool processed = false;  // seen by a run
  bool operator==(const PaymentResult&) const = default;
};

}  // namespace qiao::recon
