// Service::writeReport: the month's reconciliation workbook (.xlsx, one sheet after another
// in constant memory, published atomically). How to read it: docs/reconciliation.md.
#include <array>
#include <functional>
#include <map>

#include "json_io.h"
#include "qiao/core/datetime.h"
#include "qiao/excel/writer.h"
#include "service_impl.h"

namespace qiao::recon {
namespace {

namespace xl = qiao::excel;

std::string_view statusLabel(PaymentStatus s) {
  switch (s) {
    case PaymentStatus::kUnmatched: return "未匹配";
    case PaymentStatus::kAdvance: return "预收";
    case PaymentStatus::kPartial: return "部分核销";
    case PaymentStatus::kMatched: return "已核销";
    case PaymentStatus::kReversal: return "红冲";
    case PaymentStatus::kReversed: return "已冲销";
  }
  return "";
}

std::string_view ruleLabel(std::string_view rule) {
  if (rule == kRuleReference) return "单号匹配";
  if (rule == kRuleExactAmount) return "金额一致";
  if (rule == kRuleToleranceAmount) return "金额容差(手续费)";
  if (rule == kRuleOldestFirst) return "按账龄先后";
  if (rule == kRuleReversal) return "红冲撤销";
  if (rule == kRuleManual) return "手工核销";
  return rule;
}

// Notes in Chinese, for finance ("付款人未知; 币种不符").
std::string notesLabel(uint32_t notes) {
  static const std::pair<uint32_t, const char*> kLabels[] = {
      {kNoteCurrencyMismatch, "币种不符"},          {kNoteUnknownPayer, "付款人未知"},
      {kNoteAmbiguousReference, "单号对应多张订单"}, {kNoteReferenceNotFound, "关联订单不存在"},
      {kNoteReferencedOrderPaid, "关联订单已收清"},  {kNotePayerDiffers, "付款人与订单客户不同"},
      {kNoteReversalWithoutOriginal, "红冲未找到原收款"}, {kNoteReversalUnwoundManual, "红冲撤销了手工核销"},
      {kNoteAmbiguousAmount, "同金额订单多张"},      {kNoteFeeWrittenOff, "手续费差额核销"},
      {kNoteManualHold, "手工暂停自动核销"},        {kNoteAmbiguousPayerName, "付款人名称对应多个客户"},
  };
  std::string out;
  for (const auto& [bit, label] : kLabels) {
    if ((notes & bit) == 0) continue;
    if (!out.empty()) out += "; ";
    out += label;
  }
  return out;
}

// Notes that need someone to act (a fee write-off is information only).
constexpr uint32_t kAttention = ~static_cast<uint32_t>(kNoteFeeWrittenOff);

xl::Cell text(std::string s) { return xl::Cell::string(std::move(s)); }
xl::Cell amount(const Decimal& d, int scale) { return xl::Cell::number(d.toString(scale)); }
xl::Cell dateCell(Date d) {
  int64_t y = 0;
  int m = 0, day = 0;
  civilFromDays(d, &y, &m, &day);
  LocalDateTime t;
  t.year = static_cast<int>(y);
  t.month = m;
  t.day = day;
  return xl::Cell::dateTime(t);
}
xl::Cell dateCell(const std::string& text_date) {
  auto d = parseDate(text_date);
  return d.ok() ? dateCell(*d) : text(text_date);
}

xl::ColumnSpec textCol(const char* name, double width = 0) { return {name, xl::ColumnKind::kText, width}; }
xl::ColumnSpec amountCol(const char* name) { return {name, xl::ColumnKind::kAmount, 0}; }
xl::ColumnSpec dateCol(const char* name) { return {name, xl::ColumnKind::kDate, 0}; }

// Payment rows of the file dated in [from, to], oldest first.
struct PaymentLine {
  std::string id, date, source, payer, account, remark;
  PaymentResult r;
};

Status forEachPayment(Service::Impl& m, Date from, Date to, const std::function<Status(const PaymentLine&)>& fn) {
  detail::Query q = m.db->prepare(
      "SELECT payment_id, date, source, payer_name, payer_account, remark FROM recon_payments "
      "WHERE date >= ? AND date <= ? ORDER BY date, payment_id");
  q.bind(formatDate(from)).bind(formatDate(to));
  while (q.step()) {
    PaymentLine line{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), {}};
    auto r = m.engine->payment(line.id);
    if (!r) continue;
    line.r = std::move(*r);
    QIAO_RETURN_IF_ERROR(fn(line));
  }
  return q.status();
}

std::string confidenceText(double c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.4g", c);
  return buf;
}

std::string sourceLabel(const std::string& s) { return s == "k3" ? "K/3收款单" : "银行流水"; }

}  // namespace

Result<std::string> Service::writeReport(const std::string& path, int year, int month, Date as_of) const {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_ASSIGN_OR_RETURN(auto summary, m.engine->summary(year, month));
  const auto first = static_cast<Date>(daysFromCivil(year, month, 1));
  const auto last = static_cast<Date>(first + daysInMonth(year, month) - 1);
  const Date beginning = static_cast<Date>(daysFromCivil(1900, 1, 1));
  const int scale = m.scale();
  std::vector<AgingRow> aging = m.engine->aging(as_of);
  std::map<std::string, Decimal> advance;
  for (const AdvanceBalance& b : m.engine->advanceBalances()) advance[b.currency] += b.amount;

  QIAO_ASSIGN_OR_RETURN(auto wb, xl::WorkbookWriter::create(path));
  char month_label[16];
  std::snprintf(month_label, sizeof month_label, "%04d-%02d", year, month);

  // 汇总: one row per currency: the month's figures and the aging as of as_of.
  QIAO_RETURN_IF_ERROR(wb->addSheet("汇总 Summary", {textCol("月份"), textCol("币种"), amountCol("本月收款"),
      amountCol("自动核销"), amountCol("手工核销"), {"自动核销率", xl::ColumnKind::kPercent, 0},
      amountCol("应收未收"), amountCol("计划回款"), amountCol("计划已回款"), {"回款达成率", xl::ColumnKind::kPercent, 0},
      amountCol("预收余额"), dateCol("账龄截至"), amountCol("未到期"), amountCol("0-30天"), amountCol("31-60天"),
      amountCol("61-90天"), amountCol("90天以上")}));
  std::map<std::string, std::pair<const MonthSummary*, const AgingRow*>> by_currency;
  for (const MonthSummary& s : summary) by_currency[s.currency].first = &s;
  for (const AgingRow& a : aging) by_currency[a.currency].second = &a;
  for (const auto& [currency, pair] : by_currency) {
    const MonthSummary* s = pair.first;
    const AgingRow* a = pair.second;
    MonthSummary zero;
    AgingRow none;
    if (s == nullptr) s = &zero;
    if (a == nullptr) a = &none;
    QIAO_RETURN_IF_ERROR(wb->addRow({text(month_label), text(currency), amount(s->collected, scale),
        amount(s->auto_matched, scale), amount(s->manual_matched, scale),
        s->auto_share ? xl::Cell::number(s->auto_share->toString()) : xl::Cell{},
        amount(s->outstanding, scale), amount(s->planned, scale), amount(s->planned_collected, scale),
        s->attainment ? xl::Cell::number(s->attainment->toString()) : xl::Cell{},
        amount(advance[currency], scale), dateCell(as_of), amount(a->not_due, scale), amount(a->d0_30, scale),
        amount(a->d31_60, scale), amount(a->d61_90, scale), amount(a->d90_plus, scale)}));
  }

  // 已核销: every allocation of the month's fully matched receipts.
  QIAO_RETURN_IF_ERROR(wb->addSheet("已核销 Matched", {textCol("收款编号"), dateCol("收款日期"), textCol("来源"),
      textCol("付款人", 30), textCol("客户编码"), textCol("币种"), amountCol("收款金额"), textCol("订单编号"),
      amountCol("核销金额"), amountCol("差额核销"), textCol("核销规则"), {"可信度", xl::ColumnKind::kNumber, 0},
      textCol("手工"), textCol("操作人"), textCol("原因", 30)}));
  QIAO_RETURN_IF_ERROR(forEachPayment(m, first, last, [&](const PaymentLine& p) -> Status {
    if (p.r.status != PaymentStatus::kMatched) return Status();
    for (const Allocation& a : m.engine->allocationsOfPayment(p.id)) {
      QIAO_RETURN_IF_ERROR(wb->addRow({text(p.id), dateCell(p.date), text(sourceLabel(p.source)), text(p.payer),
          text(p.r.customer_id.value_or("")), text(p.r.currency), amount(p.r.amount, scale), text(a.order_no),
          amount(a.amount, scale), amount(a.difference, scale), text(std::string(ruleLabel(a.rule))),
          xl::Cell::number(confidenceText(a.confidence)),
          text(a.manual ? "是" : "否"), text(a.user), text(a.reason)}));
    }
    return Status();
  }));

  // 部分: the month's receipts allocated in part (the rest is 预收, or unmatched).
  QIAO_RETURN_IF_ERROR(wb->addSheet("部分 Partial", {textCol("收款编号"), dateCol("收款日期"), textCol("付款人", 30),
      textCol("客户编码"), textCol("币种"), amountCol("收款金额"), amountCol("已核销"), amountCol("未核销"),
      textCol("核销订单", 40), textCol("说明", 30)}));
  QIAO_RETURN_IF_ERROR(forEachPayment(m, first, last, [&](const PaymentLine& p) -> Status {
    if (p.r.status != PaymentStatus::kPartial) return Status();
    std::string orders;
    for (const Allocation& a : m.engine->allocationsOfPayment(p.id)) {
      if (!orders.empty()) orders += "; ";
      orders += a.order_no + " " + a.amount.toString(scale);
    }
    return wb->addRow({text(p.id), dateCell(p.date), text(p.payer), text(p.r.customer_id.value_or("")),
                       text(p.r.currency), amount(p.r.amount, scale), amount(p.r.allocated, scale),
                       amount(p.r.unallocated, scale), text(orders), text(notesLabel(p.r.notes))});
  }));

  // 未匹配: every receipt up to the month's end whose money is on no order (unknown payer, or
  // 预收 of a known customer), whatever month it came in.
  QIAO_RETURN_IF_ERROR(wb->addSheet("未匹配 Unmatched", {textCol("收款编号"), dateCol("收款日期"), textCol("来源"),
      textCol("付款人", 30), textCol("付款账号", 22), textCol("客户编码"), textCol("币种"), amountCol("收款金额"),
      amountCol("未核销"), textCol("状态"), textCol("摘要", 30), textCol("说明", 30)}));
  QIAO_RETURN_IF_ERROR(forEachPayment(m, beginning, last, [&](const PaymentLine& p) -> Status {
    if (p.r.status != PaymentStatus::kUnmatched && p.r.status != PaymentStatus::kAdvance) return Status();
    return wb->addRow({text(p.id), dateCell(p.date), text(sourceLabel(p.source)), text(p.payer), text(p.account),
                       text(p.r.customer_id.value_or("")), text(p.r.currency), amount(p.r.amount, scale),
                       amount(p.r.unallocated, scale), text(std::string(statusLabel(p.r.status))), text(p.remark),
                       text(notesLabel(p.r.notes))});
  }));

  // 异常: the month's receipts with any note, older ones still open with a note that needs
  // action, and overpaid orders.
  QIAO_RETURN_IF_ERROR(wb->addSheet("异常 Exceptions", {textCol("类型"), textCol("单号"), dateCol("日期"),
      textCol("付款人/客户", 30), textCol("币种"), amountCol("金额"), amountCol("未核销/超收"), textCol("状态"),
      textCol("说明", 40), textCol("摘要", 30)}));
  QIAO_RETURN_IF_ERROR(forEachPayment(m, beginning, last, [&](const PaymentLine& p) -> Status {
    bool in_month = p.r.notes != kNoteNone && p.date >= formatDate(first);
    bool still_open = (p.r.notes & kAttention) != 0 && !p.r.unallocated.isZero();
    if (!in_month && !still_open) return Status();
    return wb->addRow({text("收款"), text(p.id), dateCell(p.date), text(p.payer.empty() ? p.r.customer_id.value_or("") : p.payer),
                       text(p.r.currency), amount(p.r.amount, scale), amount(p.r.unallocated, scale),
                       text(std::string(statusLabel(p.r.status))), text(notesLabel(p.r.notes)), text(p.remark)});
  }));
  for (const OrderResult& o : m.engine->orders(OrderFilter{OrderStatus::kOverpaid, std::nullopt, std::nullopt})) {
    QIAO_ASSIGN_OR_RETURN(auto row, m.db->orderRow(o.order_no));
    std::string date = row ? cellText(*row, col::kOrdDate) : "";
    QIAO_RETURN_IF_ERROR(wb->addRow({text("订单超收"), text(o.order_no), dateCell(date), text(o.customer_id),
                                     text(o.currency), amount(o.amount, scale), amount(o.overpaid, scale),
                                     text("超收"), text("手工核销超过订单金额"), text("")}));
  }

  // 账龄: every open order dated up to as_of, its amount in the bucket of its days past due,
  // then one total row per currency (the buckets add up to 应收未收).
  QIAO_RETURN_IF_ERROR(wb->addSheet("账龄 Aging", {textCol("订单编号"), textCol("客户编码"), dateCol("订单日期"),
      dateCol("到期日"), textCol("币种"), amountCol("订单金额"), amountCol("已收"), amountCol("应收未收"),
      {"逾期天数", xl::ColumnKind::kInteger, 0}, textCol("账龄"), amountCol("未到期"), amountCol("0-30天"),
      amountCol("31-60天"), amountCol("61-90天"), amountCol("90天以上")}));
  {
    static const char* kBucketNames[5] = {"未到期", "0-30天", "31-60天", "61-90天", "90天以上"};
    std::map<std::string, std::array<Decimal, 6>> totals;  // 5 buckets + outstanding
    detail::Query q = m.db->prepare(
        "SELECT order_no, order_date, planned_receipt_date FROM recon_orders WHERE order_date <= ? "
        "ORDER BY order_date, order_no");
    q.bind(formatDate(as_of));
    while (q.step()) {
      auto o = m.engine->order(q.text(0));
      if (!o || o->outstanding.signum() <= 0) continue;
      std::string due_text = q.isNull(2) ? q.text(1) : q.text(2);
      auto due = parseDate(due_text);
      if (!due.ok()) return due.takeError();
      int64_t age = static_cast<int64_t>(as_of) - *due;
      int bucket = age < 0 ? 0 : age <= 30 ? 1 : age <= 60 ? 2 : age <= 90 ? 3 : 4;
      std::vector<xl::Cell> cells = {text(o->order_no), text(o->customer_id), dateCell(q.text(1)), dateCell(*due),
                                     text(o->currency), amount(o->amount, scale), amount(o->paid, scale),
                                     amount(o->outstanding, scale), xl::Cell::number(std::to_string(std::max<int64_t>(age, 0))),
                                     text(kBucketNames[bucket])};
      for (int b = 0; b < 5; ++b) cells.push_back(b == bucket ? amount(o->outstanding, scale) : xl::Cell{});
      QIAO_RETURN_IF_ERROR(wb->addRow(cells));
      auto& t = totals[o->currency];
      t[static_cast<std::size_t>(bucket)] += o->outstanding;
      t[5] += o->outstanding;
    }
    QIAO_RETURN_IF_ERROR(q.status());
    for (const auto& [currency, t] : totals) {
      std::vector<xl::Cell> cells = {text("合计 Total"), text(""), xl::Cell{}, xl::Cell{}, text(currency), xl::Cell{},
                                     xl::Cell{}, amount(t[5], scale), xl::Cell{}, text("")};
      for (std::size_t b = 0; b < 5; ++b) cells.push_back(amount(t[b], scale));
      QIAO_RETURN_IF_ERROR(wb->addRow(cells));
    }
  }

  QIAO_RETURN_IF_ERROR(wb->commit());
  return path;
}

}  // namespace qiao::recon
