// Names, dates and note flags of the reconciliation model.
#include <array>
#include <string>

#include "qiao/core/datetime.h"
#include "qiao/recon/model.h"

namespace qiao::recon {
namespace {

Error invalid(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg)); }

constexpr std::array<std::pair<uint32_t, std::string_view>, 12> kNoteNames = {{
    {kNoteCurrencyMismatch, "currency_mismatch"},
    {kNoteUnknownPayer, "unknown_payer"},
    {kNoteAmbiguousReference, "ambiguous_reference"},
    {kNoteReferenceNotFound, "reference_not_found"},
    {kNoteReferencedOrderPaid, "referenced_order_paid"},
    {kNotePayerDiffers, "payer_differs"},
    {kNoteReversalWithoutOriginal, "reversal_without_original"},
    {kNoteReversalUnwoundManual, "reversal_unwound_manual"},
    {kNoteAmbiguousAmount, "ambiguous_amount"},
    {kNoteFeeWrittenOff, "fee_written_off"},
    {kNoteManualHold, "manual_hold"},
    {kNoteAmbiguousPayerName, "ambiguous_payer_name"},
}};

}  // namespace

Result<Date> parseDate(std::string_view text) {
  auto parsed = parseDateTimeAuto(text);
  if (!parsed.ok()) return invalid("date \"" + std::string(text) + "\": " + parsed.error().message);
  const LocalDateTime& t = parsed->local;
  if (t.hour != 0 || t.minute != 0 || t.second != 0 || t.nanos != 0 || parsed->has_offset) {
    return invalid("date \"" + std::string(text) + "\": a date without time is expected");
  }
  return static_cast<Date>(daysFromCivil(t.year, t.month, t.day));
}

std::string formatDate(Date d) {
  int64_t y = 0;
  int m = 0, day = 0;
  civilFromDays(d, &y, &m, &day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(y), m, day);
  return buf;
}

std::string_view toString(OrderStatus s) {
  switch (s) {
    case OrderStatus::kUnpaid: return "unpaid";
    case OrderStatus::kPartial: return "partial";
    case OrderStatus::kPaid: return "paid";
    case OrderStatus::kOverpaid: return "overpaid";
  }
  return "unpaid";
}

std::string_view toString(PaymentStatus s) {
  switch (s) {
    case PaymentStatus::kUnmatched: return "unmatched";
    case PaymentStatus::kAdvance: return "advance";
    case PaymentStatus::kPartial: return "partial";
    case PaymentStatus::kMatched: return "matched";
    case PaymentStatus::kReversal: return "reversal";
    case PaymentStatus::kReversed: return "reversed";
  }
  return "unmatched";
}

std::string_view toString(PaymentSource s) { return s == PaymentSource::kK3 ? "k3" : "bank"; }
std::string_view toString(Purpose p) { return p == Purpose::kSale ? "sale" : "advance"; }

Result<OrderStatus> parseOrderStatus(std::string_view t) {
  for (auto s : {OrderStatus::kUnpaid, OrderStatus::kPartial, OrderStatus::kPaid, OrderStatus::kOverpaid}) {
    if (toString(s) == t) return s;
  }
  return invalid("order status \"" + std::string(t) + "\": expected unpaid, partial, paid or overpaid");
}

Result<PaymentStatus> parsePaymentStatus(std::string_view t) {
  for (auto s : {PaymentStatus::kUnmatched, PaymentStatus::kAdvance, PaymentStatus::kPartial,
                 PaymentStatus::kMatched, PaymentStatus::kReversal, PaymentStatus::kReversed}) {
    if (toString(s) == t) return s;
  }
  return invalid("payment status \"" + std::string(t) +
                 "\": expected unmatched, advance, partial, matched, reversal or reversed");
}

Result<PaymentSource> parsePaymentSource(std::string_view t) {
  if (t == "k3") return PaymentSource::kK3;
  if (t == "bank") return PaymentSource::kBank;
  return invalid("payment source \"" + std::string(t) + "\": expected k3 or bank");
}

Result<Purpose> parsePurpose(std::string_view t) {
  if (t == "sale") return Purpose::kSale;
  if (t == "advance") return Purpose::kAdvance;
  return invalid("purpose \"" + std::string(t) + "\": expected sale or advance");
}

std::string notesToString(uint32_t notes) {
  std::string out;
  for (const auto& [bit, name] : kNoteNames) {
    if (notes & bit) {
      if (!out.empty()) out += ',';
      out += name;
    }
  }
  return out;
}

Result<uint32_t> parseNotes(std::string_view text) {
  uint32_t out = 0;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    bool found = false;
    for (const auto& [bit, name] : kNoteNames) {
      if (name == item) { out |= bit; found = true; }
    }
    if (!found) return invalid("note \"" + std::string(item) + "\" is unknown");
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace qiao::recon
