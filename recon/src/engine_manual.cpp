// Engine: finance overrides (match / unmatch / hold), full re-match, invariants.
#include <algorithm>
#include <string>

#include "engine_impl.h"

namespace qiao::recon {
namespace {

Error invalid(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg)); }
Error notFound(std::string msg) { return Error::permanent(ErrorCode::kNotFound, std::move(msg)); }

}  // namespace

Status Engine::match(std::string_view payment_id, std::string_view order_no, const Decimal& amount,
                     std::string_view user, std::string_view reason, int64_t at_ms, bool allow_overpayment) {
  Impl& m = *impl_;
  auto pit = m.pay_by_id.find(payment_id);
  if (pit == m.pay_by_id.end()) return notFound("payment \"" + std::string(payment_id) + "\" is unknown");
  auto oit = m.order_by_no.find(order_no);
  if (oit == m.order_by_no.end()) return notFound("order \"" + std::string(order_no) + "\" is unknown");
  if (user.empty()) return invalid("match: user is required");
  if (reason.empty()) return invalid("match: reason is required");
  uint32_t pay = pit->second, ord = oit->second;
  PaymentRec& p = m.pays[pay];
  OrderRec& o = m.orders[ord];
  if (p.amount < 0) return invalid("payment \"" + p.p.payment_id + "\" is a reversal; it cannot be matched by hand");
  if (p.cur != o.cur) {
    return invalid("payment \"" + p.p.payment_id + "\" is in " + p.p.currency + ", order \"" + o.order_no + "\" in " +
                   m.currencies.names[o.cur] + ": no cross-currency allocation");
  }
  auto units = m.toUnits(amount, "match: amount");
  if (!units.ok()) return units.error();
  if (*units <= 0) return invalid("match: amount must be positive, got " + amount.toString());
  // Room on the payment: its free part, then its automatic allocations, newest first (the
  // last one taken only shrinks by what is still missing).
  struct Release {
    uint32_t alloc;
    Units take;
  };
  std::vector<Release> release;
  Units room = p.available();
  Units reopened_here = 0;
  if (room < *units) {
    std::vector<uint32_t> autos;
    for (uint32_t a : p.allocs) {
      const AllocRec& r = m.allocs[a];
      if (r.live && !r.manual && r.amount > 0 && r.unwound == 0) autos.push_back(a);
    }
    std::sort(autos.begin(), autos.end(), [&](uint32_t x, uint32_t y) { return m.allocs[x].seq > m.allocs[y].seq; });
    for (uint32_t a : autos) {
      if (room >= *units) break;
      Units take = std::min(m.allocs[a].amount, *units - room);
      release.push_back(Release{a, take});
      room += take;
      if (m.allocs[a].ord == ord) reopened_here += take + m.allocs[a].difference;
    }
    if (room < *units) {
      return invalid("payment \"" + p.p.payment_id + "\" has only " + m.fromUnits(room).toString() +
                     " that can be allocated by hand (the rest is manual or reversed)");
    }
  }
  Units open_after = o.amount - o.paid_before - o.allocated - o.written_off + reopened_here;
  bool over = *units > open_after;
  if (over && !allow_overpayment) {
    return invalid("match: " + amount.toString() + " exceeds the open amount " +
                   m.fromUnits(std::max<Units>(open_after, 0)).toString() + " of order \"" + o.order_no +
                   "\" (allow_overpayment to record an overpayment)");
  }
  for (const Release& r : release) {
    if (r.take == m.allocs[r.alloc].amount) {
      m.removeAllocation(r.alloc);
    } else {
      m.shrinkAllocation(r.alloc, r.take);
    }
  }
  uint32_t idx = m.allocate(pay, ord, *units, 0, kIdManual, 1.0);
  AllocRec& a = m.allocs[idx];
  a.manual = true;
  a.overpayment = over;
  a.user = std::string(user);
  a.reason = std::string(reason);
  a.at_ms = at_ms;
  if (p.cust == kNone) {
    p.cust = o.cust;
    p.cust_source = CustSource::kManual;
  }
  m.manual_log.push_back(ManualAction{ManualAction::Kind::kMatch, p.p.payment_id, o.order_no,
                                      m.fromUnits(*units), std::string(user), std::string(reason), at_ms});
  m.touchPayment(pay);
  m.refreshAvail(pay);
  return {};
}

Status Engine::unmatch(std::string_view payment_id, std::string_view order_no, std::string_view user,
                       std::string_view reason, int64_t at_ms) {
  Impl& m = *impl_;
  auto pit = m.pay_by_id.find(payment_id);
  if (pit == m.pay_by_id.end()) return notFound("payment \"" + std::string(payment_id) + "\" is unknown");
  auto oit = m.order_by_no.find(order_no);
  if (oit == m.order_by_no.end()) return notFound("order \"" + std::string(order_no) + "\" is unknown");
  if (user.empty()) return invalid("unmatch: user is required");
  if (reason.empty()) return invalid("unmatch: reason is required");
  uint32_t pay = pit->second, ord = oit->second;
  std::vector<uint32_t> found;
  for (uint32_t a : m.pays[pay].allocs) {
    const AllocRec& r = m.allocs[a];
    if (!r.live || r.ord != ord || r.amount <= 0) continue;
    if (r.unwound > 0) {
      return invalid("the allocation of payment \"" + std::string(payment_id) + "\" to order \"" +
                     std::string(order_no) + "\" is partly reversed; it cannot be removed");
    }
    found.push_back(a);
  }
  if (found.empty()) {
    return notFound("payment \"" + std::string(payment_id) + "\" has no allocation to order \"" +
                    std::string(order_no) + "\"");
  }
  Units released = 0;
  for (uint32_t a : found) {
    released += m.allocs[a].amount;
    m.removeAllocation(a);
  }
  PaymentRec& p = m.pays[pay];
  p.held = true;
  p.notes |= kNoteManualHold;
  m.manual_log.push_back(ManualAction{ManualAction::Kind::kUnmatch, p.p.payment_id, std::string(order_no),
                                      m.fromUnits(released), std::string(user), std::string(reason), at_ms});
  m.touchPayment(pay);
  m.refreshAvail(pay);
  return {};
}

Status Engine::releaseHold(std::string_view payment_id, std::string_view user, std::string_view reason,
                           int64_t at_ms) {
  Impl& m = *impl_;
  auto pit = m.pay_by_id.find(payment_id);
  if (pit == m.pay_by_id.end()) return notFound("payment \"" + std::string(payment_id) + "\" is unknown");
  if (user.empty() || reason.empty()) return invalid("releaseHold: user and reason are required");
  PaymentRec& p = m.pays[pit->second];
  if (!p.held) return invalid("payment \"" + p.p.payment_id + "\" is not on hold");
  p.held = false;
  p.notes &= ~static_cast<uint32_t>(kNoteManualHold);
  p.processed = false;
  m.pending.push_back(pit->second);
  m.touchPayment(pit->second);
  m.refreshAvail(pit->second);
  m.manual_log.push_back(ManualAction{ManualAction::Kind::kUnmatch, p.p.payment_id, "", Decimal(),
                                      std::string(user), "release hold: " + std::string(reason), at_ms});
  return {};
}

RunStats Engine::rematchAll() {
  State s = impl_->exportState();
  std::vector<std::string> held;
  for (const PaymentState& p : s.payments) {
    if (p.held) held.push_back(p.payment.payment_id);
  }
  std::sort(held.begin(), held.end());
  auto isHeld = [&](const std::string& id) { return std::binary_search(held.begin(), held.end(), id); };
  std::erase_if(s.allocations, [&](const Allocation& a) { return !a.manual && !isHeld(a.payment_id); });
  for (PaymentState& p : s.payments) {
    p.cancelled = Decimal();  // every reversal is applied again
    p.reversal_of.reset();
    if (p.held) continue;
    p.processed = false;
    p.notes = kNoteNone;
    if (p.customer_source != "manual") {
      p.resolved_customer_id.reset();
      p.customer_source = p.payment.customer_id ? "given" : "";
    }
  }
  std::unordered_map<std::string, std::pair<Units, Units>> before;
  for (const OrderRec& o : impl_->orders) before.emplace(o.order_no, std::pair{o.allocated, o.written_off});
  std::vector<std::string> queued;
  for (uint32_t o : impl_->changed_orders) queued.push_back(impl_->orders[o].order_no);
  auto fresh = restore(impl_->cfg, s, impl_->resolver);
  if (!fresh.ok()) return RunStats{};  // cannot happen: the state came from a checked engine
  *this = std::move(fresh.value());
  impl_->full_write = true;  // every payment and allocation row changes
  RunStats stats = impl_->run();
  // The CRM push queue: what was queued before plus every order whose figures moved.
  for (OrderRec& o : impl_->orders) o.changed = false;
  impl_->changed_orders.clear();
  std::sort(queued.begin(), queued.end());
  for (uint32_t i = 0; i < impl_->orders.size(); ++i) {
    OrderRec& o = impl_->orders[i];
    auto it = before.find(o.order_no);
    bool moved = it == before.end() || it->second != std::pair{o.allocated, o.written_off};
    if (moved || std::binary_search(queued.begin(), queued.end(), o.order_no)) {
      o.changed = true;
      impl_->changed_orders.push_back(i);
    }
  }
  return stats;
}

Status Engine::Impl::checkInvariants() const {
  auto fail = [](std::string msg) { return Status(Error::permanent(ErrorCode::kInternal, "invariant: " + msg)); };
  std::vector<Units> pay_sum(pays.size(), 0), ord_sum(orders.size(), 0), ord_diff(orders.size(), 0),
      ord_over(orders.size(), 0);
  for (const AllocRec& a : allocs) {
    if (!a.live) continue;
    const PaymentRec& p = pays[a.pay];
    if (a.amount == 0) return fail("zero allocation seq " + std::to_string(a.seq));
    if (a.amount < 0 && (a.rule != kIdReversal || p.amount > 0)) {
      return fail("negative allocation outside a reversal, seq " + std::to_string(a.seq));
    }
    if (a.amount > 0 && (a.rule == kIdReversal || p.amount < 0)) {
      return fail("positive allocation by a reversal, seq " + std::to_string(a.seq));
    }
    if (a.unwound < 0 || (a.amount > 0 && a.unwound > a.amount)) return fail("unwound out of range, seq " + std::to_string(a.seq));
    if (a.difference != 0 && a.rule != kIdTolerance && a.rule != kIdReference && a.rule != kIdReversal) {
      return fail("fee difference on a " + std::string(ruleName(a.rule)) + " allocation");
    }
    if (p.cur != orders[a.ord].cur) return fail("cross-currency allocation seq " + std::to_string(a.seq));
    pay_sum[a.pay] += a.amount;
    ord_sum[a.ord] += a.amount;
    ord_diff[a.ord] += a.difference;
    if (a.overpayment) ord_over[a.ord] += a.amount;
  }
  for (std::size_t i = 0; i < pays.size(); ++i) {
    const PaymentRec& p = pays[i];
    if (pay_sum[i] != p.allocated) return fail("payment " + p.p.payment_id + ": allocations do not sum to allocated");
    if (p.amount > 0 && (p.allocated < 0 || p.allocated + p.cancelled > p.amount || p.cancelled < 0)) {
      return fail("payment " + p.p.payment_id + ": allocated + cancelled outside 0..amount");
    }
    if (p.amount < 0 && (p.allocated > 0 || p.allocated < p.amount)) {
      return fail("reversal " + p.p.payment_id + ": allocated outside amount..0");
    }
  }
  std::size_t open_count = 0, age_count = 0, amount_count = 0;
  for (const Group& g : groups) {
    age_count += g.by_age.size() + g.pending.size();
    amount_count += g.by_amount.size() + g.pending.size();
  }
  for (std::size_t i = 0; i < orders.size(); ++i) {
    const OrderRec& o = orders[i];
    if (ord_sum[i] != o.allocated || ord_diff[i] != o.written_off) {
      return fail("order " + o.order_no + ": allocations do not sum to allocated / written off");
    }
    if (o.allocated < 0 || o.written_off < 0) return fail("order " + o.order_no + ": negative paid");
    Units regular = o.paid_before + o.written_off + o.allocated - ord_over[i];
    if (regular > std::max(o.amount, o.paid_before)) {
      return fail("order " + o.order_no + ": allocated above its amount without an overpayment record");
    }
    Units open = o.open();
    if (open > 0) {
      ++open_count;
      const Group& g = groups[o.group];
      bool pending = std::find(g.pending.begin(), g.pending.end(), static_cast<uint32_t>(i)) != g.pending.end();
      if (!pending && (!g.by_age.count(AgeKey{o.order_date, static_cast<uint32_t>(i)}) ||
                       !g.by_amount.count(AmountKey{open, static_cast<uint32_t>(i)}))) {
        return fail("order " + o.order_no + ": open but not indexed");
      }
    }
  }
  if (age_count != open_count || amount_count != open_count) return fail("index holds closed orders");
  return {};
}

}  // namespace qiao::recon
