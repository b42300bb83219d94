// The `sync:` section: two-way customer sync (docs/sync.md "Running it in the gateway").
//
//   sync:
//     fields: [name, taxRegisterCode, phone, address, grade]
//     owner: {grade: crm}
//     sides:
//       crm:     {route: crm_customer_put, create_route: crm_customer_post, on_delete: flag}
//       k3cloud: {route: k3_customer_save, mapping: crm_customer_to_k3_customer, ...}
#include <algorithm>
#include <set>

#include "handlers.h"
#include "sections.h"

namespace qiao::config::detail {
namespace {

Handler stringList(Ctx& c, std::vector<std::string>* dst) {
  return [&c, dst](const YAML::Node& v, const std::string& p) {
    if (!v.IsSequence()) {
      c.error(v, p, "expected a list of names");
      return;
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      std::string ip = p + "[" + std::to_string(i) + "]";
      auto s = readString(c, v[i], ip);
      if (!s) continue;
      if (s->empty()) c.error(v[i], ip, "must not be empty");
      else if (std::find(out.begin(), out.end(), *s) != out.end()) c.error(v[i], ip, "'" + *s + "' is listed twice");
      else out.push_back(*s);
    }
    *dst = std::move(out);
  };
}

Handler pointer(Ctx& c, std::string* dst) {
  return [&c, dst](const YAML::Node& v, const std::string& p) {
    auto s = readString(c, v, p);
    if (!s) return;
    if (!s->empty() && (*s)[0] != '/')
      c.error(v, p, "expected a JSON pointer starting with '/', e.g. /data/Model/FCUSTID; got '" + *s + "'");
    else
      *dst = *s;
  };
}

const std::vector<std::string> kPolicies = {"mirror", "flag", "ignore"};

void readSide(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
              SyncSideConfig* s) {
  auto seen = readMap(c, n, path,
                      {{"sources", stringList(c, &s->sources)},
                       {"route", nonEmptyStr(c, &s->route)},
                       {"create_route", nonEmptyStr(c, &s->create_route)},
                       {"mapping", nonEmptyStr(c, &s->mapping)},
                       {"id_path", pointer(c, &s->id_path)},
                       {"modified_path", pointer(c, &s->modified_path)},
                       {"created_id_path", pointer(c, &s->created_id_path)},
                       {"on_delete", oneOf(c, &s->on_delete, kPolicies)},
                       {"on_forbid", oneOf(c, &s->on_forbid, kPolicies)},
                       {"flag_field", str(c, &s->flag_field)},
                       {"carries", stringList(c, &s->carries)}});
  if (seen && !seen->count("route"))
    missing(c, key, path, "route", "the route that writes this side's customers");
  if (s->sources.empty()) s->sources = {s->name};
}

}  // namespace

void readSync(Ctx& c, const YAML::Node& n, SyncConfig* out, SyncMeta* meta) {
  out->enabled = true;
  meta->entry = c.where(n);
  auto seen = readMap(
      c, n, "sync",
      {{"enabled", boolean(c, &out->enabled)},
       {"fields", stringList(c, &out->fields)},
       {"json_fields", stringList(c, &out->json_fields)},
       {"create_unlinked", boolean(c, &out->create_unlinked)},
       {"first_sync", oneOf(c, &out->first_sync, {"required", "skip"})},
       {"batch_window", millis(c, &out->batch_window_ms, 0)},
       {"batch_max", integer(c, &out->batch_max, 1, 1000)},
       {"owner",
        [&](const YAML::Node& v, const std::string& p) {
          if (!v.IsMap()) {
            c.error(v, p, "expected a map of field -> owning side, e.g. {grade: crm}");
            return;
          }
          for (auto it = v.begin(); it != v.end(); ++it) {
            YAML::Node k = it->first;
            std::string field = k.IsScalar() ? k.Scalar() : "";
            auto side = readString(c, it->second, joinPath(p, field));
            if (!side) continue;
            out->owner[field] = *side;
            meta->owner[field] = c.where(it->second);
          }
        }},
       {"match",
        [&](const YAML::Node& v, const std::string& p) {
          readMap(c, v, p,
                  {{"tax_field", nonEmptyStr(c, &out->match_tax_field)},
                   {"name_field", nonEmptyStr(c, &out->match_name_field)},
                   {"phone_field", nonEmptyStr(c, &out->match_phone_field)},
                   {"review_name_only", boolean(c, &out->review_name_only)}});
        }},
       {"sides", [&](const YAML::Node& v, const std::string& p) {
          if (!v.IsMap()) {
            c.error(v, p, "expected a map of side names (crm, k3cloud, ...) to their settings");
            return;
          }
          for (auto it = v.begin(); it != v.end(); ++it) {
            YAML::Node k = it->first;
            std::string name = k.IsScalar() ? k.Scalar() : "";
            std::string sp = joinPath(p, name);
            if (!validName(name)) {
              c.error(k, sp, "side name '" + name + "' must use only letters, digits, '_', '-' or '.'");
              continue;
            }
            SyncSideConfig side;
            side.name = name;
            readSide(c, k, it->second, sp, &side);
            meta->sides[name] = c.where(k);
            out->sides.push_back(std::move(side));
          }
        }}});
  if (!seen || !out->enabled) return;
  if (!seen->count("fields")) c.error(n, "sync.fields", "required key 'fields' is missing (the canonical fields synced)");
  if (out->sides.size() < 2) c.error(n, "sync.sides", "needs at least two sides (e.g. crm and k3cloud)");
}

void checkSync(Ctx& c, const Config& cfg, const SyncMeta& meta,
               const std::function<std::string(const std::string&)>& mapping_problem) {
  const SyncConfig& s = cfg.sync;
  if (!s.enabled) return;
  std::set<std::string> side_names, fields(s.fields.begin(), s.fields.end());
  std::map<std::string, std::string> source_owner;
  for (const auto& side : s.sides) side_names.insert(side.name);
  for (const auto& side : s.sides) {
    const Where& at = meta.sides.count(side.name) ? meta.sides.at(side.name) : meta.entry;
    const std::string path = "sync.sides." + side.name;
    for (const std::string* route : {&side.route, &side.create_route}) {
      if (route->empty()) continue;
      const std::string rp = path + (route == &side.route ? ".route" : ".create_route");
      auto it = cfg.routes.find(*route);
      if (it == cfg.routes.end()) {
        c.errorAt(at, rp, "no route named '" + *route + "'");
        continue;
      }
      const RouteConfig& r = it->second;
      if (r.source != "ingest")
        c.errorAt(at, rp, "route '" + *route + "' must take records from \"ingest\" (the sync writes into it)");
      if (r.sink == kSyncSink)
        c.errorAt(at, rp, "route '" + *route + "' writes into the sync itself; name the route to the " + side.name + " system");
      if (!side.mapping.empty() && !r.mapping.empty())
        c.errorAt(at, rp, "route '" + *route + "' has a mapping and the side has mapping '" + side.mapping +
                              "': the sync maps its writes itself, drop one of them");
    }
    if (!side.mapping.empty()) {
      std::string problem = mapping_problem(side.mapping);
      if (!problem.empty()) c.errorAt(at, path + ".mapping", problem);
    }
    for (const auto& src : side.sources) {
      auto [it, fresh] = source_owner.emplace(src, side.name);
      if (!fresh)
        c.errorAt(at, path + ".sources", "source '" + src + "' is already side '" + it->second + "''s");
    }
    for (const auto& f : side.carries)
      if (!fields.count(f)) c.errorAt(at, path + ".carries", "'" + f + "' is not one of sync.fields");
    if (side.flag_field.empty() == false && fields.count(side.flag_field))
      c.errorAt(at, path + ".flag_field", "'" + side.flag_field + "' is a synced field; a flag must live outside them");
  }
  for (const auto& [field, side] : s.owner) {
    const Where& at = meta.owner.count(field) ? meta.owner.at(field) : meta.entry;
    if (!fields.count(field)) c.errorAt(at, "sync.owner." + field, "'" + field + "' is not one of sync.fields");
    if (!side_names.count(side)) c.errorAt(at, "sync.owner." + field, "no side named '" + side + "'");
  }
  for (const auto& f : s.json_fields)
    if (!fields.count(f)) c.errorAt(meta.entry, "sync.json_fields", "'" + f + "' is not one of sync.fields");
}

}  // namespace qiao::config::detail
