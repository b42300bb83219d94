// Dead letters, replay, connectors, readiness and metrics.
#include <algorithm>
#include <optional>
#include <string>

#include "api.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::http::detail {
namespace {

// The dead letter with this id, or nullopt with resp set (503 store error, 404 unknown).
std::optional<store::DeadLetter> findDeadLetter(store::Store& store, int64_t id, Response& resp) {
  auto found = store.getDeadLetter(id);
  if (!found.ok()) {
    setStoreError(resp, found.error(), "dead_letter_not_found");
    return std::nullopt;
  }
  if (!found.value().has_value()) {
    setError(resp, 404, "dead_letter_not_found", "no dead letter with id " + std::to_string(id));
    return std::nullopt;
  }
  return std::move(found).value();
}

using json = nlohmann::ordered_json;

constexpr int kMaxNesting = 64;

// An optional JSON object body. Empty (or all whitespace) = {}.
bool parseObjectBody(const std::string& body, json* out, Response& resp) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    *out = json::object();
    return true;
  }
  if (jsonNestingDepth(body, kMaxNesting) > kMaxNesting) {
    setError(resp, 400, "malformed_json",
             "JSON nested deeper than " + std::to_string(kMaxNesting) + " levels");
    return false;
  }
  try {
    *out = json::parse(body);
  } catch (const json::parse_error& e) {
    setError(resp, 400, "malformed_json", describeParseError(e));
    return false;
  }
  if (!out->is_object()) {
    setError(resp, 400, "invalid_request", "the body must be a JSON object");
    return false;
  }
  return true;
}

bool parseId(std::string_view text, int64_t* id, Response& resp) {
  if (parseInt(text, 1, INT64_MAX / 10, id)) return true;
  setError(resp, 400, "invalid_parameter", "dead letter id must be a positive integer");
  return false;
}

bool stringField(const json& body, const char* name, std::string* out, Response& resp) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) {
    setError(resp, 400, "invalid_request", std::string(name) + " must be a string");
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool onlyKeys(const json& body, std::initializer_list<const char*> allowed, Response& resp) {
  for (const auto& [k, v] : body.items()) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; })) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      setError(resp, 400, "invalid_request", "unknown field '" + k.substr(0, 64) +
                                                 "' (allowed: " + list + ")");
      return false;
    }
  }
  return true;
}

void setReplayError(Response& resp, const Error& e) {
  if (e.code == ErrorCode::kAlreadyExists) {
    setError(resp, 409, "already_replayed", e.message);
  } else {
    setStoreError(resp, e, "dead_letter_not_found");
  }
}

}  // namespace

void Api::listDeadLetters(const Request& req, Response& resp) {
  store::DeadLetterFilter filter;
  auto replayed = [&](const std::string& name, const std::string& value, std::string* err) {
    if (name != "include_replayed") return false;
    if (value == "true" || value == "1") filter.include_replayed = true;
    else if (value == "false" || value == "0" || value.empty()) filter.include_replayed = false;
    else {
      *err = "include_replayed must be true or false";
      return false;
    }
    return true;
  };
  if (!parseListQuery(req.query, &filter, "route, key, limit, cursor, include_replayed", replayed, resp))
    return;
  auto list = gateway_.store().listDeadLetters(filter);
  if (!list.ok()) {
    setStoreError(resp, list.error(), "not_found");
    return;
  }
  writePage(list.value(), filter.limit, [](const store::DeadLetter& d) { return deadLetterJson(d); }, resp);
}

void Api::getDeadLetter(std::string_view id_text, Response& resp) {
  int64_t id = 0;
  if (!parseId(id_text, &id, resp)) return;
  auto found = findDeadLetter(gateway_.store(), id, resp);
  if (!found) return;
  resp.status = 200;
  resp.body = dumpSafe(deadLetterJson(*found));
}

void Api::replayOne(const Request& req, std::string_view id_text, const Principal& who,
                    Response& resp) {
  int64_t id = 0;
  if (!parseId(id_text, &id, resp)) return;
  json body;
  if (!parseObjectBody(req.body, &body, resp)) return;
  if (!onlyKeys(body, {"payload", "reason"}, resp)) return;

  store::ReplayRequest rr;
  rr.dead_letter_id = id;
  rr.actor = actorOf(who);
  if (!stringField(body, "reason", &rr.reason, resp)) return;
  auto p = body.find("payload");
  if (p != body.end() && !p->is_null()) {
    if (!p->is_object()) {
      setError(resp, 400, "invalid_request", "payload must be a JSON object");
      return;
    }
    rr.corrected_payload = p->dump(-1, ' ', false, json::error_handler_t::replace);
  }

  auto found = findDeadLetter(gateway_.store(), id, resp);
  if (!found) return;
  if (found->replayed_at_ms > 0) {
    setError(resp, 409, "already_replayed",
             "dead letter " + std::to_string(id) + " was already replayed by " +
                 found->replayed_by);
    return;
  }
  rr.now_ms = Clock::system().nowMs();
  auto replayed = gateway_.replay(rr);
  if (!replayed.ok()) {
    setReplayError(resp, replayed.error());
    return;
  }
  log::info("http.replay", {{"dead_letter", static_cast<long long>(id)},
                            {"message", static_cast<long long>(replayed.value())},
                            {"actor", rr.actor}, {"corrected", rr.corrected_payload ? "yes" : "no"}});
  json j = json::object();
  j["dead_letter_id"] = id;
  j["message_id"] = replayed.value();
  j["replayed"] = true;
  resp.status = 200;
  resp.body = j.dump();
}

void Api::replayBulk(const Request& req, const Principal& who, Response& resp) {
  json body;
  if (!parseObjectBody(req.body, &body, resp)) return;
  if (!onlyKeys(body, {"route", "key", "limit", "reason"}, resp)) return;
  store::DeadLetterFilter filter;
  std::string reason;
  if (!stringField(body, "route", &filter.route, resp)) return;
  if (!stringField(body, "key", &filter.business_key, resp)) return;
  if (!stringField(body, "reason", &reason, resp)) return;
  int64_t limit = 100;
  if (auto it = body.find("limit"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 1000) {
      setError(resp, 400, "invalid_request", "limit must be an integer from 1 to 1000");
      return;
    }
    limit = it->get<int64_t>();
  }

  // Collect first, then replay: replaying while paging would shift the pages.
  std::vector<store::DeadLetter> todo;
  filter.include_replayed = false;
  while (static_cast<int64_t>(todo.size()) < limit) {
    filter.limit = static_cast<int>(std::min<int64_t>(limit - todo.size(), 500));
    auto page = gateway_.store().listDeadLetters(filter);
    if (!page.ok()) {
      setStoreError(resp, page.error(), "not_found");
      return;
    }
    for (auto& d : page.value()) {
      if (d.replayed_at_ms == 0 && static_cast<int64_t>(todo.size()) < limit) {
        todo.push_back(std::move(d));
      }
    }
    if (page.value().empty() || static_cast<int>(page.value().size()) < filter.limit) break;
    filter.after_id = page.value().back().id;
  }

  json replayed = json::array();
  json failed = json::array();
  std::string actor = actorOf(who);
  for (const auto& d : todo) {
    store::ReplayRequest rr;
    rr.dead_letter_id = d.id;
    rr.actor = actor;
    rr.reason = reason;
    rr.now_ms = Clock::system().nowMs();
    auto r = gateway_.replay(rr);
    if (r.ok()) {
      replayed.push_back(d.id);
    } else {
      Response tmp;
      setReplayError(tmp, r.error());
      json f = json::object();
      f["id"] = d.id;
      f["code"] = tmp.error_code ? tmp.error_code : "internal";
      f["error"] = log::redact(r.error().message);
      failed.push_back(std::move(f));
    }
  }
  log::info("http.replay_bulk", {{"route", filter.route}, {"actor", actor},
                                 {"replayed", static_cast<long>(replayed.size())},
                                 {"failed", static_cast<long>(failed.size())}});
  json j = json::object();
  j["replayed"] = std::move(replayed);
  j["failed"] = std::move(failed);
  resp.status = 200;
  resp.body = dumpSafe(j);
}

void Api::connectors(Response& resp) {
  json list = json::array();
  for (const auto& c : gateway_.connectorStatuses()) {
    json j = json::object();
    j["name"] = c.name;
    j["type"] = c.type;
    j["kind"] = c.kind;
    j["healthy"] = c.healthy;
    j["health_detail"] = log::redact(c.health_detail);
    j["circuit"] = c.circuit;
    j["in_flight"] = c.in_flight;
    j["concurrency"] = c.concurrency;
    j["delivered"] = c.delivered;
    j["failed"] = c.failed;
    list.push_back(std::move(j));
  }
  json j = json::object();
  j["connectors"] = std::move(list);
  resp.status = 200;
  resp.body = dumpSafe(j);
}

// GET /api/v1/xref?entity=order&system=k3cloud&local=SO-1 (or &remote=<id or number>).
void Api::xref(const Request& req, Response& resp) {
  QueryParams params;
  std::string bad;
  if (!parseQuery(req.query, &params, &bad)) {
    setError(resp, 400, "invalid_parameter", "bad percent-encoding in parameter " + bad.substr(0, 64));
    return;
  }
  std::string entity, system, local, remote;
  for (const auto& [name, value] : params) {
    if (name == "entity") entity = value;
    else if (name == "system") system = value;
    else if (name == "local") local = value;
    else if (name == "remote") remote = value;
    else {
      setError(resp, 400, "invalid_parameter",
               "unknown parameter '" + name.substr(0, 64) + "' (allowed: entity, system, local, remote)");
      return;
    }
  }
  if (entity.empty() || system.empty() || local.empty() == remote.empty()) {
    setError(resp, 400, "invalid_parameter",
             "give entity, system and exactly one of local or remote");
    return;
  }
  auto found = local.empty() ? gateway_.store().findXrefByRemote(entity, system, remote)
                             : gateway_.store().findXrefByLocal(entity, system, local);
  if (!found.ok()) {
    setStoreError(resp, found.error(), "not_found");
    return;
  }
  if (!found->has_value()) {
    setError(resp, 404, "not_found",
             "no cross-reference for " + entity + " '" + (local.empty() ? remote : local) +
                 "' in " + system);
    return;
  }
  const store::XrefEntry& x = **found;
  json j = json::object();
  j["entity"] = x.entity;
  j["system"] = x.system;
  j["local_id"] = x.local_id;
  j["remote_id"] = x.remote_id;
  j["remote_number"] = x.remote_number;
  j["updated_at_ms"] = x.updated_at_ms;
  resp.status = 200;
  resp.body = dumpSafe(j);
}

// GET /api/v1/jobs: every schedule, its next fire and its last run (from the store).
void Api::jobs(Response& resp) {
  auto iso = [](int64_t ms) -> json { return ms > 0 ? json(isoTime(ms)) : json(nullptr); };
  json list = json::array();
  for (const auto& j : gateway_.jobStatuses()) {
    json o = json::object();
    o["name"] = j.name;
    o["kind"] = j.kind;
    if (!j.route.empty()) o["route"] = j.route;
    o["cron"] = j.cron.empty() ? json(nullptr) : json(j.cron);
    o["timezone"] = j.timezone;
    o["missed"] = j.missed;
    o["next_run"] = iso(j.next_run_ms);
    o["running"] = j.running;
    if (j.running) {
      if (j.kind == "import")
        o["progress"] = {{"rows_done", j.progress_records},
                         {"rows_total", j.progress_total < 0 ? json(nullptr) : json(j.progress_total)}};
      else
        o["progress"] = {{"records", j.progress_records}};
    }
    json last = json::object();
    last["started"] = iso(j.last.last_started_ms);
    last["finished"] = iso(j.last.last_finished_ms);
    last["outcome"] = j.last.outcome.empty() ? json(nullptr) : json(j.last.outcome);
    last["records"] = j.last.records;
    last["error"] = j.last.outcome == "failed" ? json(log::redact(j.last.detail)) : json(nullptr);
    if (j.last.outcome == "ok" && !j.last.detail.empty()) last["summary"] = log::redact(j.last.detail);
    o["last_run"] = std::move(last);
    list.push_back(std::move(o));
  }
  json j = json::object();
  j["jobs"] = std::move(list);
  resp.status = 200;
  resp.body = dumpSafe(j);
}

void Api::readyz(Response& resp) {
  if (gateway_.ready()) {
    resp.status = 200;
    resp.body = "{\"status\":\"ready\"}";
  } else {
    setError(resp, 503, "not_ready", "the gateway is starting or stopping");
  }
}

void Api::metricsText(Response& resp) {
  resp.status = 200;
  resp.content_type = "text/plain; version=0.0.4";
  resp.body = gateway_.metrics().render();
}

}  // namespace qiao::http::detail
