// Engine: export to and restore from a State (rows.h turns a State into table rows).
#include <algorithm>
#include <string>

#include "engine_impl.h"

namespace qiao::recon {
namespace {

std::string_view sourceName(CustSource s) {
  switch (s) {
    case CustSource::kGiven: return "given";
    case CustSource::kResolver: return "resolver";
    case CustSource::kPayerName: return "payer_name";
    case CustSource::kReference: return "reference";
    case CustSource::kManual: return "manual";
    default: return "";
  }
}

Result<CustSource> sourceFromName(std::string_view s) {
  for (auto v : {CustSource::kNone, CustSource::kGiven, CustSource::kResolver, CustSource::kPayerName,
                 CustSource::kReference, CustSource::kManual}) {
    if (sourceName(v) == s) return v;
  }
  return Error::permanent(ErrorCode::kInvalidArgument, "customer_source \"" + std::string(s) + "\" is unknown");
}

Error stateError(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, "state: " + std::move(msg)); }

}  // namespace

PaymentState Engine::Impl::paymentState(uint32_t idx) const {
  const PaymentRec& p = pays[idx];
  PaymentState ps;
  ps.payment = p.p;
  if (p.cust != kNone && p.cust_source != CustSource::kGiven) ps.resolved_customer_id = customers.names[p.cust];
  ps.customer_source = std::string(sourceName(p.cust_source));
  ps.processed = p.processed;
  ps.held = p.held;
  ps.notes = p.notes;
  ps.cancelled = fromUnits(p.cancelled);
  if (p.reversal_of != kNone) ps.reversal_of = pays[p.reversal_of].p.payment_id;
  return ps;
}

Allocation Engine::Impl::allocation(uint32_t idx) const {
  const AllocRec& a = allocs[idx];
  Allocation out;
  out.payment_id = pays[a.pay].p.payment_id;
  out.order_no = orders[a.ord].order_no;
  out.amount = fromUnits(a.amount);
  out.difference = fromUnits(a.difference);
  out.rule = std::string(ruleName(a.rule));
  out.confidence = a.confidence;
  out.manual = a.manual;
  out.overpayment = a.overpayment;
  out.user = a.user;
  out.reason = a.reason;
  out.at_ms = a.at_ms;
  out.seq = a.seq;
  out.unwinds_seq = a.unwinds_seq;
  return out;
}

State Engine::Impl::exportState() const {
  State s;
  s.orders.reserve(orders.size());
  for (const OrderRec& o : orders) s.orders.push_back(orderOf(o));
  std::sort(s.orders.begin(), s.orders.end(), [](const Order& a, const Order& b) { return a.order_no < b.order_no; });
  s.payments.reserve(pays.size());
  for (uint32_t i = 0; i < pays.size(); ++i) s.payments.push_back(paymentState(i));
  std::sort(s.payments.begin(), s.payments.end(),
            [](const PaymentState& a, const PaymentState& b) { return a.payment.payment_id < b.payment.payment_id; });
  for (uint32_t i = 0; i < allocs.size(); ++i) {
    if (allocs[i].live) s.allocations.push_back(allocation(i));
  }
  s.customer_names = customer_names;
  s.manual_log = manual_log;
  s.next_seq = next_seq;
  return s;
}

void Engine::Impl::markAllSaved() {
  for (uint32_t p : unsaved_pays) pays[p].unsaved = false;
  for (AllocRec& a : allocs) {
    a.saved = a.live;
    a.unsaved = false;
  }
  unsaved_orders.clear();
  unsaved_pays.clear();
  unsaved_allocs.clear();
  removed_saved_seqs.clear();
  saved_names = customer_names.size();
  saved_log = manual_log.size();
  full_write = false;
}

Status Engine::Impl::writeRows(const RowWriter& w, bool all) const {
  if (!w.upsert || !w.delete_allocation || !w.clear_allocations) {
    return Error::permanent(ErrorCode::kInvalidArgument, "RowWriter: every callback must be set");
  }
  if (all) {
    for (const OrderRec& o : orders) QIAO_RETURN_IF_ERROR(w.upsert("recon_orders", orderRow(orderOf(o))));
    for (uint32_t i = 0; i < pays.size(); ++i) QIAO_RETURN_IF_ERROR(w.upsert("recon_payments", paymentRow(paymentState(i))));
    QIAO_RETURN_IF_ERROR(w.clear_allocations());
    for (uint32_t i = 0; i < allocs.size(); ++i) {
      if (allocs[i].live) QIAO_RETURN_IF_ERROR(w.upsert("recon_allocations", allocationRow(allocation(i))));
    }
  } else {
    for (uint32_t o : unsaved_orders) QIAO_RETURN_IF_ERROR(w.upsert("recon_orders", orderRow(orderOf(orders[o]))));
    for (uint32_t p : unsaved_pays) QIAO_RETURN_IF_ERROR(w.upsert("recon_payments", paymentRow(paymentState(p))));
    for (int64_t seq : removed_saved_seqs) QIAO_RETURN_IF_ERROR(w.delete_allocation(seq));
    for (uint32_t a : unsaved_allocs) {
      if (allocs[a].live) QIAO_RETURN_IF_ERROR(w.upsert("recon_allocations", allocationRow(allocation(a))));
    }
  }
  for (std::size_t i = all ? 0 : saved_names; i < customer_names.size(); ++i) {
    QIAO_RETURN_IF_ERROR(w.upsert("recon_customer_names", customerNameRow(customer_names[i])));
  }
  for (std::size_t i = all ? 0 : saved_log; i < manual_log.size(); ++i) {
    QIAO_RETURN_IF_ERROR(w.upsert("recon_manual_log", manualLogRow(i + 1, manual_log[i])));
  }
  for (const Row& r : metaRows(next_seq)) QIAO_RETURN_IF_ERROR(w.upsert("recon_meta", r));
  return {};
}

Status Engine::writeChanges(const RowWriter& writer) {
  QIAO_RETURN_IF_ERROR(impl_->writeRows(writer, impl_->full_write));
  impl_->markAllSaved();
  return {};
}

Status Engine::writeAll(const RowWriter& writer) const { return impl_->writeRows(writer, true); }

Result<Engine> Engine::restore(Config config, const State& state, CustomerResolver resolver) {
  auto created = create(std::move(config), std::move(resolver));
  if (!created.ok()) return created.takeError();
  Engine engine = std::move(created.value());
  Impl& m = *engine.impl_;
  for (const CustomerName& c : state.customer_names) {
    QIAO_RETURN_IF_ERROR(engine.addCustomerName(c.customer_id, c.name));
  }
  for (const Order& o : state.orders) {
    auto r = m.addOrder(o);
    if (!r.ok()) return stateError(r.error().message);
    if (*r == IngestOutcome::kDuplicate) return stateError("order \"" + o.order_no + "\" appears twice");
  }
  for (const PaymentState& ps : state.payments) {
    auto r = m.addPayment(ps.payment);
    if (!r.ok()) return stateError(r.error().message);
    if (*r == IngestOutcome::kDuplicate) return stateError("payment \"" + ps.payment.payment_id + "\" appears twice");
    PaymentRec& p = m.pays.back();
    auto src = sourceFromName(ps.customer_source);
    if (!src.ok()) return stateError("payment \"" + ps.payment.payment_id + "\": " + src.error().message);
    if (ps.resolved_customer_id && p.cust == kNone) {
      p.cust = m.customers.intern(*ps.resolved_customer_id);
      p.cust_source = *src;
    }
    p.processed = ps.processed;
    p.held = ps.held;
    p.notes = ps.notes;
    auto cancelled = m.toUnits(ps.cancelled, "payment \"" + ps.payment.payment_id + "\": cancelled");
    if (!cancelled.ok()) return stateError(cancelled.error().message);
    p.cancelled = *cancelled;
    p.reversed_total = *cancelled;
  }
  for (const PaymentState& ps : state.payments) {
    if (!ps.reversal_of) continue;
    uint32_t self = m.pay_by_id.at(ps.payment.payment_id);
    auto it = m.pay_by_id.find(*ps.reversal_of);
    if (it == m.pay_by_id.end()) return stateError("payment \"" + ps.payment.payment_id + "\": reversal_of names an unknown payment");
    m.pays[self].reversal_of = it->second;
  }
  std::vector<const Allocation*> sorted;
  for (const Allocation& a : state.allocations) sorted.push_back(&a);
  std::sort(sorted.begin(), sorted.end(), [](const Allocation* a, const Allocation* b) { return a->seq < b->seq; });
  std::unordered_map<int64_t, uint32_t> by_seq;
  int64_t max_seq = 0;
  for (const Allocation* a : sorted) {
    std::string where = "allocation seq " + std::to_string(a->seq) + ": ";
    auto pit = m.pay_by_id.find(a->payment_id);
    auto oit = m.order_by_no.find(a->order_no);
    if (pit == m.pay_by_id.end()) return stateError(where + "unknown payment \"" + a->payment_id + "\"");
    if (oit == m.order_by_no.end()) return stateError(where + "unknown order \"" + a->order_no + "\"");
    auto rule = ruleIdFromName(a->rule);
    if (!rule.ok()) return stateError(where + rule.error().message);
    auto amount = m.toUnits(a->amount, where + "amount");
    if (!amount.ok()) return stateError(amount.error().message);
    auto diff = m.toUnits(a->difference, where + "difference");
    if (!diff.ok()) return stateError(diff.error().message);
    if (by_seq.count(a->seq) || a->seq <= 0) return stateError(where + "seq repeated or not positive");
    if (!(a->confidence >= 0.0 && a->confidence <= 1.0)) return stateError(where + "confidence outside 0..1");
    if (m.pays[pit->second].cur != m.orders[oit->second].cur) return stateError(where + "currencies differ");
    uint32_t idx = m.allocate(pit->second, oit->second, *amount, *diff, *rule, a->confidence);
    AllocRec& r = m.allocs[idx];
    r.manual = a->manual;
    r.overpayment = a->overpayment;
    r.user = a->user;
    r.reason = a->reason;
    r.at_ms = a->at_ms;
    r.seq = a->seq;
    r.unwinds_seq = a->unwinds_seq;
    max_seq = std::max(max_seq, a->seq);
    by_seq.emplace(a->seq, idx);
    if (a->unwinds_seq != 0) {
      auto target = by_seq.find(a->unwinds_seq);
      if (target == by_seq.end()) return stateError(where + "unwinds an unknown or later allocation");
      r.unwinds = target->second;
      m.allocs[target->second].unwound -= *amount;
      m.pays[m.allocs[target->second].pay].reversed_total -= *amount;
    }
  }
  m.next_seq = std::max(state.next_seq, max_seq + 1);
  m.manual_log = state.manual_log;
  m.pending.clear();
  for (uint32_t i = 0; i < m.pays.size(); ++i) {
    if (!m.pays[i].processed) m.pending.push_back(i);
    m.refreshAvail(i);
  }
  for (OrderRec& o : m.orders) o.changed = false;
  m.changed_orders.clear();
  m.markAllSaved();  // it came from the store
  m.last_run_epoch = ++m.epoch;  // restored results stand; only new input is matched
  QIAO_RETURN_IF_ERROR(m.checkInvariants());
  return engine;
}

}  // namespace qiao::recon
