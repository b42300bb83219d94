// Service: JSON answers for the API (conflicts, review list, links, writes); see service.h.
#include <nlohmann/json.hpp>

#include "service_impl.h"

namespace qiao::sync {
namespace {

using json = nlohmann::ordered_json;

std::string dumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json parsed(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json() : j;
}

Status checkPage(std::size_t limit) {
  if (limit < 1 || limit > 10000) {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "limit: " + std::to_string(limit) + " is not in 1..10000");
  }
  return Status();
}

json writeJson(const SyncWrite& w) {
  json j;
  j["writeId"] = w.write_id;
  j["side"] = w.side;
  j["kind"] = w.kind;
  j["targetId"] = w.target_id;
  j["linkId"] = w.link_id;
  j["record"] = parsed(w.record_json);
  j["changedFields"] = w.changed_fields;
  j["idempotencyKey"] = w.idempotency_key;
  j["reason"] = w.reason;
  return j;
}

}  // namespace

Result<std::string> Service::conflictsJson(std::size_t limit, std::size_t offset) const {
  QIAO_RETURN_IF_ERROR(checkPage(limit));
  std::lock_guard lock(impl_->mu);
  detail::SyncDb& db = *impl_->db;
  json out;
  {
    detail::Query q = db.prepare("SELECT COUNT(*) FROM sync_conflicts");
    out["total"] = q.step() ? q.i64(0) : 0;
    QIAO_RETURN_IF_ERROR(q.status());
  }
  json items = json::array();
  detail::Query q = db.prepare(
      "SELECT id, link_id, field, rule, detail, values_json, winner_side, winner_value, at_ms "
      "FROM sync_conflicts ORDER BY id DESC LIMIT ? OFFSET ?");
  q.bind(static_cast<int64_t>(limit)).bind(static_cast<int64_t>(offset));
  while (q.step()) {
    json c;
    c["id"] = q.i64(0);
    c["linkId"] = q.text(1);
    c["field"] = q.text(2);
    c["rule"] = q.text(3);
    c["detail"] = q.text(4);
    c["values"] = parsed(q.text(5));
    c["winner"] = {{"side", q.text(6)}, {"value", q.text(7)}};
    c["at"] = isoTime(q.i64(8));
    items.push_back(std::move(c));
  }
  QIAO_RETURN_IF_ERROR(q.status());
  out["items"] = std::move(items);
  return dumpJson(out);
}

Result<std::string> Service::reviewJson(std::size_t limit, std::size_t offset,
                                        std::string_view status) const {
  QIAO_RETURN_IF_ERROR(checkPage(limit));
  if (!status.empty() && status != "all" && status != "open" && status != "resolved") {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "status: '" + std::string(status) + "' (open, resolved, all)");
  }
  const std::string where = status == "all"        ? ""
                            : status == "resolved" ? " WHERE status = 'resolved'"
                                                   : " WHERE status = 'open'";
  std::lock_guard lock(impl_->mu);
  detail::SyncDb& db = *impl_->db;
  json out;
  {
    detail::Query q = db.prepare("SELECT COUNT(*) FROM sync_review" + where);
    out["total"] = q.step() ? q.i64(0) : 0;
    QIAO_RETURN_IF_ERROR(q.status());
  }
  json items = json::array();
  detail::Query q = db.prepare(
      "SELECT id, kind, status, reason, members_json, created_at_ms, resolved_by, "
      "resolved_at_ms, decision_json FROM sync_review" + where + " ORDER BY id LIMIT ? OFFSET ?");
  q.bind(static_cast<int64_t>(limit)).bind(static_cast<int64_t>(offset));
  while (q.step()) {
    json r;
    r["id"] = q.i64(0);
    r["kind"] = q.text(1);
    r["status"] = q.text(2);
    r["reason"] = q.text(3);
    r["members"] = parsed(q.text(4));
    r["createdAt"] = isoTime(q.i64(5));
    if (q.text(2) == "resolved") {
      r["resolvedBy"] = q.text(6);
      r["resolvedAt"] = isoTime(q.i64(7));
      r["decision"] = parsed(q.text(8));
    }
    items.push_back(std::move(r));
  }
  QIAO_RETURN_IF_ERROR(q.status());
  out["items"] = std::move(items);
  return dumpJson(out);
}

Result<std::string> Service::linksJson(std::size_t limit, std::size_t offset,
                                       std::string_view side_filter,
                                       std::string_view id_filter) const {
  QIAO_RETURN_IF_ERROR(checkPage(limit));
  std::lock_guard lock(impl_->mu);
  const SyncState& state = impl_->state;
  const Impl& m = *impl_;
  auto one = [&m](const Link& l) {
    json j;
    j["linkId"] = l.link_id;
    json sides = json::object();
    for (const auto& [side, s] : l.sides) {
      sides[side] = {{"id", s.id}, {"hash", hashText(s.hash)}, {"forbidden", s.forbidden},
                     {"deleted", s.deleted}};
    }
    j["sides"] = std::move(sides);
    json base = json::object();
    FieldMap stored;  // the base in the file (Link::base_loaded)
    if (!l.base_loaded) {
      detail::Query q = m.db->prepare("SELECT base_json FROM sync_links WHERE link_id = ?");
      q.bind(l.link_id);
      if (q.step()) {
        auto f = fieldsFromJson(q.text(0));
        if (f.ok()) stored = std::move(f.value());
      }
    }
    for (const auto& [f, v] : l.base_loaded ? l.base : stored) base[f] = v;
    j["base"] = std::move(base);
    j["baseKnown"] = l.base_known;
    return j;
  };
  json out;
  json items = json::array();
  if (!side_filter.empty() && !id_filter.empty()) {
    const Link* l = state.find(side_filter, id_filter);
    out["total"] = l != nullptr ? 1 : 0;
    if (l != nullptr && offset == 0) items.push_back(one(*l));
  } else {
    out["total"] = state.size();
    std::size_t i = 0;
    for (const auto& [id, l] : state.links()) {
      if (i++ < offset) continue;
      if (items.size() >= limit) break;
      items.push_back(one(l));
    }
  }
  out["items"] = std::move(items);
  return dumpJson(out);
}

Result<std::string> Service::writesJson(std::string_view status, std::size_t limit,
                                        std::size_t offset) const {
  QIAO_RETURN_IF_ERROR(checkPage(limit));
  if (!status.empty() && status != "pending" && status != "deferred" && status != "failed") {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "status: '" + std::string(status) + "' (pending, deferred, failed)");
  }
  std::lock_guard lock(impl_->mu);
  json out;
  json items = json::array();
  std::size_t total = 0;
  for (const auto& [seq, open_write] : impl_->open) {
    if (!status.empty() && open_write.status != status) continue;
    if (total++ < offset || items.size() >= limit) continue;
    QIAO_ASSIGN_OR_RETURN(OpenWrite w, impl_->loadedCopy(open_write));
    json j = writeJson(w.w);
    j["status"] = w.status;
    if (!w.fail_reason.empty()) j["failReason"] = w.fail_reason;
    j["createdAt"] = isoTime(w.created_ms);
    j["updatedAt"] = isoTime(w.updated_ms);
    items.push_back(std::move(j));
  }
  out["total"] = total;
  out["items"] = std::move(items);
  return dumpJson(out);
}

}  // namespace qiao::sync
