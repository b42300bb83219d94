// Service: open, load, persist, confirm / fail a write; see service.h.
#include <algorithm>
#include <functional>

#include "service_impl.h"

namespace qiao::sync {
namespace {

Error invalid(std::string msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg));
}

constexpr const char* kWriteColumns =
    "seq, write_id, side, kind, target_id, link_id, record_json, changed_fields, fields_json, "
    "prior_json, idempotency_key, reason, status, fail_reason, new_target_id, created_at_ms, "
    "updated_at_ms";

}  // namespace

// ---- load / persist ---------------------------------------------------------------------

Status Service::Impl::load() {
  state = SyncState();
  open.clear();
  seq_of.clear();
  by_target.clear();
  open_creates.clear();
  next_seq = 1;
  std::map<std::string, Link> links;
  {
    // Bases stay in the file until a change needs them (ensureBase).
    detail::Query q = db->prepare("SELECT link_id, base_known FROM sync_links");
    while (q.step()) {
      Link l;
      l.link_id = q.text(0);
      l.base_known = q.i64(1) != 0;
      l.base_loaded = false;
      links.emplace(l.link_id, std::move(l));
    }
    QIAO_RETURN_IF_ERROR(q.status());
  }
  {
    detail::Query q = db->prepare(
        "SELECT link_id, side, side_id, hash, forbidden, deleted FROM sync_link_sides");
    while (q.step()) {
      auto it = links.find(q.text(0));
      if (it == links.end()) {
        return Error::permanent(ErrorCode::kStoreError, "sync store: " + db->path() +
                                                            ": sync_link_sides names unknown link " +
                                                            q.text(0));
      }
      it->second.sides[q.text(1)] = SideLink{q.text(2), hashFromText(q.text(3)), q.i64(4) != 0,
                                             q.i64(5) != 0};
    }
    QIAO_RETURN_IF_ERROR(q.status());
  }
  for (auto& [id, l] : links) {
    Status s = state.add(std::move(l));
    if (!s.ok()) {
      return Error::permanent(ErrorCode::kStoreError,
                              "sync store: " + db->path() + ": " + s.error().message);
    }
  }
  {
    detail::Query q = db->prepare("SELECT 1 FROM sync_meta WHERE key = 'first_sync_at'");
    first_sync_done = q.step() || state.size() > 0;
    QIAO_RETURN_IF_ERROR(q.status());
  }
  {
    detail::Query q = db->prepare("SELECT side, side_id, reason FROM sync_held");
    while (q.step()) state.hold(q.text(0), q.text(1), q.text(2));
    QIAO_RETURN_IF_ERROR(q.status());
  }
  {
    // The index part only (OpenWrite::loaded).
    detail::Query q = db->prepare(
        "SELECT seq, write_id, side, kind, target_id, link_id, status, created_at_ms, "
        "updated_at_ms FROM sync_writes WHERE status IN ('pending','deferred','failed') ORDER BY seq");
    while (q.step()) {
      OpenWrite w;
      w.seq = q.i64(0);
      w.w.write_id = q.text(1);
      w.w.side = q.text(2);
      w.w.kind = q.text(3);
      w.w.target_id = q.text(4);
      w.w.link_id = q.text(5);
      w.status = q.text(6);
      w.created_ms = q.i64(7);
      w.updated_ms = q.i64(8);
      w.loaded = false;
      addOpen(std::move(w));
    }
    QIAO_RETURN_IF_ERROR(q.status());
  }
  {
    detail::Query q = db->prepare("SELECT COALESCE(MAX(seq), 0) FROM sync_writes");
    if (q.step()) next_seq = q.i64(0) + 1;
    QIAO_RETURN_IF_ERROR(q.status());
  }
  return Status();
}

Result<OpenWrite> Service::Impl::loadedCopy(const OpenWrite& w) const {
  OpenWrite full = w;
  if (w.loaded) return full;
  detail::Query q = db->prepare(
      "SELECT record_json, changed_fields, fields_json, prior_json, idempotency_key, reason, "
      "fail_reason FROM sync_writes WHERE seq = ?");
  q.bind(w.seq);
  if (!q.step()) {
    QIAO_RETURN_IF_ERROR(q.status());
    return Error::permanent(ErrorCode::kStoreError, "sync store: " + db->path() +
                                                        ": sync_writes has no row for open write " +
                                                        w.w.write_id);
  }
  full.w.record_json = q.text(0);
  full.w.changed_fields = stringsFromJson(q.text(1));
  auto fields = fieldsFromJson(q.text(2));
  if (fields.ok()) full.fields = std::move(fields.value());
  priorFromJson(q.text(3), &full);
  full.w.idempotency_key = q.text(4);
  full.w.reason = q.text(5);
  full.fail_reason = q.text(6);
  full.loaded = true;
  return full;
}

Status Service::Impl::ensureBase(const std::string& link_id) {
  Link* l = state.mutableLink(link_id);
  if (l == nullptr || l->base_loaded) return Status();
  detail::Query q = db->prepare("SELECT base_json FROM sync_links WHERE link_id = ?");
  q.bind(link_id);
  if (!q.step()) {
    QIAO_RETURN_IF_ERROR(q.status());
    return Error::permanent(ErrorCode::kStoreError,
                            "sync store: " + db->path() + ": sync_links has no row " + link_id);
  }
  auto base = fieldsFromJson(q.text(0));
  if (!base.ok()) {
    return Error::permanent(ErrorCode::kStoreError, "sync store: " + db->path() + ": sync_links " +
                                                        link_id + " base_json: " + base.error().message);
  }
  l->base = std::move(base.value());
  l->base_loaded = true;
  bases_loaded_now.push_back(link_id);
  return Status();
}

Result<OpenWrite*> Service::Impl::ensureLoaded(int64_t seq) {
  OpenWrite& w = open.at(seq);
  if (!w.loaded) {
    QIAO_ASSIGN_OR_RETURN(w, loadedCopy(w));
    loaded_now.push_back(seq);
  }
  return &w;
}

void Service::Impl::clearDirt(bool evict_every_base) {
  // The open writes this call loaded or made go back to their index part.
  for (int64_t seq : loaded_now) {
    auto it = open.find(seq);
    if (it == open.end() || !it->second.loaded) continue;
    OpenWrite& w = it->second;
    w.w.record_json = std::string();
    w.w.changed_fields = std::vector<std::string>();
    w.w.idempotency_key = std::string();
    w.w.reason = std::string();
    w.fields = FieldMap();
    w.prior = FieldMap();
    w.prior_forbidden = false;
    w.fail_reason = std::string();
    w.loaded = false;
  }
  loaded_now.clear();
  // Bases read or written by this call go back to the file unless the link has open writes.
  auto evict = [&](const std::string& id) {
    Link* l = state.mutableLink(id);
    if (l == nullptr || !l->base_loaded) return;
    for (const auto& [side, s] : l->sides) {
      if (!evict_every_base && by_target.count({id, side})) return;
    }
    l->base = FieldMap();
    l->base_loaded = false;
  };
  for (const std::string& id : bases_loaded_now) evict(id);
  for (const std::string& id : dirty_links) evict(id);
  for (const OpenWrite& w : closed) evict(w.w.link_id);
  bases_loaded_now.clear();
  dirty_links.clear();
  dirty_side_ids.clear();
  dirty_writes.clear();
  closed.clear();
  closed_status.clear();
  new_conflicts.clear();
  new_reviews.clear();
  released.clear();
}

Error Service::Impl::fail(Error e) {
  db->rollback();
  clearDirt();
  Status s = load();
  if (!s.ok()) {
    broken = Error::permanent(ErrorCode::kStoreError,
                              "sync state could not be reloaded after \"" + e.message +
                                  "\": " + s.error().message + " (reopen the service)");
  }
  return e;
}

namespace {

Status writeRow(detail::SyncDb& db, const OpenWrite& w, const std::string& status,
                const std::string& new_target_id) {
  return db
      .prepare(std::string("INSERT OR REPLACE INTO sync_writes (") + kWriteColumns +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(w.seq)
      .bind(w.w.write_id)
      .bind(w.w.side)
      .bind(w.w.kind)
      .bind(w.w.target_id)
      .bind(w.w.link_id)
      .bind(w.w.record_json)
      .bind(stringsJson(w.w.changed_fields))
      .bind(fieldsJson(w.fields))
      .bind(priorJson(w))
      .bind(w.w.idempotency_key)
      .bind(w.w.reason)
      .bind(status)
      .bind(w.fail_reason)
      .bind(new_target_id)
      .bind(w.created_ms)
      .bind(w.updated_ms)
      .run();
}

// One side of a link: its id there, content hash and flags.
Status writeSideRow(detail::SyncDb& db, const std::string& link_id, const std::string& side,
                    const SideLink& s) {
  return db
      .prepare("INSERT OR REPLACE INTO sync_link_sides (link_id, side, side_id, hash, forbidden, "
               "deleted) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(link_id)
      .bind(side)
      .bind(s.id)
      .bind(hashText(s.hash))
      .bind(int64_t{s.forbidden ? 1 : 0})
      .bind(int64_t{s.deleted ? 1 : 0})
      .run();
}

}  // namespace

Status Service::Impl::persist(const std::function<Status()>& extra) {
  Status s = db->begin();
  if (s.ok()) s = writeDirt();
  if (s.ok() && extra) s = extra();
  if (s.ok()) s = db->commit();
  if (!s.ok()) return fail(s.error());
  clearDirt();
  return Status();
}

Status Service::Impl::writeDirt() {
  const int64_t now = nowMs();
  {
    for (const std::string& id : dirty_links) {
      const Link* l = state.link(id);
      if (l == nullptr) continue;
      if (!l->base_loaded) {  // its base did not change: the row keeps it
        QIAO_RETURN_IF_ERROR(db->prepare("UPDATE sync_links SET base_known = ?, updated_at_ms = ? "
                                         "WHERE link_id = ?")
                                 .bind(int64_t{l->base_known ? 1 : 0})
                                 .bind(now)
                                 .bind(id)
                                 .run());
      } else {
        QIAO_RETURN_IF_ERROR(db->prepare("INSERT OR REPLACE INTO sync_links (link_id, base_known, "
                                         "base_json, updated_at_ms) VALUES (?, ?, ?, ?)")
                                 .bind(id)
                                 .bind(int64_t{l->base_known ? 1 : 0})
                                 .bind(fieldsJson(l->base))
                                 .bind(now)
                                 .run());
      }
      QIAO_RETURN_IF_ERROR(
          db->prepare("DELETE FROM sync_link_sides WHERE link_id = ?").bind(id).run());
      for (const auto& [side, s] : l->sides) QIAO_RETURN_IF_ERROR(writeSideRow(*db, id, side, s));
    }
    for (const auto& [id, side] : dirty_side_ids) {
      const Link* l = state.link(id);
      if (l == nullptr || dirty_links.count(id) || !l->sides.count(side)) continue;
      const SideLink& s = l->sides.at(side);
      QIAO_RETURN_IF_ERROR(
          db->prepare("UPDATE sync_links SET updated_at_ms = ? WHERE link_id = ?").bind(now).bind(id).run());
      QIAO_RETURN_IF_ERROR(writeSideRow(*db, id, side, s));
    }
    for (int64_t seq : dirty_writes) {
      auto it = open.find(seq);
      if (it != open.end()) QIAO_RETURN_IF_ERROR(writeRow(*db, it->second, it->second.status, ""));
    }
    for (std::size_t i = 0; i < closed.size(); ++i) {
      const OpenWrite& c = closed[i];
      if (c.loaded) {
        QIAO_RETURN_IF_ERROR(writeRow(*db, c, closed_status[i], c.w.target_id));
        continue;
      }
      // Not loaded: its row holds everything else unchanged since it was written.
      QIAO_RETURN_IF_ERROR(db->prepare("UPDATE sync_writes SET status = ?, target_id = ?, "
                                       "new_target_id = ?, updated_at_ms = ? WHERE seq = ?")
                               .bind(closed_status[i])
                               .bind(c.w.target_id)
                               .bind(c.w.target_id)
                               .bind(c.updated_ms)
                               .bind(c.seq)
                               .run());
    }
    for (const ConflictRow& c : new_conflicts) {
      QIAO_RETURN_IF_ERROR(db->prepare("INSERT INTO sync_conflicts (link_id, field, rule, detail, "
                                       "values_json, winner_side, winner_value, at_ms) VALUES "
                                       "(?, ?, ?, ?, ?, ?, ?, ?)")
                               .bind(c.link_id)
                               .bind(c.field)
                               .bind(c.rule)
                               .bind(c.detail)
                               .bind(c.values_json)
                               .bind(c.winner_side)
                               .bind(c.winner_value)
                               .bind(now)
                               .run());
    }
    for (const auto& [side, id] : released) {
      QIAO_RETURN_IF_ERROR(db->prepare("DELETE FROM sync_held WHERE side = ? AND side_id = ?")
                               .bind(side)
                               .bind(id)
                               .run());
    }
    for (const ReviewUpsert& r : new_reviews) {
      int64_t review_id = 0;
      {
        detail::Query q =
            db->prepare("SELECT id FROM sync_review WHERE review_key = ? AND status = 'open'");
        q.bind(r.key);
        if (q.step()) review_id = q.i64(0);
        QIAO_RETURN_IF_ERROR(q.status());
      }
      if (review_id != 0) {
        QIAO_RETURN_IF_ERROR(
            db->prepare("UPDATE sync_review SET reason = ?, members_json = ? WHERE id = ?")
                .bind(r.reason)
                .bind(membersJson(r.members))
                .bind(review_id)
                .run());
      } else {
        QIAO_RETURN_IF_ERROR(db->prepare("INSERT INTO sync_review (kind, review_key, reason, "
                                         "members_json, status, created_at_ms) VALUES "
                                         "(?, ?, ?, ?, 'open', ?)")
                                 .bind(r.kind)
                                 .bind(r.key)
                                 .bind(r.reason)
                                 .bind(membersJson(r.members))
                                 .bind(now)
                                 .run());
        review_id = db->lastInsertId();
      }
      if (!r.hold) continue;
      for (const ReviewMember& m : r.members) {
        QIAO_RETURN_IF_ERROR(db->prepare("INSERT OR REPLACE INTO sync_held (side, side_id, "
                                         "review_id, reason) VALUES (?, ?, ?, ?)")
                                 .bind(m.side)
                                 .bind(m.id)
                                 .bind(review_id)
                                 .bind(r.reason)
                                 .run());
      }
    }
  }
  return Status();
}

void Service::Impl::addOpen(OpenWrite w) {
  const int64_t seq = w.seq;
  seq_of[w.w.write_id] = seq;
  by_target[{w.w.link_id, w.w.side}].insert(seq);
  if (w.w.kind == "create") open_creates[w.w.side].insert(seq);
  if (w.loaded) loaded_now.push_back(seq);
  open.emplace(seq, std::move(w));
}

std::vector<int64_t> Service::Impl::openTo(const std::string& link_id,
                                           const std::string& side) const {
  auto it = by_target.find({link_id, side});
  if (it == by_target.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void Service::Impl::closeWrite(int64_t seq, const std::string& status,
                               const std::string& new_target_id) {
  auto it = open.find(seq);
  if (it == open.end()) return;
  OpenWrite w = std::move(it->second);
  open.erase(it);
  seq_of.erase(w.w.write_id);
  auto t = by_target.find({w.w.link_id, w.w.side});
  if (t != by_target.end()) {
    t->second.erase(seq);
    if (t->second.empty()) by_target.erase(t);
  }
  if (w.w.kind == "create") open_creates[w.w.side].erase(seq);
  dirty_writes.erase(seq);
  if (!new_target_id.empty()) w.w.target_id = new_target_id;
  w.updated_ms = nowMs();
  closed.push_back(std::move(w));
  closed_status.push_back(status);
}

Status Service::Impl::releaseDeferred(const std::string& link_id, const std::string& side,
                                      std::vector<SyncWrite>* out) {
  const Link* l = state.link(link_id);
  if (l == nullptr) return Status();
  auto sl = l->sides.find(side);
  if (sl == l->sides.end() || sl->second.id.empty()) return Status();
  for (int64_t seq : openTo(link_id, side)) {
    if (open.at(seq).status != "deferred") continue;
    QIAO_RETURN_IF_ERROR(ensureBase(link_id));
    QIAO_ASSIGN_OR_RETURN(OpenWrite * loaded, ensureLoaded(seq));
    OpenWrite& w = *loaded;
    w.status = "pending";
    w.w.target_id = sl->second.id;
    w.w.record_json = recordJsonFor(*l, side, w.w.kind, w.w.target_id, w.fields);
    w.updated_ms = nowMs();
    dirty_writes.insert(seq);
    out->push_back(w.w);
  }
  return Status();
}

// ---- open -------------------------------------------------------------------------------

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::open(const ServiceOptions& options) {
  QIAO_RETURN_IF_ERROR(options.config.validate());
  for (const auto& [side, field] : options.id_fields) {
    if (options.config.side(side) == nullptr) {
      return Error::permanent(ErrorCode::kConfigInvalid,
                              "sync id_fields." + side + ": not a configured side");
    }
    if (field.empty()) {
      return Error::permanent(ErrorCode::kConfigInvalid, "sync id_fields." + side + ": empty");
    }
  }
  for (const std::string& f : options.json_fields) {
    if (std::find(options.config.fields.begin(), options.config.fields.end(), f) ==
        options.config.fields.end()) {
      return Error::permanent(ErrorCode::kConfigInvalid,
                              "sync json_fields: '" + f + "' is not a synced field");
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  impl->clock = options.clock != nullptr ? options.clock : &Clock::system();
  impl->json_fields.insert(options.json_fields.begin(), options.json_fields.end());
  QIAO_ASSIGN_OR_RETURN(impl->db, detail::SyncDb::open(options.sqlite_path,
                                                       options.busy_timeout_ms,
                                                       options.synchronous_full));
  QIAO_RETURN_IF_ERROR(impl->load());
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

// ---- confirm / fail ---------------------------------------------------------------------

// One confirmation, not persisted: the caller commits. An error leaves memory as it was.
Result<std::vector<SyncWrite>> Service::Impl::confirmOne(const std::string& write_id,
                                                         const std::string& new_target_id) {
  std::vector<SyncWrite> released;
  auto found = seq_of.find(write_id);
  if (found == seq_of.end()) {
    // Confirmed before (on_delivered twice), superseded, or adopted from a pull: fine when the
    // id agrees. Confirmed earlier in this transaction: its row is not written yet.
    std::string status, kind, confirmed_id, side;
    auto earlier = std::find_if(closed.rbegin(), closed.rend(),
                                [&](const OpenWrite& c) { return c.w.write_id == write_id; });
    if (earlier != closed.rend()) {
      kind = earlier->w.kind;
      confirmed_id = earlier->w.target_id;
      side = earlier->w.side;
    } else {
      detail::Query q =
          db->prepare("SELECT status, kind, new_target_id, side FROM sync_writes WHERE write_id = ?");
      q.bind(write_id);
      if (!q.step()) {
        QIAO_RETURN_IF_ERROR(q.status());
        return Error::permanent(ErrorCode::kNotFound, "no sync write '" + write_id + "'");
      }
      kind = q.text(1);
      confirmed_id = q.text(2);
      side = q.text(3);
    }
    if (kind == "create" && !new_target_id.empty() && confirmed_id != new_target_id) {
      return Error::permanent(ErrorCode::kAlreadyExists,
                              "sync write " + write_id + " (create on " + side +
                                  ") was already confirmed as " + confirmed_id + ", not " +
                                  new_target_id + ": a second customer, review it");
    }
    return released;
  }
  const int64_t seq = found->second;
  OpenWrite& w = open.at(seq);
  if (w.status == "deferred") {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "sync write " + write_id + " is deferred (waits for the create on " +
                                w.w.side + ") and was never handed out");
  }
  const std::string link_id = w.w.link_id, side = w.w.side;
  if (w.w.kind == "create") {
    if (new_target_id.empty()) {
      return invalid("sync write " + write_id + ": a create needs the new " + side + " id");
    }
    QIAO_RETURN_IF_ERROR(state.setSideId(link_id, side, new_target_id));
    dirty_side_ids.emplace_back(link_id, side);
    closeWrite(seq, "confirmed", new_target_id);
    QIAO_RETURN_IF_ERROR(releaseDeferred(link_id, side, &released));
  } else {
    closeWrite(seq, "confirmed", "");
  }
  return released;
}

Result<std::vector<SyncWrite>> Service::confirmWrite(const std::string& write_id,
                                                     const std::string& new_target_id) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  auto released = m.confirmOne(write_id, new_target_id);
  if (!released.ok()) return released;
  QIAO_RETURN_IF_ERROR(m.persist());
  return released;
}

std::vector<Result<std::vector<SyncWrite>>> Service::confirmWrites(
    const std::vector<Confirmation>& confirmations) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  std::vector<Result<std::vector<SyncWrite>>> out;
  out.reserve(confirmations.size());
  if (m.broken) {
    for (std::size_t i = 0; i < confirmations.size(); ++i) out.emplace_back(*m.broken);
    return out;
  }
  for (const Confirmation& c : confirmations) out.push_back(m.confirmOne(c.write_id, c.new_target_id));
  if (Status s = m.persist(); !s.ok()) {
    for (auto& r : out)
      if (r.ok()) r = s.error();
  }
  return out;
}

Status Service::failWrite(const std::string& write_id, std::string_view reason) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  auto found = m.seq_of.find(write_id);
  if (found == m.seq_of.end()) {
    return Error::permanent(ErrorCode::kNotFound,
                            "no open sync write '" + write_id + "' (unknown or confirmed)");
  }
  auto loaded = m.ensureLoaded(found->second);
  if (!loaded.ok()) return loaded.error();
  OpenWrite& w = **loaded;
  w.status = "failed";
  w.fail_reason = reason.empty() ? "failed (no reason given)" : std::string(reason);
  w.updated_ms = m.nowMs();
  m.dirty_writes.insert(w.seq);
  return m.persist();
}

std::vector<SyncWrite> Service::pendingWrites() const {
  std::lock_guard lock(impl_->mu);
  std::vector<SyncWrite> out;
  for (const auto& [seq, w] : impl_->open) {
    if (w.status != "pending") continue;
    auto full = impl_->loadedCopy(w);
    if (full.ok()) out.push_back(std::move(full->w));
  }
  return out;
}

std::vector<SyncWrite> Service::pendingWrites(std::string_view after_write_id,
                                              std::size_t limit) const {
  std::lock_guard lock(impl_->mu);
  int64_t after = 0;
  if (!after_write_id.empty()) {
    // Write ids are "w<seq>" (ingest); anything else names no write: the end.
    const std::string_view digits = after_write_id.substr(1);
    if (after_write_id[0] != 'w' || digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return {};
    }
    after = std::stoll(std::string(digits));
  }
  auto page = impl_->pendingPage(after, limit);
  return page.ok() ? std::move(page).value() : std::vector<SyncWrite>();
}

Result<std::vector<SyncWrite>> Service::Impl::pendingPage(int64_t after_seq, std::size_t limit) const {
  std::vector<SyncWrite> out;
  detail::Query q = db->prepare(
      "SELECT write_id, side, kind, target_id, link_id, record_json, changed_fields, "
      "idempotency_key, reason FROM sync_writes WHERE status = 'pending' AND seq > ? "
      "ORDER BY seq LIMIT ?");
  q.bind(after_seq);
  q.bind(static_cast<int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  while (q.step()) {
    SyncWrite w;
    w.write_id = q.text(0);
    w.side = q.text(1);
    w.kind = q.text(2);
    w.target_id = q.text(3);
    w.link_id = q.text(4);
    w.record_json = q.text(5);
    w.changed_fields = stringsFromJson(q.text(6));
    w.idempotency_key = q.text(7);
    w.reason = q.text(8);
    out.push_back(std::move(w));
  }
  QIAO_RETURN_IF_ERROR(q.status());
  return out;
}

SyncCounts Service::counts() const {
  std::lock_guard lock(impl_->mu);
  const Impl& m = *impl_;
  SyncCounts c;
  c.links = m.state.size();
  c.held = m.state.heldCount();
  for (const auto& [seq, w] : m.open) {
    if (w.status == "pending") ++c.pending;
    else if (w.status == "deferred") ++c.deferred;
    else if (w.status == "failed") ++c.failed;
  }
  detail::Query q = m.db->prepare(
      "SELECT (SELECT COUNT(*) FROM sync_conflicts), "
      "(SELECT COUNT(*) FROM sync_review WHERE status = 'open')");
  if (q.step()) {
    c.conflicts = static_cast<std::size_t>(q.i64(0));
    c.open_reviews = static_cast<std::size_t>(q.i64(1));
  }
  return c;
}

}  // namespace qiao::sync
