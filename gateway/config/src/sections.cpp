#include "sections.h"

#include <climits>

#include "handlers.h"
#include "qiao/core/cron.h"

namespace qiao::config::detail {
void readGateway(Ctx& c, const YAML::Node& n, GatewayConfig* g) {
  readMap(c, n, "gateway",
          {{"instance_name", nonEmptyStr(c, &g->instance_name)},
           {"data_dir", nonEmptyStr(c, &g->data_dir)},
           {"timezone",
            [&c, g](const YAML::Node& v, const std::string& p) {
              if (auto tz = readTimezone(c, v, p)) g->timezone = *tz;
            }},
           {"log_level", oneOf(c, &g->log_level, {"debug", "info", "warn", "error"})},
           {"log_file", str(c, &g->log_file)},
           {"plugins_dir", str(c, &g->plugins_dir)},
           {"mappings_dir", nonEmptyStr(c, &g->mappings_dir)},
           {"workers", integer(c, &g->workers, 1, 1024)},
           {"drain_timeout_ms", millis(c, &g->drain_timeout_ms, 0)}});
}

void readServer(Ctx& c, const YAML::Node& n, ServerConfig* s) {
  readMap(c, n, "server",
          {{"host", nonEmptyStr(c, &s->host)},
           {"port", integer(c, &s->port, 0, 65535)},
           {"max_body_bytes", integer(c, &s->max_body_bytes, 1, INT64_MAX)},
           {"max_upload_bytes", integer(c, &s->max_upload_bytes, 1, INT64_MAX)},
           {"max_threads", integer(c, &s->max_threads, 1, 4096)}});
}

void readStore(Ctx& c, const YAML::Node& n, StoreConfig* s, bool* path_set) {
  readMap(c, n, "store",
          {{"driver",
            [&c, s](const YAML::Node& v, const std::string& p) {
              if (v.IsScalar() && v.Scalar() == "postgres") {
                c.error(v, p, "driver 'postgres' is not supported yet; allowed: sqlite");
                return;
              }
              if (auto d = readEnum(c, v, p, {"sqlite"})) s->driver = *d;
            }},
           {"path",
            [&c, s, path_set](const YAML::Node& v, const std::string& p) {
              auto str = readString(c, v, p);
              if (!str) return;
              if (str->empty()) {
                c.error(v, p, "must not be empty");
                return;
              }
              s->path = *str;
              *path_set = true;
            }},
           {"busy_timeout_ms", millis(c, &s->busy_timeout_ms, 0)},
           {"lease_ms", millis(c, &s->lease_ms, 1000)},
           {"synchronous", oneOf(c, &s->synchronous, {"full", "normal"})}});
}

void readSecurity(Ctx& c, const YAML::Node& n, SecurityConfig* s) {
  readMap(c, n, "security",
          {{"bootstrap_admin_key",
            [&c, s](const YAML::Node& v, const std::string& p) {
              if (auto k = readSecret(c, v, p)) s->bootstrap_admin_key = *k;
            }},
           {"require_auth", boolean(c, &s->require_auth)}});
}

namespace {

std::optional<std::string> readPointer(Ctx& c, const YAML::Node& v, const std::string& p,
                                       const char* example) {
  auto s = readString(c, v, p);
  if (!s) return std::nullopt;
  if (!s->empty() && (*s)[0] != '/') {
    c.error(v, p, "must be a JSON pointer starting with '/', e.g. " + std::string(example) +
                      "; got '" + v.Scalar() + "'");
    return std::nullopt;
  }
  return s;
}

void readXrefRule(Ctx& c, const YAML::Node& n, const std::string& path, XrefRule* x) {
  auto seen = readMap(
      c, n, path,
      {{"entity", [&](const YAML::Node& v, const std::string& p) {
          if (auto s = readString(c, v, p)) x->entity = *s;
        }},
       {"system", [&](const YAML::Node& v, const std::string& p) {
          if (auto s = readString(c, v, p)) x->system = *s;
        }},
       {"local", [&](const YAML::Node& v, const std::string& p) {
          if (auto s = readPointer(c, v, p, "/orderId")) x->local = *s;
        }},
       {"remote_id", [&](const YAML::Node& v, const std::string& p) {
          if (auto s = readPointer(c, v, p, "/Id")) x->remote_id = *s;
        }},
       {"remote_number", [&](const YAML::Node& v, const std::string& p) {
          if (auto s = readPointer(c, v, p, "/Number")) x->remote_number = *s;
        }}});
  if (!seen) return;
  if (x->entity.empty()) c.error(n, path + ".entity", "required: the entity, e.g. order");
  if (x->system.empty()) c.error(n, path + ".system", "required: the other system, e.g. k3cloud");
  if (x->remote_id.empty()) c.error(n, path + ".remote_id", "must not be empty");
}

void readOnDelivered(Ctx& c, const YAML::Node& n, const std::string& path, OnDelivered* od,
                     RouteMeta* meta) {
  readMap(c, n, path,
          {{"xref",
            [&](const YAML::Node& v, const std::string& p) {
              if (v.IsSequence()) {
                for (size_t i = 0; i < v.size(); ++i) {
                  od->xref.emplace_back();
                  readXrefRule(c, v[i], p + "[" + std::to_string(i) + "]", &od->xref.back());
                }
              } else {
                od->xref.emplace_back();
                readXrefRule(c, v, p, &od->xref.back());
              }
            }},
           {"then", [&](const YAML::Node& v, const std::string& p) {
              meta->then = c.where(v);
              if (v.IsSequence()) {  // then: [status_to_crm, notify_sales]
                for (size_t i = 0; i < v.size(); ++i) {
                  meta->then_items.push_back(c.where(v[i]));
                  if (auto s = readString(c, v[i], p + "[" + std::to_string(i) + "]")) od->then.push_back(*s);
                }
                if (v.size() == 0) c.error(v, p, "an empty list; name at least one route or leave then out");
              } else if (auto s = readString(c, v, p)) {
                od->then.push_back(*s);
              }
            }}});
}

}  // namespace

void readRoute(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
               RouteConfig* r, RouteMeta* meta) {
  meta->entry = c.where(key);
  auto seen = readMap(
      c, n, path,
      {{"source",
        [&](const YAML::Node& v, const std::string& p) {
          meta->source = c.where(v);
          if (auto s = readString(c, v, p)) r->source = *s;
        }},
       {"sink",
        [&](const YAML::Node& v, const std::string& p) {
          meta->sink = c.where(v);
          if (auto s = readString(c, v, p)) r->sink = *s;
        }},
       {"mapping",
        [&](const YAML::Node& v, const std::string& p) {
          meta->mapping = c.where(v);
          if (auto s = readString(c, v, p)) r->mapping = *s == "identity" ? "" : *s;
        }},
       {"mapping_direction", oneOf(c, &r->mapping_direction, {"auto", "forward", "reverse"})},
       {"entity", nonEmptyStr(c, &r->entity)},
       {"business_key",
        [&](const YAML::Node& v, const std::string& p) {
          auto s = readString(c, v, p);
          if (!s) return;
          if (!s->empty() && (*s)[0] != '/')
            c.error(v, p, "must be a JSON pointer starting with '/', e.g. /orderId; got '" +
                              v.Scalar() + "'");
          else
            r->business_key = *s;
        }},
       {"ordered", boolean(c, &r->ordered)},
       {"on_delivered",
        [&](const YAML::Node& v, const std::string& p) {
          readOnDelivered(c, v, p, &r->on_delivered, meta);
        }},
       {"approval",
        [&](const YAML::Node& v, const std::string& p) {
          readApproval(c, v, p, &r->approval, &meta->approval);
        }},
       {"retry", [&](const YAML::Node& v, const std::string& p) {
          bool max_given = false;
          auto keys = readMap(c, v, p,
                              {{"max_attempts", integer(c, &r->retry.max_attempts, 1, 1000000)},
                               {"initial_backoff_ms", millis(c, &r->retry.initial_backoff_ms, 1)},
                               {"max_backoff_ms",
                                [&](const YAML::Node& mv, const std::string& mp) {
                                  max_given = true;
                                  millis(c, &r->retry.max_backoff_ms, 1)(mv, mp);
                                  if (r->retry.max_backoff_ms < r->retry.initial_backoff_ms)
                                    c.error(mv, mp,
                                            "must be at least initial_backoff_ms (" +
                                                std::to_string(r->retry.initial_backoff_ms) +
                                                "ms)");
                                }}});
          if (keys && !max_given && r->retry.max_backoff_ms < r->retry.initial_backoff_ms)
            c.error(v, joinPath(p, "initial_backoff_ms"),
                    "must not exceed max_backoff_ms (" +
                        std::to_string(r->retry.max_backoff_ms) + "ms)");
        }}});
  if (seen && !seen->count("sink")) missing(c, key, path, "sink", "the sink connector's name");
}

void readSchedule(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
                  ScheduleConfig* s, ScheduleMeta* meta) {
  meta->entry = c.where(key);
  auto seen = readMap(c, n, path,
                      {{"cron",
                        [&](const YAML::Node& v, const std::string& p) {
                          auto text = readString(c, v, p);
                          if (!text) return;
                          auto parsed = parseCron(*text);
                          if (!parsed.ok())
                            c.error(v, p, "invalid cron expression '" + v.Scalar() +
                                              "': " + parsed.error().message);
                          else
                            s->cron = *text;
                        }},
                       {"timezone",
                        [&](const YAML::Node& v, const std::string& p) {
                          meta->has_timezone = true;
                          if (auto tz = readTimezone(c, v, p)) s->timezone = *tz;
                        }},
                       {"route", [&](const YAML::Node& v, const std::string& p) {
                          meta->route = c.where(v);
                          if (auto r = readString(c, v, p)) s->route = *r;
                        }},
                       {"missed", oneOf(c, &s->missed, {"skip", "run_once"})}});
  if (!seen) return;
  if (!seen->count("cron"))
    missing(c, key, path, "cron", "5 fields like \"*/5 * * * *\", or 6 with seconds first");
  if (!seen->count("route")) missing(c, key, path, "route", "the route whose source to poll");
}

}  // namespace qiao::config::detail
