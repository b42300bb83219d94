// Service: open/load, ingest of canonical JSON, run, manual overrides, persistence.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "json_io.h"
#include "qiao/core/datetime.h"
#include "service_impl.h"

namespace qiao::recon {
namespace {

Error invalid(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg)); }

}  // namespace

// ---- Impl -------------------------------------------------------------------------------

Status Service::Impl::load() {
  auto state = db->loadState();
  if (!state.ok()) return state.takeError();
  auto restored = Engine::restore(opts.config, *state, opts.resolver);
  if (!restored.ok()) {
    return Error::permanent(ErrorCode::kStoreError, "recon store: " + db->path() + ": " + restored.error().message);
  }
  engine.reset();
  engine.emplace(std::move(restored.value()));
  QIAO_ASSIGN_OR_RETURN(sources, db->loadSources());
  return Status();
}

Error Service::Impl::fail(Error e) {
  db->rollback();
  new_sources.clear();
  Status s = load();
  if (!s.ok()) {
    broken = Error::permanent(ErrorCode::kStoreError,
                              "reconciliation state could not be reloaded after \"" + e.message + "\": " +
                                  s.error().message + " (reopen the service)");
  }
  return e;
}

std::string Service::Impl::changeJson(const OrderResult& r, int64_t at_ms) const {
  nlohmann::ordered_json j;
  j["orderId"] = r.order_no;
  j["paidAmount"] = detail::amountText(r.paid, scale());
  j["outstandingAmount"] = detail::amountText(r.outstanding, scale());
  j["paymentStatus"] = std::string(toString(r.status));
  j["currency"] = r.currency;
  j["paymentUpdatedAt"] = formatIso8601(at_ms, *tz);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<std::vector<OrderStatusChange>> Service::Impl::persist(HandOut mode, const std::function<Status()>& extra) {
  const int64_t now = nowMs();
  std::vector<std::string> changed = engine->takeChangedOrders();
  std::vector<std::pair<std::string, int64_t>> handed;
  Status s = db->begin();
  if (s.ok()) s = engine->writeChanges(db->rowWriter());
  if (s.ok() && extra) s = extra();
  if (s.ok()) {
    switch (mode) {
      case HandOut::kNone:
        s = db->markPending(changed, now);
        break;
      case HandOut::kPending: {
        s = db->markPending(changed, now);
        if (!s.ok()) break;
        auto taken = db->takePending();
        if (!taken.ok()) {
          s = taken.error();
          break;
        }
        handed = std::move(taken.value());
        break;
      }
      case HandOut::kOwn:
        s = db->unmarkPending(changed);
        for (const std::string& no : changed) handed.emplace_back(no, now);
        break;
    }
  }
  if (s.ok()) s = db->commit();
  if (!s.ok()) return fail(s.error());
  std::vector<OrderStatusChange> out;
  out.reserve(handed.size());
  for (const auto& [no, at] : handed) {
    auto r = engine->order(no);
    if (!r) continue;  // cannot happen: orders are never deleted
    out.push_back(OrderStatusChange{no, changeJson(*r, at)});
  }
  return out;
}

std::string Service::Impl::receiptOf(const std::string& engine_id) const {
  auto hash = engine_id.rfind('#');
  if (hash == std::string::npos) return {};
  std::string head = engine_id.substr(0, hash);
  return sources.count(head) ? head : std::string();
}

// ---- open -------------------------------------------------------------------------------

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::open(const ServiceOptions& options) {
  QIAO_RETURN_IF_ERROR(validate(options.config));
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  impl->clock = options.clock != nullptr ? options.clock : &Clock::system();
  impl->tz = options.timezone ? options.timezone : TimeZone::utc();
  QIAO_ASSIGN_OR_RETURN(impl->db, detail::ReconDb::open(options.sqlite_path, options.busy_timeout_ms,
                                                        options.synchronous_full));
  QIAO_RETURN_IF_ERROR(impl->load());
  if (!options.customer_names.empty()) {
    for (const CustomerName& n : options.customer_names) {
      Status s = impl->engine->addCustomerName(n.customer_id, n.name);
      if (!s.ok()) return invalid("customer_names: " + s.error().message);
    }
    auto saved = impl->persist(Impl::HandOut::kNone);
    if (!saved.ok()) return saved.takeError();
  }
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

// ---- ingest -----------------------------------------------------------------------------

Result<IngestOutcome> Service::Impl::ingestOrder(std::string_view json) {
  QIAO_ASSIGN_OR_RETURN(detail::ParsedOrder parsed, detail::parseCanonicalOrder(json, scale()));
  const std::string order_no = parsed.order.order_no;
  QIAO_ASSIGN_OR_RETURN(IngestOutcome outcome, engine->upsertOrder(std::move(parsed.order)));
  if (opts.names_from_orders && !parsed.customer_name.empty()) {
    // A name that normalises to nothing ("（）") is no help for matching; the order stands.
    (void)engine->addCustomerName(engine->order(order_no)->customer_id, parsed.customer_name);
  }
  return outcome;
}

Result<IngestOutcome> Service::upsertOrderJson(std::string_view canonical_order_json) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_ASSIGN_OR_RETURN(IngestOutcome outcome, m.ingestOrder(canonical_order_json));
  if (outcome == IngestOutcome::kDuplicate) return outcome;
  auto saved = m.persist(Impl::HandOut::kNone);
  if (!saved.ok()) return saved.takeError();
  return outcome;
}

Result<IngestOutcome> Service::Impl::ingestPayment(std::string_view json, bool* must_reload) {
  Impl& m = *this;
  QIAO_ASSIGN_OR_RETURN(detail::ParsedPayment pp, detail::parseCanonicalPayment(json, m.scale()));
  const std::string where = "payment \"" + pp.payment_id + "\": ";

  // A reversal of a receipt that was split per entry applies to its entries.
  if (pp.reversal_of) {
    auto orig = m.sources.find(*pp.reversal_of);
    if (orig == m.sources.end()) {
      for (auto& e : pp.entries) e.payment.reverses_payment_id = pp.reversal_of;
    } else {
      struct OrigEntry {
        std::string id;
        Decimal amount;
        std::string order_ref;
      };
      std::vector<OrigEntry> originals;
      Decimal total;
      for (const std::string& id : orig->second) {
        auto r = m.engine->payment(id);
        QIAO_ASSIGN_OR_RETURN(auto row, m.db->paymentRow(id));
        if (!r || !row) continue;
        originals.push_back(OrigEntry{id, r->amount, cellText(*row, col::kPaySourceOrder)});
        total = total + r->amount;
      }
      if (!pp.split && pp.entries.size() == 1 && pp.entries[0].payment.amount == -total) {
        // The whole bill is cancelled: one reversal per original entry.
        Payment base = pp.entries[0].payment;
        pp.entries.clear();
        for (const OrigEntry& o : originals) {
          detail::PaymentEntry e;
          e.entry_id = o.id.substr(o.id.rfind('#') + 1);
          e.payment = base;
          e.payment.payment_id = detail::entryPaymentId(pp.payment_id, e.entry_id);
          e.payment.amount = -o.amount;
          e.payment.source_order_no = o.order_ref.empty() ? std::nullopt : std::optional<std::string>(o.order_ref);
          e.payment.reverses_payment_id = o.id;
          pp.entries.push_back(std::move(e));
        }
        pp.split = true;
      } else {
        // Part of it: the entry with the same order link, else with the same amount; failing
        // both, the engine looks for the original by payer and amount (and waits if none).
        for (auto& e : pp.entries) {
          const OrigEntry* hit = nullptr;
          for (const OrigEntry& o : originals) {
            if (e.payment.source_order_no && *e.payment.source_order_no == o.order_ref) hit = &o;
          }
          for (const OrigEntry& o : originals) {
            if (hit == nullptr && o.amount == -e.payment.amount) hit = &o;
          }
          if (hit != nullptr) e.payment.reverses_payment_id = hit->id;
        }
      }
    }
  }

  // The same receipt again must come the same way (split or not, same entries).
  std::vector<std::string> ids;
  for (const auto& e : pp.entries) ids.push_back(e.payment.payment_id);
  auto known = m.sources.find(pp.payment_id);
  if (known != m.sources.end()) {
    if (!pp.split || ids != known->second) {
      return Error::permanent(ErrorCode::kAlreadyExists,
                              where + "allocations: received before with " + std::to_string(known->second.size()) +
                                  " entries, now with " + std::to_string(ids.size()) +
                                  " (a receipt is a fact; a changed one comes as a reversal plus a new one)");
    }
  } else if (pp.split) {
    if (m.engine->payment(pp.payment_id)) {
      return Error::permanent(ErrorCode::kAlreadyExists,
                              where + "allocations: received before as one receipt, now with " +
                                  std::to_string(ids.size()) + " entries");
    }
    for (const std::string& id : ids) {
      if (m.engine->payment(id)) {
        return Error::permanent(ErrorCode::kAlreadyExists, where + "entry id \"" + id + "\" is taken by another payment");
      }
    }
  }

  bool added = false;
  for (auto& e : pp.entries) {
    auto r = m.engine->addPayment(e.payment);
    if (!r.ok()) {
      if (added) *must_reload = true;  // the entries added before this one must go again
      return r.takeError();
    }
    if (*r != IngestOutcome::kDuplicate) added = true;
  }
  if (!added) return IngestOutcome::kDuplicate;
  if (pp.split && known == m.sources.end()) {
    m.sources[pp.payment_id] = ids;  // a failed commit reloads the map from the file
    m.new_sources.push_back(pp.payment_id);
  }
  return IngestOutcome::kAdded;
}

Status Service::Impl::writeNewSources() {
  for (const std::string& id : new_sources) {
    auto it = sources.find(id);
    if (it != sources.end()) QIAO_RETURN_IF_ERROR(db->putSource(id, it->second));
  }
  new_sources.clear();
  return Status();
}

Result<IngestOutcome> Service::addPaymentJson(std::string_view canonical_payment_json) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  bool must_reload = false;
  auto outcome = m.ingestPayment(canonical_payment_json, &must_reload);
  if (!outcome.ok()) {
    if (must_reload) return m.fail(outcome.takeError());
    return outcome;
  }
  if (*outcome == IngestOutcome::kDuplicate) return outcome;
  auto saved = m.persist(Impl::HandOut::kNone, [&m] { return m.writeNewSources(); });
  if (!saved.ok()) return saved.takeError();
  return outcome;
}

Result<std::vector<Result<IngestOutcome>>> Service::ingestBatchJson(const std::vector<std::string>& orders,
                                                                     const std::vector<std::string>& payments) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  std::vector<Result<IngestOutcome>> out;
  out.reserve(orders.size() + payments.size());
  bool changed = false;
  for (const std::string& o : orders) {
    out.push_back(m.ingestOrder(o));
    changed = changed || (out.back().ok() && *out.back() != IngestOutcome::kDuplicate);
  }
  for (const std::string& p : payments) {
    bool must_reload = false;
    out.push_back(m.ingestPayment(p, &must_reload));
    if (must_reload) return m.fail(out.back().error());  // nothing of the batch is kept
    changed = changed || (out.back().ok() && *out.back() != IngestOutcome::kDuplicate);
  }
  if (changed) {
    auto saved = m.persist(Impl::HandOut::kNone, [&m] { return m.writeNewSources(); });
    if (!saved.ok()) return saved.takeError();
  }
  return out;
}


Status Service::addCustomerName(std::string_view customer_id, std::string_view name) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_RETURN_IF_ERROR(m.engine->addCustomerName(customer_id, name));
  auto saved = m.persist(Impl::HandOut::kNone);
  if (!saved.ok()) return saved.takeError();
  return Status();
}

// ---- run --------------------------------------------------------------------------------

Result<RunResult> Service::run() {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  RunResult out;
  out.stats = m.engine->run();
  QIAO_ASSIGN_OR_RETURN(out.changed, m.persist(Impl::HandOut::kPending));
  return out;
}

Result<RunResult> Service::rematchAll() {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  RunResult out;
  out.stats = m.engine->rematchAll();
  QIAO_ASSIGN_OR_RETURN(out.changed, m.persist(Impl::HandOut::kPending));
  return out;
}

// ---- manual -----------------------------------------------------------------------------

Result<RunResult> Service::match(const ManualRequest& req) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  if (req.amount.empty()) return invalid("amount: required");
  auto amount = Decimal::fromText(req.amount);
  if (!amount.ok()) return invalid("amount: \"" + req.amount + "\" is not a decimal number");
  if (!(amount->round(m.scale()) == *amount)) {
    return invalid("amount: " + req.amount + " has more than " + std::to_string(m.scale()) + " decimals");
  }
  QIAO_RETURN_IF_ERROR(m.engine->match(req.payment_id, req.order_id, *amount, req.user, req.reason, m.nowMs(),
                                       req.allow_overpayment));
  RunResult out;
  QIAO_ASSIGN_OR_RETURN(out.changed, m.persist(Impl::HandOut::kOwn));
  return out;
}

Result<RunResult> Service::unmatch(const ManualRequest& req) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_RETURN_IF_ERROR(m.engine->unmatch(req.payment_id, req.order_id, req.user, req.reason, m.nowMs()));
  RunResult out;
  QIAO_ASSIGN_OR_RETURN(out.changed, m.persist(Impl::HandOut::kOwn));
  return out;
}

Result<RunResult> Service::releaseHold(const ManualRequest& req) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_RETURN_IF_ERROR(m.engine->releaseHold(req.payment_id, req.user, req.reason, m.nowMs()));
  RunResult out;
  QIAO_ASSIGN_OR_RETURN(out.changed, m.persist(Impl::HandOut::kOwn));
  return out;
}

// ---- read access --------------------------------------------------------------------------

Status Service::checkInvariants() const {
  std::lock_guard lock(impl_->mu);
  if (impl_->broken) return *impl_->broken;
  return impl_->engine->checkInvariants();
}

std::optional<OrderResult> Service::order(std::string_view order_id) const {
  std::lock_guard lock(impl_->mu);
  if (impl_->broken) return std::nullopt;
  return impl_->engine->order(order_id);
}

std::optional<PaymentResult> Service::payment(std::string_view payment_id) const {
  std::lock_guard lock(impl_->mu);
  if (impl_->broken) return std::nullopt;
  return impl_->engine->payment(payment_id);
}

std::vector<Allocation> Service::allocations() const {
  std::lock_guard lock(impl_->mu);
  if (impl_->broken) return {};
  return impl_->engine->allocations();
}

}  // namespace qiao::recon
