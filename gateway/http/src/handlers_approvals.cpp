// GET /api/v1/approvals: the approval gate's rows (docs/approvals.md) — what waits, what was
// submitted where, who decided what.
#include <string>

#include "api.h"

namespace qiao::http::detail {
namespace {

using json = nlohmann::ordered_json;

json approvalJson(const store::Approval& a) {
  auto at = [](int64_t ms) { return ms == 0 ? json(nullptr) : json(ms); };
  return json{{"message_id", a.message_id},   {"route", a.route},
              {"rule", a.rule},               {"state", a.state},
              {"via_route", a.via_route},     {"request_message_id", a.request_message_id},
              {"system", a.system},           {"request_id", a.request_id},
              {"approver", a.approver},       {"comment", a.comment},
              {"created_at_ms", a.created_at_ms}, {"submitted_at_ms", at(a.submitted_at_ms)},
              {"decided_at_ms", at(a.decided_at_ms)}, {"timeout_at_ms", at(a.timeout_at_ms)},
              {"escalations", a.escalations}};
}

}  // namespace

void Api::listApprovals(const Request& req, Response& resp) {
  QueryParams params;
  std::string bad;
  if (!parseQuery(req.query, &params, &bad)) {
    setError(resp, 400, "invalid_parameter", "bad percent-encoding in parameter " + bad.substr(0, 64));
    return;
  }
  store::ApprovalFilter f;
  for (const auto& [name, value] : params) {
    bool handled = false;
    std::string err;
    if (!parsePaging(name, value, 500, &f.limit, &f.after_message_id, &handled, &err)) {
      setError(resp, 400, "invalid_parameter", err);
      return;
    }
    if (handled) continue;
    if (name == "route") {
      f.route = value;
    } else if (name == "state") {
      static const char* kStates[] = {"open", "waiting", "submitted", "approved", "rejected",
                                      "withdrawn", "terminated", "expired"};
      bool known = false;
      for (const char* s : kStates) known |= value == s;
      if (!known) {
        setError(resp, 400, "invalid_parameter",
                 "state must be one of open, waiting, submitted, approved, rejected, withdrawn, terminated, expired");
        return;
      }
      f.state = value;
    } else {
      setError(resp, 400, "invalid_parameter",
               "unknown parameter '" + name.substr(0, 64) + "' (allowed: state, route, limit, cursor)");
      return;
    }
  }
  auto list = gateway_.store().listApprovals(f);
  if (!list.ok()) {
    setStoreError(resp, list.error(), "not_found");
    return;
  }
  json items = json::array();
  for (const auto& a : *list) items.push_back(approvalJson(a));
  json page{{"items", std::move(items)}};
  page["next_cursor"] = !list->empty() && static_cast<int>(list->size()) >= f.limit
                            ? json(std::to_string(list->back().message_id))
                            : json(nullptr);
  resp.status = 200;
  resp.body = dumpSafe(page);
}

}  // namespace qiao::http::detail
