// Engine: month summary and aging.
#include <algorithm>
#include <map>
#include <string>

#include "engine_impl.h"
#include "qiao/core/datetime.h"

namespace qiao::recon {
namespace {

struct MonthAcc {
  Units collected = 0, auto_matched = 0, manual_matched = 0, outstanding = 0, planned = 0, planned_collected = 0;
};

std::optional<Decimal> ratio(const Engine::Impl& m, Units num, Units den) {
  if (den <= 0) return std::nullopt;
  auto r = m.fromUnits(num).divide(m.fromUnits(den), 4, RoundingMode::kHalfUp);
  if (!r.ok()) return std::nullopt;
  return *r;
}

}  // namespace

Result<std::vector<MonthSummary>> Engine::summary(int year, int month) const {
  const Impl& m = *impl_;
  if (month < 1 || month > 12 || year < 1900 || year > 9999) {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "summary: month " + std::to_string(year) + "-" + std::to_string(month) + " is not valid");
  }
  auto first = static_cast<Date>(daysFromCivil(year, month, 1));
  Date last = first + daysInMonth(year, month) - 1;
  std::map<std::string, MonthAcc> acc;  // sorted by currency
  for (const PaymentRec& p : m.pays) {
    if (p.p.date < first || p.p.date > last) continue;
    MonthAcc& a = acc[p.p.currency];
    a.collected += p.amount;
    for (uint32_t i : p.allocs) {
      const AllocRec& r = m.allocs[i];
      if (!r.live) continue;
      (r.manual ? a.manual_matched : a.auto_matched) += r.amount;
    }
  }
  for (const OrderRec& o : m.orders) {
    const std::string& cur = m.currencies.names[o.cur];
    if (o.order_date <= last && o.open() > 0) acc[cur].outstanding += o.open();
    if (o.has_planned && o.planned >= first && o.planned <= last) {
      MonthAcc& a = acc[cur];
      a.planned += o.amount;
      Units got = o.paid_before;
      for (uint32_t i : o.allocs) {
        const AllocRec& r = m.allocs[i];
        if (r.live && m.pays[r.pay].p.date <= last) got += r.amount;
      }
      a.planned_collected += got;
    }
  }
  std::vector<MonthSummary> out;
  for (const auto& [cur, a] : acc) {
    MonthSummary s;
    s.currency = cur;
    s.collected = m.fromUnits(a.collected);
    s.auto_matched = m.fromUnits(a.auto_matched);
    s.manual_matched = m.fromUnits(a.manual_matched);
    s.auto_share = ratio(m, a.auto_matched, a.collected);
    s.outstanding = m.fromUnits(a.outstanding);
    s.planned = m.fromUnits(a.planned);
    s.planned_collected = m.fromUnits(a.planned_collected);
    s.attainment = ratio(m, a.planned_collected, a.planned);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<AgingRow> Engine::aging(Date as_of) const {
  const Impl& m = *impl_;
  struct Acc {
    Units b[5] = {0, 0, 0, 0, 0};
    std::size_t n = 0;
  };
  std::map<std::string, Acc> acc;
  for (const OrderRec& o : m.orders) {
    Units open = o.open();
    if (open <= 0 || o.order_date > as_of) continue;
    Date due = o.has_planned ? o.planned : o.order_date;
    int64_t age = static_cast<int64_t>(as_of) - due;
    int bucket = age < 0 ? 0 : age <= 30 ? 1 : age <= 60 ? 2 : age <= 90 ? 3 : 4;
    Acc& a = acc[m.currencies.names[o.cur]];
    a.b[bucket] += open;
    ++a.n;
  }
  std::vector<AgingRow> out;
  for (const auto& [cur, a] : acc) {
    out.push_back(AgingRow{cur, m.fromUnits(a.b[0]), m.fromUnits(a.b[1]), m.fromUnits(a.b[2]), m.fromUnits(a.b[3]),
                           m.fromUnits(a.b[4]), a.n});
  }
  return out;
}

}  // namespace qiao::recon
