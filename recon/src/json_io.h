// Canonical order / payment JSON (docs/crm-model.md) to engine records, with errors that name
// the field path, and the small text helpers the service's JSON answers share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/recon/model.h"

namespace qiao::recon::detail {

struct ParsedOrder {
  Order order;
  std::string customer_name;  // "" when absent
};
// `scale`: the engine's decimals; an amount with more fails naming the field.
Result<ParsedOrder> parseCanonicalOrder(std::string_view json, int scale);

struct PaymentEntry {
  std::string entry_id;         // K/3 entry id ("" for an unsplit payment)
  Payment payment;              // payment_id = "<paymentId>#<entryId>" when split
};
struct ParsedPayment {
  std::string payment_id;                  // the canonical paymentId
  std::optional<std::string> reversal_of;  // the canonical paymentId it cancels
  bool split = false;                      // several allocations: one engine payment each
  std::vector<PaymentEntry> entries;       // one when not split
};
Result<ParsedPayment> parseCanonicalPayment(std::string_view json, int scale);

// The id of a bank row that has no transaction number: "BANK-" + 20 hex digits of the SHA-256
// of its date, payer name, payer account, currency, remark and amount (at `scale`). Two rows
// identical in all of these are one receipt.
std::string bankRowId(const Payment& p, int scale);

// "K3#200455" for payment "K3" entry "200455".
std::string entryPaymentId(std::string_view payment_id, std::string_view entry_id);
// The engine's source name on the canonical side: k3 -> "k3cloud", bank -> "bank".
std::string_view canonicalSource(PaymentSource s);
std::string_view canonicalPurpose(Purpose p);  // "sales" | "advance"

// An amount at the engine's scale ("1234.50").
std::string amountText(const Decimal& d, int scale);

}  // namespace qiao::recon::detail
