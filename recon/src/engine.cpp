// Engine: construction, ingest, index upkeep and queries. Matching is in engine_match.cpp,
// manual overrides and persistence in engine_manual.cpp, reports in engine_report.cpp.
#include "qiao/recon/engine.h"

#include <algorithm>
#include <string>

#include "engine_impl.h"
#include "qiao/recon/normalize.h"

namespace qiao::recon {
namespace {

Error invalid(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg)); }

constexpr Int128 kMaxUnits = static_cast<Int128>(100'000'000'000'000'000LL);  // 10^17

Int128 pow10(int n) {
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

bool validConfidence(double c) { return c >= 0.0 && c <= 1.0; }

}  // namespace

// ---- small shared pieces ----

std::string_view ruleName(uint8_t id) {
  switch (id) {
    case kIdReference: return kRuleReference;
    case kIdExact: return kRuleExactAmount;
    case kIdTolerance: return kRuleToleranceAmount;
    case kIdOldest: return kRuleOldestFirst;
    case kIdReversal: return kRuleReversal;
    default: return kRuleManual;
  }
}

Result<uint8_t> ruleIdFromName(std::string_view name) {
  for (uint8_t id = kIdReference; id <= kIdManual; ++id) {
    if (ruleName(id) == name) return id;
  }
  return invalid("rule \"" + std::string(name) + "\" is unknown");
}

std::string_view toString(MatchRule r) { return ruleName(static_cast<uint8_t>(r)); }

Result<std::vector<MatchRule>> parseRules(const std::vector<std::string>& names) {
  std::vector<MatchRule> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto id = ruleIdFromName(names[i]);
    if (!id.ok() || *id > kIdOldest) {
      return invalid("rules[" + std::to_string(i) + "]: unknown rule \"" + names[i] +
                     "\" (expected reference, exact_amount, tolerance_amount, oldest_first)");
    }
    auto rule = static_cast<MatchRule>(*id);
    if (std::find(out.begin(), out.end(), rule) != out.end()) {
      return invalid("rules[" + std::to_string(i) + "]: \"" + names[i] + "\" is listed twice");
    }
    out.push_back(rule);
  }
  return out;
}

Status validate(const Config& c) {
  if (c.scale < 0 || c.scale > 6) return invalid("scale: must be 0..6, got " + std::to_string(c.scale));
  if (c.tolerance.absolute && (c.tolerance.absolute->signum() < 0 || *c.tolerance.absolute > Decimal::fromInt(1'000'000'000'000))) {
    return invalid("tolerance.absolute: must be within 0..10^12");
  }
  if (c.tolerance.absolute && c.tolerance.absolute->normalized().scale() > c.scale) {
    return invalid("tolerance.absolute: " + c.tolerance.absolute->toString() + " has more than " +
                   std::to_string(c.scale) + " decimals");
  }
  if (c.tolerance.percent && c.tolerance.percent->normalized().scale() > 4) {
    return invalid("tolerance.percent: " + c.tolerance.percent->toString() + " has more than 4 decimals");
  }
  if (c.tolerance.percent && (c.tolerance.percent->signum() < 0 || *c.tolerance.percent >= Decimal::fromInt(100))) {
    return invalid("tolerance.percent: must be >= 0 and < 100");
  }
  if (c.min_reference_length < 3) return invalid("min_reference_length: must be >= 3");
  const Confidences& k = c.confidence;
  for (auto [name, v] : {std::pair{"source_field", k.source_field}, {"remark_exact", k.remark_exact},
                         {"remark_partial", k.remark_partial}, {"payer_differs", k.payer_differs},
                         {"exact_amount", k.exact_amount}, {"exact_amount_ambiguous", k.exact_amount_ambiguous},
                         {"tolerance_amount", k.tolerance_amount}, {"oldest_first", k.oldest_first},
                         {"by_payer_name", k.by_payer_name}}) {
    if (!validConfidence(v)) return invalid(std::string("confidence.") + name + ": must be within 0..1");
  }
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (c.rules[i] == c.rules[j]) return invalid("rules[" + std::to_string(i) + "]: listed twice");
    }
  }
  return {};
}

uint64_t hashKey(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) { h ^= c; h *= 1099511628211ULL; }
  h ^= h >> 29;
  return h | 1;  // never 0
}

void RefIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.ord == kNone) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].ord != kNone) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void RefIndex::insert(uint64_t hash, uint32_t ord, Kind kind) {
  if ((size_ + 1) * 10 > slots_.size() * 6) grow();
  std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i].ord != kNone) i = (i + 1) & mask;
  slots_[i] = Slot{hash, ord, static_cast<uint8_t>(kind)};
  ++size_;
}

uint32_t Interner::intern(std::string_view s) {
  auto it = ids.find(s);
  if (it != ids.end()) return it->second;
  auto id = static_cast<uint32_t>(names.size());
  names.emplace_back(s);
  ids.emplace(names.back(), id);
  return id;
}

uint32_t Interner::find(std::string_view s) const {
  auto it = ids.find(s);
  return it == ids.end() ? kNone : it->second;
}

// ---- Impl ----

Engine::Impl::Impl(Config c, CustomerResolver r)
    : cfg(std::move(c)), resolver(std::move(r)), unknown_open(PayLess{&pays}) {
  if (cfg.tolerance.absolute) {
    has_tol_abs = true;  // validate() capped it at 10^12 with at most 6 decimals
    tol_abs = cfg.tolerance.absolute->round(cfg.scale, RoundingMode::kDown).rescale(cfg.scale)->coefficient();
  }
  if (cfg.tolerance.percent) {
    has_tol_pct = true;
    // percent at 4 decimals of a percent, as an integer: 0.5 % -> 5000
    tol_pct_units = cfg.tolerance.percent->round(4, RoundingMode::kDown).rescale(4)->coefficient();
  }
}

Result<Units> Engine::Impl::toUnits(const Decimal& d, std::string_view field) const {
  Decimal n = d.normalized();
  if (n.scale() > cfg.scale) {
    return invalid(std::string(field) + ": " + d.toString() + " has more than " + std::to_string(cfg.scale) +
                   " decimals (amounts are never rounded)");
  }
  Int128 limit = kMaxUnits / pow10(cfg.scale - n.scale());
  if (n.coefficient() > limit || n.coefficient() < -limit) {
    return invalid(std::string(field) + ": " + d.toString() + " is too large");
  }
  return n.coefficient() * pow10(cfg.scale - n.scale());
}

Decimal Engine::Impl::fromUnits(Units u) const { return *Decimal::fromUnscaled(u, cfg.scale); }

uint32_t Engine::Impl::groupFor(uint32_t cust, uint32_t cur) {
  if (cust < cust_groups.size()) {  // a customer has a group or two: no hashing needed
    for (uint32_t g : cust_groups[cust]) {
      if (groups[g].cur == cur) return g;
    }
  }
  uint64_t key = (static_cast<uint64_t>(cust) << 32) | cur;
  auto g = static_cast<uint32_t>(groups.size());
  groups.emplace_back(cust, cur, AgeLess{&orders}, PayLess{&pays});
  group_by_key.emplace(key, g);
  if (cust_groups.size() <= cust) cust_groups.resize(cust + 1);
  cust_groups[cust].push_back(g);
  return g;
}

Order Engine::Impl::orderOf(const OrderRec& r) const {
  Order o;
  o.order_no = r.order_no;
  o.erp_bill_no = r.erp_bill_no;
  o.customer_id = customers.names[r.cust];
  o.currency = currencies.names[r.cur];
  o.amount = fromUnits(r.amount);
  o.order_date = r.order_date;
  if (r.has_planned) o.planned_receipt_date = r.planned;
  o.paid_before = fromUnits(r.paid_before);
  return o;
}

Result<IngestOutcome> Engine::Impl::addOrder(Order o) {
  std::string where = "order \"" + o.order_no + "\": ";
  if (o.order_no.empty()) return invalid("order: order_no is empty");
  if (o.customer_id.empty()) return invalid(where + "customer_id is empty");
  if (o.currency.empty()) return invalid(where + "currency is empty");
  auto amount = toUnits(o.amount, where + "amount");
  if (!amount.ok()) return amount.takeError();
  auto paid = toUnits(o.paid_before, where + "paid_before");
  if (!paid.ok()) return paid.takeError();
  if (*amount < 0) return invalid(where + "amount: must not be negative, got " + o.amount.toString());
  if (*paid < 0) return invalid(where + "paid_before: must not be negative");
  if (auto it = order_by_no.find(o.order_no); it != order_by_no.end()) {
    if (orderOf(orders[it->second]) == o) return IngestOutcome::kDuplicate;
    return Error::permanent(ErrorCode::kAlreadyExists,
                            where + "already known with different content (orders are not updated in place)");
  }
  auto idx = static_cast<uint32_t>(orders.size());
  OrderRec& r = orders.emplace_back();
  r.order_no = std::move(o.order_no);
  r.erp_bill_no = std::move(o.erp_bill_no);
  r.cust = customers.intern(o.customer_id);
  r.cur = currencies.intern(o.currency);
  r.order_date = o.order_date;
  r.has_planned = o.planned_receipt_date.has_value();
  r.planned = o.planned_receipt_date.value_or(0);
  r.amount = *amount;
  r.paid_before = *paid;
  r.group = groupFor(r.cust, r.cur);
  order_by_no.emplace(r.order_no, idx);
  unsaved_orders.push_back(idx);
  indexReferences(idx);
  if (r.open() > 0) {  // a new order is not a "change" for the CRM push
    Group& g = groups[r.group];
    if (g.pending.empty()) groups_with_pending.push_back(r.group);
    g.pending.push_back(idx);
    g.dirty_epoch = ++epoch;
  }
  orders_added_epoch = ++epoch;
  return IngestOutcome::kAdded;
}

void Engine::Impl::indexReferences(uint32_t idx) {
  const OrderRec& r = orders[idx];
  auto indexKey = [&](const std::string& text, RefIndex::Kind full, RefIndex::Kind digits) {
    if (text.empty()) return;
    std::string canon = canonicalReference(text);
    if (canon.size() >= 3) refs.insert(hashKey(canon), idx, full);
    std::string_view d = digitsPart(canon);
    if (d.size() >= std::max<std::size_t>(cfg.min_reference_length, 6)) refs.insert(hashKey(d), idx, digits);
  };
  indexKey(r.order_no, RefIndex::kOrderNo, RefIndex::kOrderDigits);
  indexKey(r.erp_bill_no, RefIndex::kErpNo, RefIndex::kErpDigits);
}

Result<IngestOutcome> Engine::Impl::updateOrder(uint32_t ord, Order o) {
  std::string where = "order \"" + o.order_no + "\": ";
  if (o.customer_id.empty()) return invalid(where + "customer_id is empty");
  if (o.currency.empty()) return invalid(where + "currency is empty");
  auto amount = toUnits(o.amount, where + "amount");
  if (!amount.ok()) return amount.takeError();
  auto paid = toUnits(o.paid_before, where + "paid_before");
  if (!paid.ok()) return paid.takeError();
  if (*amount < 0 || *paid < 0) return invalid(where + "amount and paid_before must not be negative");
  OrderRec& r = orders[ord];
  if (orderOf(r) == o) return IngestOutcome::kDuplicate;
  bool has_allocs = std::any_of(r.allocs.begin(), r.allocs.end(), [&](uint32_t a) { return allocs[a].live; });
  if (has_allocs && (o.customer_id != customers.names[r.cust] || o.currency != currencies.names[r.cur])) {
    return invalid(where + "customer or currency cannot change while payments are allocated to it (unmatch first)");
  }
  Units old_open = r.open();
  beforeOrderChange(ord);
  r.amount = *amount;
  r.paid_before = *paid;
  r.order_date = o.order_date;
  r.has_planned = o.planned_receipt_date.has_value();
  r.planned = o.planned_receipt_date.value_or(0);
  bool new_reference = r.erp_bill_no != o.erp_bill_no;
  if (new_reference) {
    r.erp_bill_no = std::move(o.erp_bill_no);
    indexReferences(ord);  // stale keys stay in the index; hits are verified against the text
  }
  r.cust = customers.intern(o.customer_id);
  r.cur = currencies.intern(o.currency);
  r.group = groupFor(r.cust, r.cur);
  // Over-allocated now: release automatic allocations newest first, then flag manual ones.
  std::vector<uint32_t> live;
  for (uint32_t a : r.allocs) {
    if (allocs[a].live && allocs[a].amount > 0) live.push_back(a);
  }
  std::sort(live.begin(), live.end(), [&](uint32_t x, uint32_t y) {
    if (allocs[x].manual != allocs[y].manual) return !allocs[x].manual;
    return allocs[x].seq > allocs[y].seq;
  });
  auto excess = [&] {
    Units regular = r.paid_before + r.written_off + r.allocated;
    for (uint32_t a : r.allocs) {
      if (allocs[a].live && allocs[a].overpayment) regular -= allocs[a].amount;
    }
    return regular - std::max(r.amount, r.paid_before);
  };
  afterOrderChange(ord, false);
  for (uint32_t a : live) {
    Units over = excess();
    if (over <= 0) break;
    AllocRec& x = allocs[a];
    uint32_t pay = x.pay;
    if (x.manual) {
      x.overpayment = true;
      if (!x.unsaved) {
        x.unsaved = true;
        unsaved_allocs.push_back(a);
      }
      continue;
    }
    if (x.difference > 0) {  // a fee write-off on a smaller order makes no sense any more
      beforeOrderChange(ord);
      r.written_off -= x.difference;
      x.difference = 0;
      afterOrderChange(ord, false);
      if (!x.unsaved) {
        x.unsaved = true;
        unsaved_allocs.push_back(a);
      }
      over = excess();
      if (over <= 0) continue;
    }
    Units take = std::min(over, x.amount - x.unwound);  // a reversed part stays with its reversal
    if (take <= 0) continue;
    if (take == x.amount) removeAllocation(a);
    else shrinkAllocation(a, take);
    // Its money is free again: the next run tries it on its customer's other orders.
    pays[pay].last_try_epoch = 0;
    if (pays[pay].cust != kNone) groups[groupFor(pays[pay].cust, pays[pay].cur)].dirty_epoch = ++epoch;
    touchPayment(pay);
    refreshAvail(pay);
  }
  if (r.open() > old_open || new_reference) groups[r.group].dirty_epoch = ++epoch;
  if (new_reference || r.open() > old_open) orders_added_epoch = ++epoch;  // remarks may name it now
  if (!r.changed) {
    r.changed = true;
    changed_orders.push_back(ord);
  }
  unsaved_orders.push_back(ord);
  return IngestOutcome::kUpdated;
}

Result<IngestOutcome> Engine::Impl::addPayment(Payment p) {
  std::string where = "payment \"" + p.payment_id + "\": ";
  if (p.payment_id.empty()) return invalid("payment: payment_id is empty");
  if (p.currency.empty()) return invalid(where + "currency is empty");
  auto amount = toUnits(p.amount, where + "amount");
  if (!amount.ok()) return amount.takeError();
  if (*amount == 0) return invalid(where + "amount: must not be zero");
  if (p.reverses_payment_id && *amount > 0) {
    return invalid(where + "reverses_payment_id is set but the amount " + p.amount.toString() +
                   " is not negative");
  }
  if (p.customer_id && p.customer_id->empty()) p.customer_id.reset();
  if (auto it = pay_by_id.find(p.payment_id); it != pay_by_id.end()) {
    const Payment& known = pays[it->second].p;
    if (known == p) return IngestOutcome::kDuplicate;
    std::string what = known.amount != p.amount       ? "amount"
                       : known.currency != p.currency ? "currency"
                       : known.date != p.date         ? "date"
                                                      : "content";
    return Error::permanent(ErrorCode::kAlreadyExists,
                            where + "already ingested with a different " + what + "; counted once");
  }
  auto idx = static_cast<uint32_t>(pays.size());
  PaymentRec& r = pays.emplace_back();
  r.p = std::move(p);
  r.cur = currencies.intern(r.p.currency);
  r.amount = *amount;
  if (r.p.customer_id) {
    r.cust = customers.intern(*r.p.customer_id);
    r.cust_source = CustSource::kGiven;
  }
  pay_by_id.emplace(r.p.payment_id, idx);
  if (r.amount > 0) {
    uint64_t key = hashKey(std::to_string(static_cast<int64_t>(r.amount)) + "|" + r.p.currency);
    positive_by_amount[key].push_back(idx);
  }
  pending.push_back(idx);
  touchPayment(idx);
  return IngestOutcome::kAdded;
}

void Engine::Impl::flushPending() {
  for (uint32_t gi : groups_with_pending) {
    Group& g = groups[gi];
    AgeKeyLess by_age{AgeLess{&orders}};
    std::vector<AgeKey> ages;
    ages.reserve(g.pending.size());
    for (uint32_t o : g.pending) ages.push_back(AgeKey{orders[o].order_date, o});
    std::sort(ages.begin(), ages.end(), by_age);
    for (const AgeKey& k : ages) g.by_age.insert(g.by_age.end(), k);
    AmountLess by_amount{AgeLess{&orders}};
    std::vector<AmountKey> amounts;
    amounts.reserve(g.pending.size());
    for (uint32_t o : g.pending) amounts.push_back(AmountKey{orders[o].open(), o});
    std::sort(amounts.begin(), amounts.end(), by_amount);
    for (const AmountKey& k : amounts) g.by_amount.insert(g.by_amount.end(), k);
    g.pending.clear();
    g.pending.shrink_to_fit();
  }
  groups_with_pending.clear();
}

void Engine::Impl::beforeOrderChange(uint32_t ord) {
  if (!groups_with_pending.empty()) flushPending();
  OrderRec& r = orders[ord];
  Group& g = groups[r.group];
  Units open = r.open();
  if (open > 0) {
    g.by_age.erase(AgeKey{r.order_date, ord});
    g.by_amount.erase(AmountKey{open, ord});
  }
}

void Engine::Impl::afterOrderChange(uint32_t ord, bool reopened) {
  OrderRec& r = orders[ord];
  Group& g = groups[r.group];
  Units open = r.open();
  if (open > 0) {
    g.by_age.insert(AgeKey{r.order_date, ord});
    g.by_amount.insert(AmountKey{open, ord});
    if (reopened) g.dirty_epoch = ++epoch;
  }
  if (!r.changed) {
    r.changed = true;
    changed_orders.push_back(ord);
  }
}

void Engine::Impl::refreshAvail(uint32_t pay) {
  PaymentRec& p = pays[pay];
  bool want_group = p.amount > 0 && !p.held && p.processed && p.cust != kNone && p.available() > 0 &&
                    (p.p.purpose == Purpose::kSale || cfg.match_advance_receipts_by_customer);
  uint32_t g = want_group ? groupFor(p.cust, p.cur) : kNone;
  if (p.avail_group != g) {
    if (p.avail_group != kNone) groups[p.avail_group].avail.erase(pay);
    if (g != kNone) groups[g].avail.insert(pay);
    p.avail_group = g;
  }
  bool want_unknown = p.amount > 0 && !p.held && p.processed && p.cust == kNone && p.available() > 0;
  if (want_unknown != p.in_unknown_open) {
    if (want_unknown) unknown_open.insert(pay);
    else unknown_open.erase(pay);
    p.in_unknown_open = want_unknown;
  }
}

// ---- Engine ----

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Result<Engine> Engine::create(Config config, CustomerResolver resolver) {
  QIAO_RETURN_IF_ERROR(validate(config));
  return Engine(std::make_unique<Impl>(std::move(config), std::move(resolver)));
}

void Engine::reserve(std::size_t orders, std::size_t payments) {
  impl_->order_by_no.reserve(impl_->orders.size() + orders);
  impl_->pay_by_id.reserve(impl_->pays.size() + payments);
  impl_->refs.reserve((impl_->orders.size() + orders) * 3);
}

Status Engine::addCustomerName(std::string_view customer_id, std::string_view name) {
  if (customer_id.empty()) return invalid("customer name: customer_id is empty");
  std::string key = normalizeCompanyName(name);
  if (key.empty()) return invalid("customer \"" + std::string(customer_id) + "\": name \"" + std::string(name) + "\" is empty after normalising");
  uint32_t cust = impl_->customers.intern(customer_id);
  auto [it, inserted] = impl_->name_to_cust.emplace(key, cust);
  if (!inserted && it->second == cust) return {};  // known already
  if (!inserted) it->second = kNone - 1;           // two customers: ambiguous
  impl_->customer_names.push_back(CustomerName{std::string(customer_id), std::string(name)});
  return {};
}

Result<IngestOutcome> Engine::addOrder(Order order) { return impl_->addOrder(std::move(order)); }
Result<IngestOutcome> Engine::upsertOrder(Order order) {
  auto it = impl_->order_by_no.find(order.order_no);
  if (it == impl_->order_by_no.end()) return impl_->addOrder(std::move(order));
  return impl_->updateOrder(it->second, std::move(order));
}
Result<IngestOutcome> Engine::addPayment(Payment payment) { return impl_->addPayment(std::move(payment)); }
RunStats Engine::run() { return impl_->run(); }
const std::vector<ManualAction>& Engine::manualLog() const { return impl_->manual_log; }
Status Engine::checkInvariants() const { return impl_->checkInvariants(); }
State Engine::exportState() const { return impl_->exportState(); }

namespace {

OrderResult orderResult(const Engine::Impl& m, const OrderRec& r) {
  OrderResult o;
  o.order_no = r.order_no;
  o.customer_id = m.customers.names[r.cust];
  o.currency = m.currencies.names[r.cur];
  o.amount = m.fromUnits(r.amount);
  Units paid = r.paid_before + r.allocated;
  o.paid = m.fromUnits(paid);
  o.written_off = m.fromUnits(r.written_off);
  Units settled = paid + r.written_off;
  o.outstanding = m.fromUnits(settled < r.amount ? r.amount - settled : 0);
  o.overpaid = m.fromUnits(settled > r.amount ? settled - r.amount : 0);
  if (settled > r.amount) o.status = OrderStatus::kOverpaid;
  else if (settled == r.amount) o.status = OrderStatus::kPaid;
  else if (paid > 0) o.status = OrderStatus::kPartial;
  else o.status = OrderStatus::kUnpaid;
  return o;
}

PaymentResult paymentResult(const Engine::Impl& m, const PaymentRec& r) {
  PaymentResult p;
  p.payment_id = r.p.payment_id;
  if (r.cust != kNone) p.customer_id = m.customers.names[r.cust];
  p.currency = r.p.currency;
  p.amount = m.fromUnits(r.amount);
  p.allocated = m.fromUnits(r.allocated);
  p.unallocated = m.fromUnits(r.amount - r.allocated);
  p.notes = r.notes;
  p.processed = r.processed;
  if (r.amount < 0) p.status = PaymentStatus::kReversal;
  else if (r.reversed_total == r.amount) p.status = PaymentStatus::kReversed;
  else if (r.allocated == 0) p.status = r.cust == kNone ? PaymentStatus::kUnmatched : PaymentStatus::kAdvance;
  else if (r.available() <= 0) p.status = PaymentStatus::kMatched;
  else p.status = PaymentStatus::kPartial;
  return p;
}

}  // namespace

std::optional<OrderResult> Engine::order(std::string_view order_no) const {
  auto it = impl_->order_by_no.find(order_no);
  if (it == impl_->order_by_no.end()) return std::nullopt;
  return orderResult(*impl_, impl_->orders[it->second]);
}

std::optional<PaymentResult> Engine::payment(std::string_view payment_id) const {
  auto it = impl_->pay_by_id.find(payment_id);
  if (it == impl_->pay_by_id.end()) return std::nullopt;
  return paymentResult(*impl_, impl_->pays[it->second]);
}

std::vector<OrderResult> Engine::orders() const { return orders(OrderFilter{}); }

std::vector<OrderResult> Engine::orders(const OrderFilter& f) const {
  const Impl& m = *impl_;
  uint32_t cust = f.customer_id ? m.customers.find(*f.customer_id) : kNone;
  uint32_t cur = f.currency ? m.currencies.find(*f.currency) : kNone;
  if ((f.customer_id && cust == kNone) || (f.currency && cur == kNone)) return {};
  std::vector<OrderResult> out;
  for (const OrderRec& r : m.orders) {
    if ((f.customer_id && r.cust != cust) || (f.currency && r.cur != cur)) continue;
    OrderResult o = orderResult(m, r);
    if (f.status && o.status != *f.status) continue;
    out.push_back(std::move(o));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.order_no < b.order_no; });
  return out;
}

std::vector<PaymentResult> Engine::payments() const { return payments(PaymentFilter{}); }

std::vector<PaymentResult> Engine::payments(const PaymentFilter& f) const {
  const Impl& m = *impl_;
  uint32_t cust = f.customer_id ? m.customers.find(*f.customer_id) : kNone;
  if (f.customer_id && cust == kNone) return {};
  std::vector<PaymentResult> out;
  for (const PaymentRec& r : m.pays) {
    if ((f.customer_id && r.cust != cust) || (f.from && r.p.date < *f.from) || (f.to && r.p.date > *f.to)) continue;
    if (f.any_notes != kNoteNone && (r.notes & f.any_notes) == 0) continue;
    PaymentResult p = paymentResult(m, r);
    if (f.status && p.status != *f.status) continue;
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.payment_id < b.payment_id; });
  return out;
}

std::vector<Allocation> Engine::allocations() const {
  std::vector<Allocation> out;
  for (uint32_t i = 0; i < impl_->allocs.size(); ++i) {
    if (impl_->allocs[i].live) out.push_back(impl_->allocation(i));
  }
  return out;  // allocs are appended in seq order
}

std::vector<Allocation> Engine::allocationsOfPayment(std::string_view payment_id) const {
  std::vector<Allocation> out;
  auto it = impl_->pay_by_id.find(payment_id);
  if (it == impl_->pay_by_id.end()) return out;
  for (uint32_t a : impl_->pays[it->second].allocs) {
    if (impl_->allocs[a].live) out.push_back(impl_->allocation(a));
  }
  return out;
}

std::vector<Allocation> Engine::allocationsOfOrder(std::string_view order_no) const {
  std::vector<Allocation> out;
  auto it = impl_->order_by_no.find(order_no);
  if (it == impl_->order_by_no.end()) return out;
  for (uint32_t a : impl_->orders[it->second].allocs) {
    if (impl_->allocs[a].live) out.push_back(impl_->allocation(a));
  }
  return out;
}

std::vector<AdvanceBalance> Engine::advanceBalances() const {
  std::unordered_map<uint64_t, Units> sums;
  for (const PaymentRec& p : impl_->pays) {
    if (p.cust == kNone) continue;
    sums[(static_cast<uint64_t>(p.cust) << 32) | p.cur] += p.amount - p.allocated;
  }
  std::vector<AdvanceBalance> out;
  for (const auto& [key, units] : sums) {
    if (units == 0) continue;
    out.push_back(AdvanceBalance{impl_->customers.names[key >> 32],
                                 impl_->currencies.names[key & 0xFFFFFFFFu], impl_->fromUnits(units)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.customer_id != b.customer_id ? a.customer_id < b.customer_id : a.currency < b.currency;
  });
  return out;
}

Decimal Engine::advanceBalance(std::string_view customer_id, std::string_view currency) const {
  for (const AdvanceBalance& b : advanceBalances()) {
    if (b.customer_id == customer_id && b.currency == currency) return b.amount;
  }
  return Decimal();
}

std::vector<std::string> Engine::takeChangedOrders() {
  std::vector<std::string> out;
  out.reserve(impl_->changed_orders.size());
  for (uint32_t o : impl_->changed_orders) {
    impl_->orders[o].changed = false;
    out.push_back(impl_->orders[o].order_no);
  }
  impl_->changed_orders.clear();
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace qiao::recon
