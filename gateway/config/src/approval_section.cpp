// routes.<name>.approval: the approval gate (docs/approvals.md). Conditions are data, checked
// here (pointers, operators, decimal operands) so that a rule never fails at run time for a
// reason the file could have shown; the routes it names are checked once all are read.
#include <set>

#include "handlers.h"
#include "qiao/core/decimal.h"
#include "sections.h"

namespace qiao::config {

std::string ApprovalCondition::describe() const {
  if (op == "all" || op == "any") {
    std::string out = op + "(";
    for (size_t i = 0; i < children.size(); ++i) out += (i ? ", " : "") + children[i].describe();
    return out + ")";
  }
  if (op == "in" || op == "not_in") {
    std::string out = field + " " + op + " [";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
    return out + "]";
  }
  return field + " " + op + " " + value;
}

namespace detail {
namespace {

const std::vector<std::string> kOps = {"gt", "ge", "lt", "le", "eq", "ne", "in", "not_in"};

void readCondition(Ctx& c, const YAML::Node& n, const std::string& path, ApprovalCondition* out,
                   int depth) {
  if (depth > 8) {
    c.error(n, path, "conditions nest deeper than 8 levels");
    return;
  }
  std::vector<Key> keys;
  auto list = [&](const char* op) {
    return [&c, out, depth, op](const YAML::Node& v, const std::string& p) {
      out->op = op;
      if (!v.IsSequence() || v.size() == 0) {
        c.error(v, p, "expected a non-empty list of conditions");
        return;
      }
      for (size_t i = 0; i < v.size(); ++i) {
        out->children.emplace_back();
        readCondition(c, v[i], p + "[" + std::to_string(i) + "]", &out->children.back(), depth + 1);
      }
    };
  };
  keys.push_back({"all", list("all")});
  keys.push_back({"any", list("any")});
  keys.push_back({"field", [&](const YAML::Node& v, const std::string& p) {
                    auto s = readString(c, v, p);
                    if (!s) return;
                    if (s->empty() || (*s)[0] != '/')
                      c.error(v, p, "must be a JSON pointer starting with '/', e.g. /totalAmount; got '" + *s + "'");
                    else
                      out->field = *s;
                  }});
  for (const std::string& op : kOps) {
    keys.push_back({op, [&c, out, op](const YAML::Node& v, const std::string& p) {
                      out->op = op;
                      if (op == "in" || op == "not_in") {
                        if (!v.IsSequence() || v.size() == 0) {
                          c.error(v, p, "expected a non-empty list of values, e.g. [A, B]");
                          return;
                        }
                        for (size_t i = 0; i < v.size(); ++i)
                          if (auto s = readString(c, v[i], p + "[" + std::to_string(i) + "]"))
                            out->values.push_back(*s);
                        return;
                      }
                      auto s = readString(c, v, p);
                      if (!s) return;
                      if (op != "eq" && op != "ne" && !Decimal::parse(*s).ok()) {
                        c.error(v, p, "'" + op + "' compares exact decimals; '" + *s + "' is not a number");
                        return;
                      }
                      out->value = *s;
                    }});
  }
  auto seen = readMap(c, n, path, keys);
  if (!seen) return;
  int ops = 0;
  for (const std::string& op : kOps) ops += seen->count(op);
  int groups = static_cast<int>(seen->count("all") + seen->count("any"));
  if (groups > 0) {
    if (ops > 0 || seen->count("field") || groups > 1)
      c.error(n, path, "'all' or 'any' stands alone: a condition is either a list of conditions or one comparison");
    return;
  }
  if (ops != 1) {
    c.error(n, path, ops == 0 ? "needs one comparison: " + join(kOps, ", ") + " (or all / any)"
                              : "one comparison per condition; use all: [...] for several");
    return;
  }
  if (!seen->count("field")) c.error(n, joinPath(path, "field"), "required: the JSON pointer to compare, e.g. /totalAmount");
}

}  // namespace

void readApproval(Ctx& c, const YAML::Node& n, const std::string& path, ApprovalConfig* a,
                  ApprovalMeta* meta) {
  meta->entry = c.where(n);
  std::string on_timeout_given;
  auto seen = readMap(
      c, n, path,
      {{"rules",
        [&](const YAML::Node& v, const std::string& p) {
          if (!v.IsSequence() || v.size() == 0) {
            c.error(v, p, "expected a non-empty list of rules, e.g. - {when: {field: /totalAmount, gt: \"100000\"}, via: gm_approval}");
            return;
          }
          for (size_t i = 0; i < v.size(); ++i) {
            const std::string rp = p + "[" + std::to_string(i) + "]";
            ApprovalRule rule;
            Where via_at = c.where(v[i]);
            auto keys = readMap(c, v[i], rp,
                                {{"name", nonEmptyStr(c, &rule.name)},
                                 {"when", [&](const YAML::Node& w, const std::string& wp) {
                                    readCondition(c, w, wp, &rule.when, 0);
                                  }},
                                 {"via", [&](const YAML::Node& w, const std::string& wp) {
                                    via_at = c.where(w);
                                    if (auto s = readString(c, w, wp)) rule.via = *s;
                                  }}});
            if (!keys) continue;
            if (!keys->count("when")) missing(c, v[i], rp, "when", "the condition, e.g. {field: /totalAmount, gt: \"100000\"}");
            if (!keys->count("via")) {
              missing(c, v[i], rp, "via", "the route that submits the approval request");
              continue;
            }
            a->rules.push_back(std::move(rule));
            meta->via.push_back(via_at);
          }
        }},
       {"timeout", millis(c, &a->timeout_ms, 1000)},
       {"on_timeout", oneOf(c, &a->on_timeout, {"expire", "escalate"})},
       {"escalate_via",
        [&](const YAML::Node& v, const std::string& p) {
          meta->escalate_via = c.where(v);
          if (auto s = readString(c, v, p)) a->escalate_via = *s;
        }},
       {"on_rejected",
        [&](const YAML::Node& v, const std::string& p) {
          meta->on_rejected = c.where(v);
          if (auto s = readString(c, v, p)) a->on_rejected = *s;
        }},
       {"poll", millis(c, &a->poll_ms, 1000)}});
  if (!seen) return;
  if (!seen->count("rules")) c.error(n, joinPath(path, "rules"), "required: at least one rule");
  if (a->on_timeout == "escalate") {
    if (!seen->count("timeout"))
      c.error(n, joinPath(path, "timeout"), "on_timeout: escalate needs a timeout (e.g. 48h)");
    if (!seen->count("escalate_via"))
      c.error(n, joinPath(path, "escalate_via"), "on_timeout: escalate needs the route to escalate to");
  } else if (seen->count("escalate_via")) {
    c.errorAt(meta->escalate_via, joinPath(path, "escalate_via"), "only used with on_timeout: escalate");
  }
}

// Every route an approval names exists and takes records from ingest; a gate never submits
// through its own route.
void checkApprovals(Ctx& c, const Config& cfg, const std::map<std::string, RouteMeta>& metas,
                    const std::function<std::string(const std::string&)>& no_such_route) {
  for (const auto& [route_name, r] : cfg.routes) {
    const std::string& name = route_name;  // a lambda below uses it (clang 14: no binding capture)
    if (!r.approval.enabled()) continue;
    const ApprovalMeta& m = metas.at(name).approval;
    const std::string base = "routes." + name + ".approval";
    auto check = [&](const std::string& target, const Where& at, const std::string& path) {
      auto it = cfg.routes.find(target);
      if (target.empty()) {
        c.errorAt(at, path, "must name a route");
      } else if (it == cfg.routes.end()) {
        c.errorAt(at, path, no_such_route(target));
      } else if (target == name) {
        c.errorAt(at, path, "a route cannot take its own approval requests");
      } else if (it->second.source != "ingest") {
        c.errorAt(at, path, "route '" + target + "' reads from connector '" + it->second.source +
                                "'; a route fed by the approval gate takes records from \"ingest\"");
      } else if (it->second.approval.enabled()) {
        c.errorAt(at, path, "route '" + target + "' has an approval gate of its own; approval requests are not gated");
      }
    };
    for (size_t i = 0; i < r.approval.rules.size() && i < m.via.size(); ++i)
      check(r.approval.rules[i].via, m.via[i], base + ".rules[" + std::to_string(i) + "].via");
    if (!r.approval.escalate_via.empty() || m.escalate_via.line != 0)
      check(r.approval.escalate_via, m.escalate_via, base + ".escalate_via");
    if (!r.approval.on_rejected.empty() || m.on_rejected.line != 0)
      check(r.approval.on_rejected, m.on_rejected, base + ".on_rejected");
  }
}

}  // namespace detail
}  // namespace qiao::config
