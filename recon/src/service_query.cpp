// Service: the JSON answers of the finance API (payments, orders, summary, aging, manual log).
#include <nlohmann/json.hpp>

#include "json_io.h"
#include "service_impl.h"

namespace qiao::recon {
namespace {

using Json = nlohmann::ordered_json;

Error invalid(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg)); }

// Never throws: a byte sequence that is not UTF-8 (a customer name from a config file, say)
// is replaced rather than failing the whole answer.
std::string text(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Status checkPage(std::size_t limit) {
  if (limit < 1 || limit > 10000) return invalid("limit: must be 1..10000, got " + std::to_string(limit));
  return Status();
}

Json notesJson(uint32_t notes) {
  Json arr = Json::array();
  std::string all = notesToString(notes);
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t comma = all.find(',', start);
    if (comma == std::string::npos) comma = all.size();
    arr.push_back(all.substr(start, comma - start));
    start = comma + 1;
  }
  return arr;
}

template <typename T>
std::vector<T> page(std::vector<T> all, std::size_t offset, std::size_t limit) {
  if (offset >= all.size()) return {};
  auto first = all.begin() + static_cast<std::ptrdiff_t>(offset);
  auto last = all.size() - offset > limit ? first + static_cast<std::ptrdiff_t>(limit) : all.end();
  return std::vector<T>(std::make_move_iterator(first), std::make_move_iterator(last));
}

std::string confidenceText(double c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.4g", c);
  return buf;
}

}  // namespace

namespace {

Json allocationJson(const Allocation& a, int scale, bool payment_side) {
  Json j;
  if (payment_side) j["orderId"] = a.order_no;
  else j["paymentId"] = a.payment_id;
  j["amount"] = detail::amountText(a.amount, scale);
  if (!a.difference.isZero()) j["difference"] = detail::amountText(a.difference, scale);
  j["rule"] = a.rule;
  j["confidence"] = confidenceText(a.confidence);
  j["manual"] = a.manual;
  if (a.overpayment) j["overpayment"] = true;
  if (a.manual) {
    j["user"] = a.user;
    j["reason"] = a.reason;
    j["atMs"] = a.at_ms;
  }
  j["seq"] = a.seq;
  return j;
}

}  // namespace

// One payment as the API shows it: the receipt's facts (from its row) and its results.
static Result<Json> paymentItem(Service::Impl& m, const PaymentResult& r) {
  QIAO_ASSIGN_OR_RETURN(auto row, m.db->paymentRow(r.payment_id));
  if (!row) return Error::permanent(ErrorCode::kInternal, "payment \"" + r.payment_id + "\" has no row");
  const int scale = m.scale();
  Json j;
  j["paymentId"] = r.payment_id;
  std::string receipt = m.receiptOf(r.payment_id);
  if (!receipt.empty()) j["receiptId"] = receipt;
  auto source = parsePaymentSource(cellText(*row, col::kPaySource));
  j["source"] = std::string(source.ok() ? detail::canonicalSource(*source) : "bank");
  j["date"] = cellText(*row, col::kPayDate);
  j["payerName"] = cellText(*row, col::kPayerName);
  j["payerAccount"] = cellText(*row, col::kPayerAccount);
  if (r.customer_id) j["customerCode"] = *r.customer_id;
  j["customerSource"] = cellText(*row, col::kPayCustomerSource);
  j["currency"] = r.currency;
  j["amount"] = detail::amountText(r.amount, scale);
  j["allocated"] = detail::amountText(r.allocated, scale);
  j["unallocated"] = detail::amountText(r.unallocated, scale);
  j["status"] = std::string(toString(r.status));
  j["notes"] = notesJson(r.notes);
  auto purpose = parsePurpose(cellText(*row, col::kPayPurpose));
  j["purpose"] = std::string(detail::canonicalPurpose(purpose.ok() ? *purpose : Purpose::kSale));
  j["remark"] = cellText(*row, col::kPayRemark);
  if ((*row)[col::kPaySourceOrder]) j["orderRef"] = cellText(*row, col::kPaySourceOrder);
  if ((*row)[col::kPayReverses]) j["reversalOf"] = cellText(*row, col::kPayReverses);
  j["held"] = cellText(*row, col::kPayHeld) == "1";
  Json allocs = Json::array();
  for (const Allocation& a : m.engine->allocationsOfPayment(r.payment_id)) allocs.push_back(allocationJson(a, scale, true));
  j["allocations"] = std::move(allocs);
  return j;
}

static Result<Json> orderItem(Service::Impl& m, const OrderResult& r) {
  QIAO_ASSIGN_OR_RETURN(auto row, m.db->orderRow(r.order_no));
  if (!row) return Error::permanent(ErrorCode::kInternal, "order \"" + r.order_no + "\" has no row");
  const int scale = m.scale();
  Json j;
  j["orderId"] = r.order_no;
  if (!cellText(*row, col::kOrdErpBill).empty()) j["erpBillNo"] = cellText(*row, col::kOrdErpBill);
  j["customerCode"] = r.customer_id;
  j["currency"] = r.currency;
  j["orderDate"] = cellText(*row, col::kOrdDate);
  if ((*row)[col::kOrdPlanned]) j["dueDate"] = cellText(*row, col::kOrdPlanned);
  j["amount"] = detail::amountText(r.amount, scale);
  j["paidAmount"] = detail::amountText(r.paid, scale);
  j["writtenOff"] = detail::amountText(r.written_off, scale);
  j["outstandingAmount"] = detail::amountText(r.outstanding, scale);
  if (!r.overpaid.isZero()) j["overpaid"] = detail::amountText(r.overpaid, scale);
  j["paymentStatus"] = std::string(toString(r.status));
  Json allocs = Json::array();
  for (const Allocation& a : m.engine->allocationsOfOrder(r.order_no)) allocs.push_back(allocationJson(a, scale, false));
  j["allocations"] = std::move(allocs);
  return j;
}

Result<std::string> Service::paymentsJson(const PaymentQuery& q) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_RETURN_IF_ERROR(checkPage(q.limit));
  PaymentFilter f;
  if (!q.status.empty()) {
    auto s = parsePaymentStatus(q.status);
    if (!s.ok()) return invalid("status: " + s.error().message);
    f.status = *s;
  }
  if (!q.customer.empty()) f.customer_id = q.customer;
  if (!q.from.empty()) {
    auto d = parseDate(q.from);
    if (!d.ok()) return invalid("from: " + d.error().message);
    f.from = *d;
  }
  if (!q.to.empty()) {
    auto d = parseDate(q.to);
    if (!d.ok()) return invalid("to: " + d.error().message);
    f.to = *d;
  }
  std::vector<PaymentResult> all = m.engine->payments(f);
  Json out;
  out["total"] = all.size();
  Json items = Json::array();
  for (const PaymentResult& r : page(std::move(all), q.offset, q.limit)) {
    QIAO_ASSIGN_OR_RETURN(Json item, paymentItem(m, r));
    items.push_back(std::move(item));
  }
  out["items"] = std::move(items);
  return text(out);
}

Result<std::string> Service::ordersJson(const OrderQuery& q) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_RETURN_IF_ERROR(checkPage(q.limit));
  OrderFilter f;
  if (!q.status.empty()) {
    auto s = parseOrderStatus(q.status);
    if (!s.ok()) return invalid("status: " + s.error().message);
    f.status = *s;
  }
  if (!q.customer.empty()) f.customer_id = q.customer;
  std::vector<OrderResult> all = m.engine->orders(f);
  Json out;
  out["total"] = all.size();
  Json items = Json::array();
  for (const OrderResult& r : page(std::move(all), q.offset, q.limit)) {
    QIAO_ASSIGN_OR_RETURN(Json item, orderItem(m, r));
    items.push_back(std::move(item));
  }
  out["items"] = std::move(items);
  return text(out);
}

Result<std::string> Service::orderJson(std::string_view order_id) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  auto r = m.engine->order(order_id);
  if (!r) return Error::permanent(ErrorCode::kNotFound, "order \"" + std::string(order_id) + "\" is unknown");
  QIAO_ASSIGN_OR_RETURN(Json item, orderItem(m, *r));
  return text(item);
}

Result<std::string> Service::paymentJson(std::string_view payment_id) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  auto split = m.sources.find(std::string(payment_id));
  if (split != m.sources.end()) {
    // A K/3 receipt kept per entry: the receipt with its entries.
    Json j;
    j["paymentId"] = split->first;
    Json entries = Json::array();
    for (const std::string& id : split->second) {
      auto r = m.engine->payment(id);
      if (!r) continue;
      QIAO_ASSIGN_OR_RETURN(Json item, paymentItem(m, *r));
      entries.push_back(std::move(item));
    }
    j["entries"] = std::move(entries);
    return text(j);
  }
  auto r = m.engine->payment(payment_id);
  if (!r) return Error::permanent(ErrorCode::kNotFound, "payment \"" + std::string(payment_id) + "\" is unknown");
  QIAO_ASSIGN_OR_RETURN(Json item, paymentItem(m, *r));
  return text(item);
}

Result<std::string> Service::summaryJson(int year, int month) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_ASSIGN_OR_RETURN(auto rows, m.engine->summary(year, month));
  const int scale = m.scale();
  std::map<std::string, Decimal> advance;
  for (const AdvanceBalance& b : m.engine->advanceBalances()) advance[b.currency] += b.amount;
  char label[16];
  std::snprintf(label, sizeof label, "%04d-%02d", year, month);
  Json out;
  out["month"] = label;
  Json cur = Json::array();
  for (const MonthSummary& s : rows) {
    Json j;
    j["currency"] = s.currency;
    j["collected"] = detail::amountText(s.collected, scale);
    j["autoMatched"] = detail::amountText(s.auto_matched, scale);
    j["manualMatched"] = detail::amountText(s.manual_matched, scale);
    j["autoShare"] = s.auto_share ? Json(s.auto_share->toString(4)) : Json(nullptr);
    j["outstanding"] = detail::amountText(s.outstanding, scale);
    j["planned"] = detail::amountText(s.planned, scale);
    j["plannedCollected"] = detail::amountText(s.planned_collected, scale);
    j["attainment"] = s.attainment ? Json(s.attainment->toString(4)) : Json(nullptr);
    j["advance"] = detail::amountText(advance[s.currency], scale);
    cur.push_back(std::move(j));
  }
  out["currencies"] = std::move(cur);
  return text(out);
}

Result<std::string> Service::agingJson(Date as_of) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  const int scale = m.scale();
  Json out;
  out["asOf"] = formatDate(as_of);
  Json cur = Json::array();
  for (const AgingRow& a : m.engine->aging(as_of)) {
    Json j;
    j["currency"] = a.currency;
    j["notDue"] = detail::amountText(a.not_due, scale);
    j["d0_30"] = detail::amountText(a.d0_30, scale);
    j["d31_60"] = detail::amountText(a.d31_60, scale);
    j["d61_90"] = detail::amountText(a.d61_90, scale);
    j["d90Plus"] = detail::amountText(a.d90_plus, scale);
    j["outstanding"] = detail::amountText(a.not_due + a.d0_30 + a.d31_60 + a.d61_90 + a.d90_plus, scale);
    j["orders"] = a.orders;
    cur.push_back(std::move(j));
  }
  out["currencies"] = std::move(cur);
  return text(out);
}

Result<std::string> Service::manualLogJson(std::size_t limit, std::size_t offset) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_RETURN_IF_ERROR(checkPage(limit));
  const auto& log = m.engine->manualLog();
  Json out;
  out["total"] = log.size();
  Json items = Json::array();
  for (std::size_t i = offset; i < log.size() && items.size() < limit; ++i) {
    const ManualAction& a = log[log.size() - 1 - i];  // newest first
    Json j;
    j["id"] = log.size() - i;
    j["kind"] = a.kind == ManualAction::Kind::kMatch ? "match" : "unmatch";
    j["paymentId"] = a.payment_id;
    j["orderId"] = a.order_no;
    j["amount"] = detail::amountText(a.amount, m.scale());
    j["user"] = a.user;
    j["reason"] = a.reason;
    j["atMs"] = a.at_ms;
    items.push_back(std::move(j));
  }
  out["items"] = std::move(items);
  return text(out);
}

}  // namespace qiao::recon
