// Engine: the matching cascade, reversals and the incremental run.
#include <algorithm>
#include <string>

#include "engine_impl.h"
#include "qiao/recon/normalize.h"

namespace qiao::recon {

uint32_t Engine::Impl::allocate(uint32_t pay, uint32_t ord, Units amount, Units difference, uint8_t rule,
                                double confidence) {
  beforeOrderChange(ord);
  auto idx = static_cast<uint32_t>(allocs.size());
  AllocRec& a = allocs.emplace_back();
  a.pay = pay;
  a.ord = ord;
  a.amount = amount;
  a.difference = difference;
  a.rule = rule;
  a.confidence = confidence;
  a.seq = next_seq++;
  orders[ord].allocated += amount;
  orders[ord].written_off += difference;
  orders[ord].allocs.push_back(idx);
  pays[pay].allocated += amount;
  pays[pay].allocs.push_back(idx);
  a.unsaved = true;
  unsaved_allocs.push_back(idx);
  afterOrderChange(ord, amount < 0 || difference < 0);
  return idx;
}

void Engine::Impl::removeAllocation(uint32_t idx) {
  AllocRec& a = allocs[idx];
  beforeOrderChange(a.ord);
  orders[a.ord].allocated -= a.amount;
  orders[a.ord].written_off -= a.difference;
  pays[a.pay].allocated -= a.amount;
  a.live = false;
  if (a.saved) removed_saved_seqs.push_back(a.seq);
  afterOrderChange(a.ord, a.amount > 0 || a.difference > 0);
}

void Engine::Impl::shrinkAllocation(uint32_t idx, Units by) {
  AllocRec& a = allocs[idx];
  beforeOrderChange(a.ord);
  orders[a.ord].allocated -= by;
  orders[a.ord].written_off -= a.difference;
  pays[a.pay].allocated -= by;
  a.amount -= by;
  a.difference = 0;
  if (!a.unsaved) {
    a.unsaved = true;
    unsaved_allocs.push_back(idx);
  }
  afterOrderChange(a.ord, true);
}

double Engine::Impl::customerFactor(const PaymentRec& p) const {
  return p.cust_source == CustSource::kPayerName ? cfg.confidence.by_payer_name : 1.0;
}

void Engine::Impl::resolveCustomer(PaymentRec& p) {
  if (p.cust != kNone) return;
  if (resolver) {
    std::optional<std::string> id = resolver(p.p);
    if (id && !id->empty()) {
      p.cust = customers.intern(*id);
      p.cust_source = CustSource::kResolver;
      return;
    }
  }
  if (p.p.payer_name.empty()) return;
  auto it = name_to_cust.find(normalizeCompanyName(p.p.payer_name));
  if (it == name_to_cust.end()) return;
  if (it->second == kNone - 1) {
    p.notes |= kNoteAmbiguousPayerName;
    return;
  }
  p.cust = it->second;
  p.cust_source = CustSource::kPayerName;
}

namespace {

bool hasOpenOrders(const Engine::Impl& m, uint32_t cust, uint32_t cur) {
  auto it = m.group_by_key.find((static_cast<uint64_t>(cust) << 32) | cur);
  return it != m.group_by_key.end() && !m.groups[it->second].by_age.empty();
}

bool hasOpenOrdersInOtherCurrency(const Engine::Impl& m, uint32_t cust, uint32_t cur) {
  if (cust >= m.cust_groups.size()) return false;
  for (uint32_t g : m.cust_groups[cust]) {
    if (m.groups[g].cur != cur && !m.groups[g].by_age.empty()) return true;
  }
  return false;
}

std::string keyOf(const OrderRec& o, RefIndex::Kind kind) {
  bool erp = kind == RefIndex::kErpNo || kind == RefIndex::kErpDigits;
  std::string canon = canonicalReference(erp ? o.erp_bill_no : o.order_no);
  if (kind == RefIndex::kOrderDigits || kind == RefIndex::kErpDigits) return std::string(digitsPart(canon));
  return canon;
}

bool isFullKind(RefIndex::Kind k) { return k == RefIndex::kOrderNo || k == RefIndex::kErpNo; }

}  // namespace

void Engine::Impl::ruleReference(uint32_t pay, RunStats& stats) {
  PaymentRec& p = pays[pay];
  struct Cand {
    uint32_t ord;
    double conf;
  };
  std::vector<Cand> cands;
  auto add = [&](uint32_t ord, double conf) {
    for (Cand& c : cands) {
      if (c.ord == ord) { c.conf = std::max(c.conf, conf); return; }
    }
    cands.push_back(Cand{ord, conf});
  };
  // Looks a key up; returns the distinct orders whose key of a suitable kind equals it.
  auto lookup = [&](std::string_view key, bool full_only, bool* full_hit) {
    std::vector<uint32_t> hits;
    refs.find(hashKey(key), [&](uint32_t ord, RefIndex::Kind kind) {
      if (full_only && !isFullKind(kind)) return;
      if (keyOf(orders[ord], kind) != key) return;
      if (isFullKind(kind)) *full_hit = true;
      if (std::find(hits.begin(), hits.end(), ord) == hits.end()) hits.push_back(ord);
    });
    if (hits.size() > 1 && p.cust != kNone) {
      std::erase_if(hits, [&](uint32_t o) { return orders[o].cust != p.cust; });
    }
    return hits;
  };
  p.notes &= ~static_cast<uint32_t>(kNoteReferenceNotFound);
  if (p.p.source_order_no && !p.p.source_order_no->empty()) {
    bool full = false;
    auto hits = lookup(canonicalReference(*p.p.source_order_no), true, &full);
    if (hits.size() == 1) add(hits[0], cfg.confidence.source_field);
    else if (hits.empty()) p.notes |= kNoteReferenceNotFound;
    else p.notes |= kNoteAmbiguousReference;
  }
  bool token_hit = false;
  forEachReferenceCandidate(p.p.remark, cfg.min_reference_length, [&](std::string_view cand, bool whole) {
    if (whole) token_hit = false;
    else if (token_hit) return;  // the whole token already named an order
    bool full = false;
    auto hits = lookup(cand, false, &full);
    if (hits.size() > 1) { p.notes |= kNoteAmbiguousReference; return; }
    if (hits.empty()) return;
    token_hit = whole;
    add(hits[0], whole && full ? cfg.confidence.remark_exact : cfg.confidence.remark_partial);
  });
  if (cands.empty()) return;
  if (p.cust == kNone) {
    uint32_t c = orders[cands[0].ord].cust;
    bool same = std::all_of(cands.begin(), cands.end(), [&](const Cand& x) { return orders[x.ord].cust == c; });
    if (same) {
      p.cust = c;
      p.cust_source = CustSource::kReference;
    }
  }
  std::erase_if(cands, [&](const Cand& c) {
    if (orders[c.ord].cur != p.cur) { p.notes |= kNoteCurrencyMismatch; return true; }
    return false;
  });
  for (Cand& c : cands) {
    if (p.cust == kNone || orders[c.ord].cust == p.cust) continue;
    p.notes |= kNotePayerDiffers;
    // A payer with open orders of its own more likely mistyped the number.
    c.conf = hasOpenOrders(*this, p.cust, p.cur) ? -1.0 : std::min(c.conf, cfg.confidence.payer_differs);
  }
  std::erase_if(cands, [](const Cand& c) { return c.conf < 0; });
  AgeLess older{&orders};
  std::sort(cands.begin(), cands.end(), [&](const Cand& a, const Cand& b) { return older(a.ord, b.ord); });
  for (const Cand& c : cands) {
    Units avail = p.available();
    if (avail <= 0) break;
    Units open = orders[c.ord].open();
    if (open <= 0) { p.notes |= kNoteReferencedOrderPaid; continue; }
    // The named order short by a bank fee: settled like the tolerance rule would.
    Units write_off = 0;
    if (avail < open && cfg.write_off_tolerance_difference && withinTolerance(open, open - avail)) {
      write_off = open - avail;
      p.notes |= kNoteFeeWrittenOff;
    }
    allocate(pay, c.ord, std::min(avail, open), write_off, kIdReference, c.conf);
    ++stats.allocations_created;
  }
}

bool Engine::Impl::withinTolerance(Units open, Units diff) const {
  bool abs_ok = has_tol_abs && diff <= tol_abs;
  // diff <= open * percent / 100, percent held with 4 decimals
  bool pct_ok = has_tol_pct && diff * 1'000'000 <= open * tol_pct_units;
  return (has_tol_abs && has_tol_pct && cfg.tolerance.require_both) ? (abs_ok && pct_ok) : (abs_ok || pct_ok);
}

void Engine::Impl::ruleExact(uint32_t pay, RunStats& stats) {
  PaymentRec& p = pays[pay];
  auto git = group_by_key.find((static_cast<uint64_t>(p.cust) << 32) | p.cur);
  if (git == group_by_key.end()) return;
  Group& g = groups[git->second];
  Units rem = p.available();
  auto it = g.by_amount.lower_bound(AmountKey{rem, kNone});
  if (it == g.by_amount.end() || it->open != rem) return;
  auto next = std::next(it);
  bool ambiguous = next != g.by_amount.end() && next->open == rem;
  if (ambiguous) p.notes |= kNoteAmbiguousAmount;
  double conf = ambiguous ? cfg.confidence.exact_amount_ambiguous : cfg.confidence.exact_amount;
  allocate(pay, it->ord, rem, 0, kIdExact, conf * customerFactor(p));
  ++stats.allocations_created;
}

void Engine::Impl::ruleTolerance(uint32_t pay, RunStats& stats) {
  PaymentRec& p = pays[pay];
  auto git = group_by_key.find((static_cast<uint64_t>(p.cust) << 32) | p.cur);
  if (git == group_by_key.end() || (!has_tol_abs && !has_tol_pct)) return;
  Group& g = groups[git->second];
  Units rem = p.available();
  // The closest open amount at or above the payment: if it is out of tolerance, every larger
  // one is too (absolute: larger gap; percent: larger share of the amount).
  auto it = g.by_amount.lower_bound(AmountKey{rem, kNone});
  if (it == g.by_amount.end()) return;
  Units open = it->open, diff = open - rem;
  if (!withinTolerance(open, diff)) return;
  Units write_off = cfg.write_off_tolerance_difference ? diff : 0;
  if (write_off > 0) p.notes |= kNoteFeeWrittenOff;
  allocate(pay, it->ord, rem, write_off, kIdTolerance, cfg.confidence.tolerance_amount * customerFactor(p));
  ++stats.allocations_created;
}

void Engine::Impl::ruleOldest(uint32_t pay, RunStats& stats) {
  PaymentRec& p = pays[pay];
  auto git = group_by_key.find((static_cast<uint64_t>(p.cust) << 32) | p.cur);
  if (git == group_by_key.end()) return;
  uint32_t g = git->second;
  double conf = cfg.confidence.oldest_first * customerFactor(p);
  while (p.available() > 0 && !groups[g].by_age.empty()) {
    uint32_t ord = groups[g].by_age.begin()->ord;
    allocate(pay, ord, std::min(p.available(), orders[ord].open()), 0, kIdOldest, conf);
    ++stats.allocations_created;
  }
}

void Engine::Impl::processPayment(uint32_t pay, RunStats& stats, bool retry) {
  PaymentRec& p = pays[pay];
  p.last_try_epoch = epoch;
  resolveCustomer(p);
  bool by_customer = p.p.purpose == Purpose::kSale || cfg.match_advance_receipts_by_customer;
  for (MatchRule rule : cfg.rules) {
    if (p.available() <= 0 || p.held) break;
    if (rule == MatchRule::kReference) {
      ruleReference(pay, stats);
      continue;
    }
    // A receipt linked to an order we do not know yet waits for it rather than being spread
    // over other orders (it stays advance, note reference_not_found, and is retried when the
    // customer gets a new order).
    if (p.cust == kNone || !by_customer || (p.notes & kNoteReferenceNotFound)) continue;
    if (!hasOpenOrders(*this, p.cust, p.cur)) {
      if (hasOpenOrdersInOtherCurrency(*this, p.cust, p.cur)) p.notes |= kNoteCurrencyMismatch;
      continue;
    }
    if (rule == MatchRule::kExactAmount) ruleExact(pay, stats);
    else if (rule == MatchRule::kToleranceAmount) ruleTolerance(pay, stats);
    else ruleOldest(pay, stats);
  }
  if (p.cust == kNone && p.available() > 0) p.notes |= kNoteUnknownPayer;
  else p.notes &= ~static_cast<uint32_t>(kNoteUnknownPayer);
  if (!retry) {
    p.processed = true;
    ++stats.payments_processed;
  }
  touchPayment(pay);
  refreshAvail(pay);
}

bool Engine::Impl::processReversal(uint32_t pay, RunStats& stats) {
  resolveCustomer(pays[pay]);
  const PaymentRec& r = pays[pay];
  Units amount = -r.amount;
  uint32_t orig = kNone;
  if (r.p.reverses_payment_id) {
    auto it = pay_by_id.find(*r.p.reverses_payment_id);
    if (it != pay_by_id.end() && pays[it->second].amount > 0) orig = it->second;
  } else {
    uint64_t key = hashKey(std::to_string(static_cast<int64_t>(amount)) + "|" + r.p.currency);
    auto it = positive_by_amount.find(key);
    std::string payer = r.p.payer_name.empty() ? std::string() : normalizeCompanyName(r.p.payer_name);
    PayLess older{&pays};
    if (it != positive_by_amount.end()) {
      for (uint32_t c : it->second) {
        const PaymentRec& o = pays[c];
        if (o.amount != amount || o.cur != r.cur || o.reversed_total > 0 || o.p.date > r.p.date) continue;
        bool same_payer = (r.cust != kNone && o.cust != kNone) ? r.cust == o.cust
                          : (!payer.empty() && normalizeCompanyName(o.p.payer_name) == payer);
        if (!same_payer) continue;
        if (orig == kNone || older(orig, c)) orig = c;  // the newest one
      }
    }
  }
  touchPayment(pay);
  if (orig == kNone) {
    pays[pay].notes |= kNoteReversalWithoutOriginal;
    return false;
  }
  if (pays[orig].cur != r.cur) {
    pays[pay].notes |= kNoteCurrencyMismatch;
    return false;
  }
  touchPayment(orig);
  PaymentRec& o = pays[orig];
  // First the original's money never applied, then its allocations: automatic newest first,
  // manual last.
  Units rem = amount;
  Units from_free = std::min(std::max<Units>(o.available(), 0), rem);
  o.cancelled += from_free;
  rem -= from_free;
  std::vector<uint32_t> live;
  for (uint32_t a : o.allocs) {
    if (allocs[a].live && allocs[a].amount > 0 && allocs[a].amount > allocs[a].unwound) live.push_back(a);
  }
  std::sort(live.begin(), live.end(), [&](uint32_t x, uint32_t y) {
    if (allocs[x].manual != allocs[y].manual) return !allocs[x].manual;
    return allocs[x].seq > allocs[y].seq;
  });
  for (uint32_t a : live) {
    if (rem <= 0) break;
    Units net = allocs[a].amount - allocs[a].unwound;
    Units x = std::min(net, rem);
    Units diff_undo = x == net ? allocs[a].difference : 0;
    if (allocs[a].manual) {
      pays[pay].notes |= kNoteReversalUnwoundManual;
      pays[orig].notes |= kNoteReversalUnwoundManual;
    }
    uint32_t n = allocate(pay, allocs[a].ord, -x, -diff_undo, kIdReversal, 1.0);
    allocs[n].unwinds = a;
    allocs[n].unwinds_seq = allocs[a].seq;
    allocs[a].unwound += x;
    rem -= x;
    ++stats.allocations_created;
  }
  pays[orig].reversed_total += amount - rem;
  pays[pay].reversal_of = orig;
  pays[pay].notes &= ~static_cast<uint32_t>(kNoteReversalWithoutOriginal);
  if (pays[pay].cust == kNone && pays[orig].cust != kNone) {
    pays[pay].cust = pays[orig].cust;
    pays[pay].cust_source = CustSource::kReference;
  }
  refreshAvail(orig);
  return true;
}

RunStats Engine::Impl::run() {
  flushPending();
  RunStats stats;
  std::vector<uint32_t> positive, negative;
  for (uint32_t idx : pending) {
    if (pays[idx].processed) continue;
    (pays[idx].amount > 0 ? positive : negative).push_back(idx);
  }
  pending.clear();
  PayLess older{&pays};
  std::sort(positive.begin(), positive.end(), older);
  std::sort(negative.begin(), negative.end(), older);
  for (uint32_t idx : positive) processPayment(idx, stats, false);
  for (uint32_t idx : negative) {
    if (processReversal(idx, stats)) {
      pays[idx].processed = true;
      ++stats.payments_processed;
      ++stats.reversals_applied;
    } else {
      pending.push_back(idx);
      ++stats.reversals_waiting;
    }
  }
  // Remainders (预收) of customers that got new or reopened orders.
  std::vector<uint32_t> dirty;
  for (uint32_t g = 0; g < groups.size(); ++g) {
    if (groups[g].dirty_epoch > last_run_epoch && !groups[g].avail.empty()) dirty.push_back(g);
  }
  std::sort(dirty.begin(), dirty.end(), [&](uint32_t a, uint32_t b) {
    const std::string& ca = customers.names[groups[a].cust];
    const std::string& cb = customers.names[groups[b].cust];
    return ca != cb ? ca < cb : currencies.names[groups[a].cur] < currencies.names[groups[b].cur];
  });
  for (uint32_t g : dirty) {
    std::vector<uint32_t> waiting(groups[g].avail.begin(), groups[g].avail.end());
    for (uint32_t idx : waiting) {
      if (pays[idx].last_try_epoch < groups[g].dirty_epoch) processPayment(idx, stats, true);
    }
  }
  // Unknown payers whose remark may name an order that arrived since.
  if (orders_added_epoch > last_run_epoch) {
    std::vector<uint32_t> waiting(unknown_open.begin(), unknown_open.end());
    for (uint32_t idx : waiting) {
      if (pays[idx].last_try_epoch < orders_added_epoch) processPayment(idx, stats, true);
    }
  }
  last_run_epoch = ++epoch;
  return stats;
}

}  // namespace qiao::recon
