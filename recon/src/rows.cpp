// State <-> table rows; see rows.h and docs/reconciliation.md for the DDL.
#include "qiao/recon/rows.h"

#include <charconv>
#include <cmath>
#include <string>

namespace qiao::recon {
namespace {

const std::vector<std::string> kOrderCols = {"order_no", "erp_bill_no", "customer_id", "currency", "amount",
                                             "order_date", "planned_receipt_date", "paid_before"};
const std::vector<std::string> kPaymentCols = {
    "payment_id", "source", "date", "payer_name", "payer_account", "customer_id", "currency", "amount",
    "remark", "source_order_no", "reverses_payment_id", "purpose", "resolved_customer_id", "customer_source",
    "processed", "held", "notes", "cancelled", "reversal_of"};
const std::vector<std::string> kAllocCols = {"seq", "payment_id", "order_no", "amount", "difference", "rule",
                                             "confidence", "manual", "overpayment", "user_name", "reason",
                                             "at_ms", "unwinds_seq"};
const std::vector<std::string> kNameCols = {"customer_id", "name"};
const std::vector<std::string> kLogCols = {"id", "kind", "payment_id", "order_no", "amount", "user_name", "reason", "at_ms"};
const std::vector<std::string> kMetaCols = {"key", "value"};
constexpr std::string_view kFormatVersion = "1";

Cell opt(const std::optional<std::string>& s) { return s ? Cell(*s) : std::nullopt; }
Cell optDate(const std::optional<Date>& d) { return d ? Cell(formatDate(*d)) : std::nullopt; }
std::string flag(bool b) { return b ? "1" : "0"; }
std::string num(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

class Reader {
 public:
  Reader(const TableRows& t, std::size_t row) : t_(t), row_(row) {}
  Error error(std::string_view col, std::string msg) const {
    return Error::permanent(ErrorCode::kInvalidArgument, t_.table + " row " + std::to_string(row_ + 1) + " column " +
                                                             std::string(col) + ": " + msg);
  }
  const Cell& cell(std::string_view col) const {
    for (std::size_t i = 0; i < t_.columns.size(); ++i) {
      if (t_.columns[i] == col) return t_.rows[row_][i];
    }
    static const Cell kNull;
    return kNull;
  }
  Result<std::string> text(std::string_view col) const {
    const Cell& c = cell(col);
    if (!c) return error(col, "is NULL");
    return *c;
  }
  std::optional<std::string> optText(std::string_view col) const { return cell(col); }
  Result<Decimal> decimal(std::string_view col) const {
    QIAO_ASSIGN_OR_RETURN(std::string s, text(col));
    auto d = Decimal::fromText(s);
    if (!d.ok()) return error(col, d.error().message);
    return *d;
  }
  Result<Date> date(std::string_view col) const {
    QIAO_ASSIGN_OR_RETURN(std::string s, text(col));
    auto d = parseDate(s);
    if (!d.ok()) return error(col, d.error().message);
    return *d;
  }
  Result<std::optional<Date>> optDateCol(std::string_view col) const {
    if (!cell(col)) return std::optional<Date>();
    QIAO_ASSIGN_OR_RETURN(Date d, date(col));
    return std::optional<Date>(d);
  }
  Result<int64_t> integer(std::string_view col) const {
    QIAO_ASSIGN_OR_RETURN(std::string s, text(col));
    int64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return error(col, "\"" + s + "\" is not an integer");
    return v;
  }
  Result<bool> boolean(std::string_view col) const {
    QIAO_ASSIGN_OR_RETURN(std::string s, text(col));
    if (s == "0" || s == "1") return s == "1";
    return error(col, "\"" + s + "\" is not 0 or 1");
  }
  Result<double> real(std::string_view col) const {
    QIAO_ASSIGN_OR_RETURN(std::string s, text(col));
    double v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) {
      return error(col, "\"" + s + "\" is not a number");
    }
    return v;
  }

 private:
  const TableRows& t_;
  std::size_t row_;
};

#define QIAO_TRY(lhs, expr) QIAO_ASSIGN_OR_RETURN(lhs, expr)

Result<Order> readOrder(const Reader& r) {
  Order o;
  QIAO_TRY(o.order_no, r.text("order_no"));
  o.erp_bill_no = r.optText("erp_bill_no").value_or("");
  QIAO_TRY(o.customer_id, r.text("customer_id"));
  QIAO_TRY(o.currency, r.text("currency"));
  QIAO_TRY(o.amount, r.decimal("amount"));
  QIAO_TRY(o.order_date, r.date("order_date"));
  QIAO_TRY(o.planned_receipt_date, r.optDateCol("planned_receipt_date"));
  QIAO_TRY(o.paid_before, r.decimal("paid_before"));
  return o;
}

Result<PaymentState> readPayment(const Reader& r) {
  PaymentState s;
  Payment& p = s.payment;
  QIAO_TRY(p.payment_id, r.text("payment_id"));
  QIAO_TRY(std::string source, r.text("source"));
  auto src = parsePaymentSource(source);
  if (!src.ok()) return r.error("source", src.error().message);
  p.source = *src;
  QIAO_TRY(p.date, r.date("date"));
  p.payer_name = r.optText("payer_name").value_or("");
  p.payer_account = r.optText("payer_account").value_or("");
  p.customer_id = r.optText("customer_id");
  QIAO_TRY(p.currency, r.text("currency"));
  QIAO_TRY(p.amount, r.decimal("amount"));
  p.remark = r.optText("remark").value_or("");
  p.source_order_no = r.optText("source_order_no");
  p.reverses_payment_id = r.optText("reverses_payment_id");
  QIAO_TRY(std::string purpose, r.text("purpose"));
  auto pur = parsePurpose(purpose);
  if (!pur.ok()) return r.error("purpose", pur.error().message);
  p.purpose = *pur;
  s.resolved_customer_id = r.optText("resolved_customer_id");
  s.customer_source = r.optText("customer_source").value_or("");
  QIAO_TRY(s.processed, r.boolean("processed"));
  QIAO_TRY(s.held, r.boolean("held"));
  QIAO_TRY(std::string notes, r.text("notes"));
  auto n = parseNotes(notes);
  if (!n.ok()) return r.error("notes", n.error().message);
  s.notes = *n;
  QIAO_TRY(s.cancelled, r.decimal("cancelled"));
  s.reversal_of = r.optText("reversal_of");
  return s;
}

Result<Allocation> readAllocation(const Reader& r) {
  Allocation a;
  QIAO_TRY(a.seq, r.integer("seq"));
  QIAO_TRY(a.payment_id, r.text("payment_id"));
  QIAO_TRY(a.order_no, r.text("order_no"));
  QIAO_TRY(a.amount, r.decimal("amount"));
  QIAO_TRY(a.difference, r.decimal("difference"));
  QIAO_TRY(a.rule, r.text("rule"));
  QIAO_TRY(a.confidence, r.real("confidence"));
  QIAO_TRY(a.manual, r.boolean("manual"));
  QIAO_TRY(a.overpayment, r.boolean("overpayment"));
  a.user = r.optText("user_name").value_or("");
  a.reason = r.optText("reason").value_or("");
  QIAO_TRY(a.at_ms, r.integer("at_ms"));
  if (r.cell("unwinds_seq")) { QIAO_TRY(a.unwinds_seq, r.integer("unwinds_seq")); }
  return a;
}

Result<ManualAction> readAction(const Reader& r) {
  ManualAction m;
  QIAO_TRY(std::string kind, r.text("kind"));
  if (kind != "match" && kind != "unmatch") return r.error("kind", "\"" + kind + "\" is not match or unmatch");
  m.kind = kind == "match" ? ManualAction::Kind::kMatch : ManualAction::Kind::kUnmatch;
  QIAO_TRY(m.payment_id, r.text("payment_id"));
  m.order_no = r.optText("order_no").value_or("");
  QIAO_TRY(m.amount, r.decimal("amount"));
  QIAO_TRY(m.user, r.text("user_name"));
  QIAO_TRY(m.reason, r.text("reason"));
  QIAO_TRY(m.at_ms, r.integer("at_ms"));
  return m;
}

}  // namespace

const std::vector<std::string>& columnsOf(std::string_view table) {
  static const std::vector<std::string> kNone;
  if (table == "recon_orders") return kOrderCols;
  if (table == "recon_payments") return kPaymentCols;
  if (table == "recon_allocations") return kAllocCols;
  if (table == "recon_customer_names") return kNameCols;
  if (table == "recon_manual_log") return kLogCols;
  if (table == "recon_meta") return kMetaCols;
  return kNone;
}

Row orderRow(const Order& o) {
  return {o.order_no, o.erp_bill_no, o.customer_id, o.currency, o.amount.toString(),
          formatDate(o.order_date), optDate(o.planned_receipt_date), o.paid_before.toString()};
}

Row paymentRow(const PaymentState& ps) {
  const Payment& p = ps.payment;
  return {p.payment_id, std::string(toString(p.source)), formatDate(p.date), p.payer_name,
          p.payer_account, opt(p.customer_id), p.currency, p.amount.toString(), p.remark,
          opt(p.source_order_no), opt(p.reverses_payment_id), std::string(toString(p.purpose)),
          opt(ps.resolved_customer_id), ps.customer_source, flag(ps.processed), flag(ps.held),
          notesToString(ps.notes), ps.cancelled.toString(), opt(ps.reversal_of)};
}

Row allocationRow(const Allocation& a) {
  return {std::to_string(a.seq), a.payment_id, a.order_no, a.amount.toString(),
          a.difference.toString(), a.rule, num(a.confidence), flag(a.manual), flag(a.overpayment),
          a.user, a.reason, std::to_string(a.at_ms),
          a.unwinds_seq ? Cell(std::to_string(a.unwinds_seq)) : std::nullopt};
}

Row customerNameRow(const CustomerName& c) { return {c.customer_id, c.name}; }

Row manualLogRow(std::size_t id, const ManualAction& m) {
  return {std::to_string(id), m.kind == ManualAction::Kind::kMatch ? "match" : "unmatch",
          m.payment_id, m.order_no, m.amount.toString(), m.user, m.reason, std::to_string(m.at_ms)};
}

std::vector<Row> metaRows(int64_t next_seq) {
  return {{std::string("format_version"), std::string(kFormatVersion)},
          {std::string("next_seq"), std::to_string(next_seq)}};
}

std::vector<TableRows> toRows(const State& s) {
  std::vector<TableRows> out;
  TableRows& orders = out.emplace_back(TableRows{"recon_orders", kOrderCols, {}});
  for (const Order& o : s.orders) orders.rows.push_back(orderRow(o));
  TableRows& pays = out.emplace_back(TableRows{"recon_payments", kPaymentCols, {}});
  for (const PaymentState& p : s.payments) pays.rows.push_back(paymentRow(p));
  TableRows& allocs = out.emplace_back(TableRows{"recon_allocations", kAllocCols, {}});
  for (const Allocation& a : s.allocations) allocs.rows.push_back(allocationRow(a));
  TableRows& names = out.emplace_back(TableRows{"recon_customer_names", kNameCols, {}});
  for (const CustomerName& c : s.customer_names) names.rows.push_back(customerNameRow(c));
  TableRows& log = out.emplace_back(TableRows{"recon_manual_log", kLogCols, {}});
  for (std::size_t i = 0; i < s.manual_log.size(); ++i) log.rows.push_back(manualLogRow(i + 1, s.manual_log[i]));
  out.emplace_back(TableRows{"recon_meta", kMetaCols, metaRows(s.next_seq)});
  return out;
}

Result<State> fromRows(const std::vector<TableRows>& tables) {
  State s;
  auto expect = [](const TableRows& t, const std::vector<std::string>& cols) -> Status {
    if (t.columns != cols) {
      return Error::permanent(ErrorCode::kInvalidArgument, t.table + ": columns differ from the expected ones");
    }
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      if (t.rows[i].size() != cols.size()) {
        return Error::permanent(ErrorCode::kInvalidArgument, t.table + " row " + std::to_string(i + 1) + ": has " +
                                                                 std::to_string(t.rows[i].size()) + " cells, expected " +
                                                                 std::to_string(cols.size()));
      }
    }
    return {};
  };
  for (const TableRows& t : tables) {
    if (t.table == "recon_orders") {
      QIAO_RETURN_IF_ERROR(expect(t, kOrderCols));
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        QIAO_TRY(Order o, readOrder(Reader(t, i)));
        s.orders.push_back(std::move(o));
      }
    } else if (t.table == "recon_payments") {
      QIAO_RETURN_IF_ERROR(expect(t, kPaymentCols));
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        QIAO_TRY(PaymentState p, readPayment(Reader(t, i)));
        s.payments.push_back(std::move(p));
      }
    } else if (t.table == "recon_allocations") {
      QIAO_RETURN_IF_ERROR(expect(t, kAllocCols));
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        QIAO_TRY(Allocation a, readAllocation(Reader(t, i)));
        s.allocations.push_back(std::move(a));
      }
    } else if (t.table == "recon_customer_names") {
      QIAO_RETURN_IF_ERROR(expect(t, kNameCols));
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        Reader r(t, i);
        CustomerName c;
        QIAO_TRY(c.customer_id, r.text("customer_id"));
        QIAO_TRY(c.name, r.text("name"));
        s.customer_names.push_back(std::move(c));
      }
    } else if (t.table == "recon_manual_log") {
      QIAO_RETURN_IF_ERROR(expect(t, kLogCols));
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        QIAO_TRY(ManualAction m, readAction(Reader(t, i)));
        s.manual_log.push_back(std::move(m));
      }
    } else if (t.table == "recon_meta") {
      QIAO_RETURN_IF_ERROR(expect(t, kMetaCols));
      for (std::size_t i = 0; i < t.rows.size(); ++i) {
        Reader r(t, i);
        QIAO_TRY(std::string key, r.text("key"));
        if (key == "next_seq") {
          QIAO_TRY(s.next_seq, r.integer("value"));
        } else if (key == "format_version") {
          QIAO_TRY(std::string v, r.text("value"));
          if (v != kFormatVersion) return r.error("value", "format_version " + v + " is not supported (expected 1)");
        }
      }
    } else {
      return Error::permanent(ErrorCode::kInvalidArgument, "table \"" + t.table + "\" is not a reconciliation table");
    }
  }
  return s;
}

}  // namespace qiao::recon
