// The k3cloud simulator's admin endpoints (/sim/k3cloud/_...) and its state file part.
#include <vector>

#include "k3_auth.h"
#include "k3_forms.h"
#include "k3_sim.h"

namespace qiao::sim {
namespace {

using nlohmann::json;

std::vector<std::string> splitPath(const std::string& p) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t slash = p.find('/', pos);
    std::string part = p.substr(pos, slash == std::string::npos ? slash : slash - pos);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return out;
}

// K/3-style texts for the business faults worth simulating (reference 3.3).
std::string defaultMessage(int code) {
  switch (code) {
    case 2: return "没有权限执行该操作。";
    case 6: return "数据库操作失败。";
    case 13: return "网络控制冲突：单据正在被其他用户编辑，请稍后再试。";
    case 14: return "接口调用次数超过限制，请稍后再试。";
    case 15: return "不允许administrator用户登录WebAPI。";
    default: return "模拟的业务错误（MsgCode " + std::to_string(code) + "）。";
  }
}

json configJson(const K3Sim::Config& c, int64_t ttl) {
  return {{"latency_ms", c.latency_ms},
          {"is_success_as_string", c.is_success_as_string},
          {"unicode_escape", c.unicode_escape},
          {"html_502_count", c.html_502_count},
          {"session_ttl_ms", ttl},
          {"view_result_as_string", c.view_result_as_string}};
}

}  // namespace

json K3Sim::stats() {
  json calls = json::object();
  {
    std::lock_guard lock(stats_mu_);
    for (const auto& [k, v] : calls_) calls[k] = v;
  }
  json faults;
  {
    std::lock_guard lock(cfg_mu_);
    faults = faults_.describe();
  }
  return {{"calls", calls},
          {"logins", logins_.load()},
          {"login_failures", login_failures_.load()},
          {"session_lost", session_lost_.load()},
          {"sessions", auth_->count()},
          {"max_concurrent", max_in_flight_.load()},
          {"in_flight", in_flight_.load()},
          {"faults_injected", faults_injected_.load()},
          {"faults", faults},
          {"bills", forms_->counts()}};
}

void K3Sim::admin(Exchange& ex, const std::string& op) {
  const bool post = ex.method() == "POST" || ex.method() == "PUT";
  auto parts = splitPath(op);
  const std::string head = parts.empty() ? "" : parts[0];
  auto bodyJson = [&](json* out) {
    *out = json::parse(ex.body(), nullptr, false);
    if (out->is_discarded()) {
      ex.replyJson(400, {{"error", "body is not JSON"}});
      return false;
    }
    return true;
  };
  auto formOf = [&](size_t i) -> const k3::FormDef* {
    const k3::FormDef* def = parts.size() > i ? k3::findForm(parts[i]) : nullptr;
    if (!def) {
      json known = json::array();
      for (const auto& f : k3::allForms()) known.push_back(f.id);
      ex.replyJson(404, {{"error", "unknown form '" + (parts.size() > i ? parts[i] : "") + "'"},
                         {"forms", known}});
    }
    return def;
  };

  if (head == "_stats" && parts.size() == 1) {
    ex.replyJson(200, stats());
  } else if (head == "_config" && parts.size() == 1) {
    if (post) {
      json cfg;
      if (!bodyJson(&cfg)) return;
      if (!cfg.is_object()) return ex.replyJson(400, {{"error", "body must be a JSON object"}});
      std::lock_guard lock(cfg_mu_);
      Config next = cfg_;
      try {
        for (const auto& [k, v] : cfg.items()) {
          if (k == "latency_ms") next.latency_ms = v.get<int64_t>();
          else if (k == "is_success_as_string") next.is_success_as_string = v.get<bool>();
          else if (k == "unicode_escape") next.unicode_escape = v.get<bool>();
          else if (k == "html_502_count") next.html_502_count = v.get<int64_t>();
          else if (k == "session_ttl_ms") next.session_ttl_ms = v.get<int64_t>();
          else if (k == "view_result_as_string") next.view_result_as_string = v.get<bool>();
          else
            return ex.replyJson(400, {{"error", "unknown config key '" + k +
                                                    "' (latency_ms, is_success_as_string, "
                                                    "unicode_escape, html_502_count, "
                                                    "session_ttl_ms, view_result_as_string)"}});
        }
      } catch (const json::exception& e) {
        return ex.replyJson(400, {{"error", std::string("bad config value: ") + e.what()}});
      }
      if (next.latency_ms < 0 || next.html_502_count < 0 || next.session_ttl_ms < 0)
        return ex.replyJson(400, {{"error", "numbers must be >= 0"}});
      cfg_ = next;
      auth_->setTtlMs(next.session_ttl_ms);
    }
    std::lock_guard lock(cfg_mu_);
    ex.replyJson(200, configJson(cfg_, auth_->ttlMs()));
  } else if (head == "_faults" && parts.size() == 1) {
    if (!post) {
      std::lock_guard lock(cfg_mu_);
      return ex.replyJson(200, {{"faults", faults_.describe()},
                                {"services", fault_services_},
                                {"msgcode", {{"msg_code", msg_fault_.msg_code},
                                             {"remaining", msg_fault_.remaining},
                                             {"services", msg_fault_.services}}}});
    }
    json spec;
    if (!bodyJson(&spec)) return;
    const std::string mode = spec.is_object() && spec.contains("mode") && spec["mode"].is_string()
                                 ? spec["mode"].get<std::string>()
                                 : "";
    if (mode == "session_expiry") {
      int64_t count = 0;
      try {
        count = spec.value("count", int64_t{0});
      } catch (const json::exception& e) {
        return ex.replyJson(400, {{"error", e.what()}});
      }
      // Without a count every session goes now; with one, the next `count` calls that carry a
      // live session find it gone (each a separate expiry the client must recover from).
      size_t dropped = count > 0 ? 0 : auth_->expireAll();
      auth_->loseNext(count);
      return ex.replyJson(200, {{"faults", {{"mode", "session_expiry"},
                                            {"sessions_dropped", dropped},
                                            {"lose_next", count}}}});
    }
    std::vector<std::string> only;
    if (spec.is_object() && spec.contains("services")) {
      if (!spec["services"].is_array())
        return ex.replyJson(400, {{"error", "services must be an array of method names"}});
      for (const auto& s : spec["services"]) {
        if (!s.is_string()) return ex.replyJson(400, {{"error", "services must be strings"}});
        only.push_back(s.get<std::string>());
      }
    }
    if (mode == "msgcode") {
      MsgFault mf;
      try {
        mf.msg_code = spec.value("msg_code", 0);
        mf.remaining = spec.value("count", int64_t{1});
        mf.message = spec.value("message", std::string());
      } catch (const json::exception& e) {
        return ex.replyJson(400, {{"error", e.what()}});
      }
      if (mf.msg_code < 1 || mf.msg_code > 99 || mf.remaining < 1)
        return ex.replyJson(400, {{"error", "msgcode needs msg_code 1..99 and count >= 1"}});
      if (mf.message.empty()) mf.message = defaultMessage(mf.msg_code);
      mf.services = only;
      std::lock_guard lock(cfg_mu_);
      msg_fault_ = mf;
      return ex.replyJson(200, {{"faults", {{"mode", "msgcode"}, {"msg_code", mf.msg_code},
                                            {"remaining", mf.remaining}, {"message", mf.message}}},
                                {"services", only}});
    }
    std::string error;
    std::lock_guard lock(cfg_mu_);
    if (!faults_.configure(spec, &error)) return ex.replyJson(400, {{"error", error}});
    fault_services_ = only;
    ex.replyJson(200, {{"faults", faults_.describe()}, {"services", fault_services_}});
  } else if (head == "_sessions") {
    if (parts.size() == 2 && parts[1] == "expire" && post)
      return ex.replyJson(200, {{"expired", auth_->expireAll()}});
    if (parts.size() == 1 && !post) return ex.replyJson(200, {{"sessions", auth_->count()}});
    ex.replyJson(404, {{"error", "use GET _sessions or POST _sessions/expire"}});
  } else if (head == "_bills" && (parts.size() == 2 || parts.size() == 3) && !post) {
    const k3::FormDef* def = formOf(1);
    if (!def) return;
    if (parts.size() == 2) return ex.replyJson(200, forms_->list(*def));
    int64_t id = 0;
    try {
      id = std::stoll(parts[2]);
    } catch (const std::exception&) {
      return ex.replyJson(400, {{"error", "id must be an integer"}});
    }
    auto doc = forms_->get(*def, id);
    if (!doc) return ex.replyJson(404, {{"error", def->id + " " + parts[2] + " not found"}});
    ex.replyJson(200, *doc);
  } else if (head == "_basedata" && parts.size() == 2) {
    const k3::FormDef* def = formOf(1);
    if (!def) return;
    if (!post) return ex.replyJson(200, forms_->list(*def));
    json rows;
    if (!bodyJson(&rows)) return;
    std::string error;
    json r = forms_->addBaseData(*def, rows, &error);
    if (r.is_null()) return ex.replyJson(400, {{"error", error}});
    dirty_ = true;
    ex.replyJson(200, r);
  } else if (head == "_customers" && parts.size() == 2 && parts[1] == "seed" && post) {
    json req;
    if (!bodyJson(&req)) return;
    std::string error;
    json r;
    try {
      r = forms_->seedCustomers(req.value("count", int64_t{0}), req.value("seed", uint64_t{1}),
                                req.value("overlap_with_crm", 0.0), &error);
    } catch (const json::exception& e) {
      error = std::string("bad seed request: ") + e.what();
    }
    if (r.is_null()) return ex.replyJson(400, {{"error", error}});
    dirty_ = true;
    ex.replyJson(200, r);
  } else if (head == "_receipts" && parts.size() == 1) {
    const k3::FormDef* def = k3::findForm("AR_RECEIVEBILL");
    if (!post) return ex.replyJson(200, forms_->list(*def));
    json docs;
    if (!bodyJson(&docs)) return;
    std::string error;
    json r = forms_->addDocuments(*def, docs, &error);
    if (r.is_null()) return ex.replyJson(400, {{"error", error}});
    dirty_ = true;
    ex.replyJson(200, r);
  } else if (head == "_clock" && parts.size() == 1) {
    // A fixed K/3 clock: every Save/Submit/Audit/Forbid stamps the same FModifyDate.
    if (post) {
      json req;
      if (!bodyJson(&req)) return;
      if (!req.is_object() || !req.contains("now"))
        return ex.replyJson(400, {{"error", "body must be {\"now\": \"yyyy-MM-dd HH:mm:ss[.fff]\"} "
                                            "or {\"now\": null}"}});
      if (req["now"].is_null()) {
        k3::setFixedShanghaiNow(std::nullopt);
      } else {
        auto d = req["now"].is_string() ? k3::normalizeDate(req["now"].get<std::string>())
                                        : std::nullopt;
        if (!d) return ex.replyJson(400, {{"error", "now must be a date-time text or null"}});
        std::string t = *d;
        if (t.size() == 19) t += ".";
        while (t.size() < 23) t += '0';
        if (t.size() != 23) return ex.replyJson(400, {{"error", "now: at most 3 fraction digits"}});
        k3::setFixedShanghaiNow(t);
      }
    }
    ex.replyJson(200, {{"now", k3::shanghaiNow()}, {"fixed", k3::shanghaiNowFixed()}});
  } else if (head == "_reset" && parts.size() == 1 && post) {
    k3::setFixedShanghaiNow(std::nullopt);
    forms_->reset();
    {
      std::lock_guard lock(cfg_mu_);
      faults_.clear();
      fault_services_.clear();
      msg_fault_ = MsgFault{};
      cfg_.html_502_count = 0;
    }
    {
      std::lock_guard lock(stats_mu_);
      calls_.clear();
    }
    logins_ = login_failures_ = session_lost_ = faults_injected_ = 0;
    max_in_flight_ = in_flight_.load();
    auth_->loseNext(0);
    dirty_ = true;
    ex.replyJson(200, {{"reset", true}});
  } else {
    ex.replyJson(404, {{"error", "unknown k3cloud admin endpoint '" + op + "' for " +
                                     ex.method()}});
  }
}

json K3Sim::saveState() {
  dirty_ = false;
  return {{"forms", forms_->saveState()}};
}

void K3Sim::loadState(const json& state) {
  if (state.is_object() && state.contains("forms")) forms_->loadState(state["forms"]);
}

}  // namespace qiao::sim
