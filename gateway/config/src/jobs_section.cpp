// `jobs:` entries and the `reconciliation:` section.
#include <algorithm>

#include "handlers.h"
#include "qiao/core/cron.h"
#include "sections.h"

namespace qiao::config::detail {
namespace {

// A bare file name: no folder parts, so a pattern cannot write outside its folder.
bool plainFileName(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s.find('\\') == std::string::npos &&
         s.find("..") == std::string::npos;
}

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

Handler jsonPointer(Ctx& c, std::string* dst, const char* example) {
  return [&c, dst, example](const YAML::Node& v, const std::string& p) {
    auto s = readString(c, v, p);
    if (!s) return;
    if (!s->empty() && (*s)[0] != '/')
      c.error(v, p, "must be a JSON pointer starting with '/', e.g. " + std::string(example) +
                        "; got '" + v.Scalar() + "'");
    else
      *dst = *s;
  };
}

Handler decimalText(Ctx& c, std::string* dst) {
  return [&c, dst](const YAML::Node& v, const std::string& p) {
    auto s = readString(c, v, p);
    if (!s) return;
    bool ok = !s->empty();
    int dots = 0;
    for (char ch : *s) {
      if (ch == '.') ++dots;
      else if (ch < '0' || ch > '9') ok = false;
    }
    if (!ok || dots > 1) c.error(v, p, "must be a non-negative decimal like 10 or 0.5; got '" + *s + "'");
    else *dst = *s;
  };
}

void readColumns(Ctx& c, const YAML::Node& v, const std::string& p, JobConfig* j, JobMeta* meta) {
  meta->columns = c.where(v);
  if (!v.IsSequence()) {
    c.error(v, p, "expected a list of columns like {header: 订单编号, pointer: /orderId}");
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    std::string cp = p + "[" + std::to_string(i) + "]";
    ExportColumnConfig col;
    auto seen = readMap(c, v[i], cp,
                        {{"header", nonEmptyStr(c, &col.header)},
                         {"pointer", jsonPointer(c, &col.pointer, "/orderId")},
                         {"kind", oneOf(c, &col.kind, {"text", "number", "decimal", "date", "datetime"})},
                         // The formats the workbook writer has (jobs/src/export_job.cpp).
                         {"number_format", oneOf(c, &col.number_format, {"0", "#,##0.00", "General"})},
                         {"width", [&](const YAML::Node& w, const std::string& wp) {
                            if (auto d = readNumber(c, w, wp, 0)) col.width = *d;
                          }}});
    if (!seen) continue;
    if (!seen->count("header")) c.error(v[i], cp + ".header", "required: the column's header text");
    if (!seen->count("pointer")) c.error(v[i], cp + ".pointer", "required: where in the row, e.g. /orderId");
    j->columns.push_back(std::move(col));
  }
}

}  // namespace

void readJob(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
             JobConfig* j, JobMeta* meta) {
  meta->entry = c.where(key);
  auto where = [&](Where* w, Handler h) {
    return [&c, w, h](const YAML::Node& v, const std::string& p) {
      *w = c.where(v);
      h(v, p);
    };
  };
  auto seen = readMap(
      c, n, path,
      {{"type", where(&meta->type, oneOf(c, &j->type, {"import", "export", "reconcile", "recon_report"}))},
       {"cron",
        [&](const YAML::Node& v, const std::string& p) {
          auto text = readString(c, v, p);
          if (!text) return;
          auto parsed = parseCron(*text);
          if (!parsed.ok())
            c.error(v, p, "invalid cron expression '" + v.Scalar() + "': " + parsed.error().message);
          else
            j->cron = *text;
        }},
       {"timezone",
        [&](const YAML::Node& v, const std::string& p) {
          meta->has_timezone = true;
          if (auto tz = readTimezone(c, v, p)) j->timezone = *tz;
        }},
       {"missed", oneOf(c, &j->missed, {"skip", "run_once"})},
       {"folder", where(&meta->folder, nonEmptyStr(c, &j->folder))},
       {"mapping", where(&meta->mapping, nonEmptyStr(c, &j->mapping))},
       {"route", where(&meta->route, nonEmptyStr(c, &j->route))},
       {"patterns",
        [&](const YAML::Node& v, const std::string& p) {
          std::vector<std::string> out;
          if (v.IsScalar()) {
            out.push_back(v.Scalar());
          } else if (v.IsSequence()) {
            for (size_t i = 0; i < v.size(); ++i)
              if (auto s = readString(c, v[i], p + "[" + std::to_string(i) + "]")) out.push_back(*s);
          } else {
            c.error(v, p, "expected a file pattern or a list of them, e.g. [\"*.xlsx\", \"*.csv\"]");
            return;
          }
          for (const auto& s : out)
            if (!plainFileName(s)) c.error(v, p, "a pattern names files in the folder: no '/' or '..'; got '" + s + "'");
          j->patterns = out;
        }},
       {"archive_folder", nonEmptyStr(c, &j->archive_folder)},
       {"sheet", str(c, &j->sheet)},
       {"header_row", integer(c, &j->header_row, 0, 1000000)},
       {"encoding", oneOf(c, &j->encoding, {"auto", "utf-8", "gb18030", "gbk"})},
       {"delimiter", oneOf(c, &j->delimiter, {"auto", "comma", "semicolon", "tab"})},
       {"group", jsonPointer(c, &j->group, "/lines")},
       {"min_file_age", millis(c, &j->min_file_age_ms, 0)},
       {"rows", oneOf(c, &j->rows, {"route_messages", "dead_letters", "recon_orders", "recon_payments"})},
       {"status", oneOf(c, &j->status, {"pending", "delivered", "dead"})},
       {"file_pattern",
        [&](const YAML::Node& v, const std::string& p) {
          meta->file_pattern = c.where(v);
          auto s = readString(c, v, p);
          if (!s) return;
          if (!plainFileName(*s))
            c.error(v, p, "a file name in the folder: no '/' or '..'; got '" + *s + "'");
          else if (!endsWith(*s, ".xlsx") && !endsWith(*s, ".csv"))
            c.error(v, p, "must end in .xlsx or .csv; got '" + *s + "'");
          else
            j->file_pattern = *s;
        }},
       {"ungroup", jsonPointer(c, &j->ungroup, "/lines")},
       {"sheet_name", nonEmptyStr(c, &j->sheet_name)},
       {"columns", [&](const YAML::Node& v, const std::string& p) { readColumns(c, v, p, j, meta); }}});
  if (!seen) return;
  if (!seen->count("type")) {
    missing(c, key, path, "type", "import, export, reconcile or recon_report");
    return;
  }
  auto need = [&](const char* k, const char* hint) {
    if (!seen->count(k)) missing(c, key, path, k, hint);
  };
  if (j->type == "import") {
    need("folder", "the drop folder");
    need("mapping", "the mapping from a sheet row to a record, e.g. excel_orders");
    need("route", "the route the records go to");
  } else if (j->type == "export") {
    need("folder", "the outbox folder");
    need("file_pattern", "the file name, e.g. 订单-{date}.xlsx");
    if (!seen->count("columns") && !seen->count("mapping"))
      c.error(key, path, "an export needs columns: or a mapping: to know its columns");
  } else if (j->type == "recon_report") {
    need("folder", "the outbox folder for the report workbook");
    if (j->file_pattern.empty()) j->file_pattern = "回款核销-{date}.xlsx";
  }
}

void readReconciliation(Ctx& c, const YAML::Node& n, ReconciliationConfig* r) {
  r->enabled = true;
  readMap(c, n, "reconciliation",
          {{"enabled", boolean(c, &r->enabled)},
           {"rules",
            [&](const YAML::Node& v, const std::string& p) {
              static const std::vector<std::string> kRules = {"reference", "exact_amount",
                                                              "tolerance_amount", "oldest_first"};
              if (!v.IsSequence()) {
                c.error(v, p, "expected a list of rules in the order they are tried");
                return;
              }
              std::vector<std::string> out;
              for (size_t i = 0; i < v.size(); ++i) {
                std::string ip = p + "[" + std::to_string(i) + "]";
                auto s = readEnum(c, v[i], ip, kRules);
                if (!s) continue;
                if (std::find(out.begin(), out.end(), *s) != out.end())
                  c.error(v[i], ip, "rule '" + *s + "' is listed twice");
                else
                  out.push_back(*s);
              }
              r->rules = out;
            }},
           {"tolerance",
            [&](const YAML::Node& v, const std::string& p) {
              r->tolerance_absolute.clear();
              readMap(c, v, p,
                      {{"absolute", decimalText(c, &r->tolerance_absolute)},
                       {"percent", decimalText(c, &r->tolerance_percent)}});
            }},
           {"status_route",
            [&](const YAML::Node& v, const std::string& p) {
              if (!v.IsSequence()) {
                std::string one;
                nonEmptyStr(c, &one)(v, p);
                if (!one.empty()) r->status_routes.push_back(one);
                return;
              }
              if (v.size() == 0) c.error(v, p, "an empty list; name at least one route or leave status_route out");
              for (size_t i = 0; i < v.size(); ++i) {
                std::string one;
                nonEmptyStr(c, &one)(v[i], p + "[" + std::to_string(i) + "]");
                if (!one.empty()) r->status_routes.push_back(one);
              }
            }},
           {"customer_entity", nonEmptyStr(c, &r->customer_entity)},
           {"customer_system", nonEmptyStr(c, &r->customer_system)}});
}

}  // namespace qiao::config::detail
