#include "k3_pull.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "k3_sink.h"
#include "qiao/sdk/pull_settings.h"

namespace qiao::connectors::k3cloud {
namespace {

using nlohmann::json;
using sdk::FieldSpec;
using sdk::FieldType;

bool isKey(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '_' && c != '.') return false;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool isMultilingual(const json& v) {
  if (!v.is_array() || v.empty()) return false;
  for (const auto& e : v)
    if (!e.is_object() || !e.contains("Key") || !e.contains("Value")) return false;
  return true;
}

json convertObject(const json& obj, const std::string& id_key, int lcid);

json convertValue(const json& v, int lcid) {
  if (v.is_object()) {
    if (v.contains("Number")) return json{{"FNumber", v["Number"]}};  // base-data reference
    return convertObject(v, "FID", lcid);
  }
  if (isMultilingual(v)) {
    for (const auto& e : v)
      if (e["Key"].is_number_integer() && e["Key"].get<int64_t>() == lcid) return e["Value"];
    return v[0]["Value"];
  }
  if (v.is_array()) {
    json rows = json::array();
    for (const auto& row : v)
      rows.push_back(row.is_object() ? convertObject(row, "FEntryID", lcid) : row);
    return rows;
  }
  return v;
}

json convertObject(const json& obj, const std::string& id_key, int lcid) {
  json out = json::object();
  for (const auto& [k, v] : obj.items()) {
    if (k == "Id") {
      out[id_key] = v;
      continue;
    }
    // "CONTACTUNIT_Id" beside "CONTACTUNIT": the reference's id, already inside it.
    if (k.size() > 3 && k.compare(k.size() - 3, 3, "_Id") == 0 &&
        obj.contains(k.substr(0, k.size() - 3)))
      continue;
    std::string key = k.rfind("F_", 0) == 0 ? k : "F" + k;
    out[key] = convertValue(v, lcid);
  }
  return out;
}

}  // namespace

std::vector<FieldSpec> pullFieldSpecs() {
  std::vector<FieldSpec> f;
  auto add = [&f](std::string name, FieldType t, bool req, std::string def,
                  std::vector<std::string> allowed, std::string desc, std::string example) {
    f.push_back({std::move(name), t, req, std::move(def), std::move(allowed), std::move(desc),
                 std::move(example), {}});
  };
  add("form_id", FieldType::kString, true, "", {}, "Form to pull incrementally.", "AR_RECEIVEBILL");
  add("modified_field", FieldType::kString, false, "FModifyDate", {},
      "Header datetime field the watermark follows.", "FModifyDate");
  add("key_field", FieldType::kString, false, "", {},
      "The form's key field; default FID (FCUSTID for BD_Customer, FMATERIALID for BD_MATERIAL).",
      "FCUSTID");
  add("number_field", FieldType::kString, false, "", {},
      "Field whose value is the record's business key; default FBillNo (FNumber for base data).",
      "FBillNo");
  add("filter", FieldType::kString, false, "", {},
      "Extra FilterString, AND-ed with the watermark condition.", "FDOCUMENTSTATUS = 'C'");
  add("overlap", FieldType::kDuration, false, "5m", {},
      "Window re-read before the watermark (clock skew, late commits); what was already "
      "emitted in it is skipped.",
      "10m");
  add("page_size", FieldType::kInt, false, "2000", {},
      "ExecuteBillQuery Limit (1-10000; older builds cap it at 2000).", "5000");
  add("shape", FieldType::kEnum, false, "model", {"model", "rows"},
      "model: one record per bill, View's object in the Save-Model shape; rows: the query row "
      "keyed by field_keys.",
      "rows");
  add("field_keys", FieldType::kStringList, false, "", {},
      "shape rows: header field keys to read (one row per bill).", "[FID, FBillNo, FDATE]");
  add("entity", FieldType::kString, false, "", {}, "Entity of the records; default the form id.",
      "payment");
  add("envelope", FieldType::kEnum, false, "model", {"model", "save"},
      "shape model: the bare Model, or a Save body {formid, data: {Model}} (what the reverse of "
      "a CRM → K/3 mapping reads).",
      "save");
  add("max_seen", FieldType::kInt, false, "5000", {},
      "Most (id, modify time) pairs the watermark keeps (100-100000); set it above the bills "
      "changed within one overlap window.",
      "20000");
  return f;
}

Result<PullConfig> parsePullConfig(const std::string& text) {
  auto fail = [](const std::string& msg) {
    return Error::permanent(ErrorCode::kConfigInvalid, "k3cloud source: " + msg);
  };
  json j = json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("settings are not a JSON object");
  auto it = j.find("pull");
  if (it == j.end() || !it->is_object())
    return fail("'pull' is required to use k3cloud as a source (pull: {form_id: AR_RECEIVEBILL, "
                "...})");
  const json& p = *it;
  PullConfig c;
  sdk::PullSettingsReader read(p);
  std::vector<std::string>& problems = read.problems();
  std::string shape = "model", envelope = "model";
  read.str("form_id", &c.form_id);
  read.str("modified_field", &c.modified_field);
  read.str("key_field", &c.key_field);
  read.str("number_field", &c.number_field);
  read.str("filter", &c.filter);
  read.str("shape", &shape);
  read.str("entity", &c.entity);
  read.str("envelope", &envelope);
  read.integer("page_size", 1, 10000, &c.page_size);
  read.integer("max_seen", 100, 100000, &c.max_seen);
  read.duration("overlap", "5m", &c.overlap_ms);
  if (auto v = p.find("field_keys"); v != p.end() && !v->is_null()) {
    if (!v->is_array()) problems.push_back("pull.field_keys must be a list of field keys");
    else
      for (const auto& k : *v) {
        if (!k.is_string() || !isKey(k.get<std::string>())) {
          problems.push_back("pull.field_keys entries must be field keys such as \"FBillNo\"");
          break;
        }
        c.field_keys.push_back(k.get<std::string>());
      }
  }
  read.rejectUnknown({"form_id", "modified_field", "key_field", "number_field", "filter", "overlap",
                      "page_size", "shape", "field_keys", "entity", "envelope", "max_seen"});
  if (c.form_id.empty()) problems.push_back("pull.form_id is required (e.g. AR_RECEIVEBILL)");
  else if (!isKey(c.form_id)) problems.push_back("pull.form_id must be a form id such as AR_RECEIVEBILL");
  for (auto [name, value] : {std::pair{"modified_field", &c.modified_field},
                             std::pair{"key_field", &c.key_field},
                             std::pair{"number_field", &c.number_field}})
    if (!value->empty() && !isKey(*value))
      problems.push_back(std::string("pull.") + name + " must be a field key");
  if (c.modified_field.empty()) problems.push_back("pull.modified_field must not be empty");
  if (shape == "model") c.shape = PullShape::kModel;
  else if (shape == "rows") c.shape = PullShape::kRows;
  else problems.push_back("pull.shape must be model or rows (got '" + shape + "')");
  if (envelope == "model") c.save_envelope = false;
  else if (envelope == "save") c.save_envelope = true;
  else problems.push_back("pull.envelope must be model or save (got '" + envelope + "')");
  if (c.shape == PullShape::kRows && c.field_keys.empty())
    problems.push_back("pull.field_keys is required when pull.shape is rows");
  for (char ch : c.filter)
    if (static_cast<unsigned char>(ch) < 32 && ch != '\t') {
      problems.push_back("pull.filter contains a control character");
      break;
    }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& s : problems) msg += (msg.empty() ? "" : "; ") + s;
    return fail(msg);
  }
  LookupFields defaults = lookupFieldsFor(c.form_id);
  if (c.key_field.empty()) c.key_field = defaults.id;
  if (c.number_field.empty()) c.number_field = defaults.number;
  if (c.entity.empty()) c.entity = c.form_id;
  return c;
}

std::optional<int64_t> parseK3Time(std::string_view t) {
  auto num = [&](size_t from, size_t n, int64_t* out) {
    if (from + n > t.size()) return false;
    int64_t v = 0;
    for (size_t i = from; i < from + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int64_t y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
  if (t.size() < 10 || !num(0, 4, &y) || t[4] != '-' || !num(5, 2, &mo) || t[7] != '-' ||
      !num(8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
    return std::nullopt;
  if (t.size() > 10) {
    if ((t[10] != ' ' && t[10] != 'T') || !num(11, 2, &h) || t.size() < 16 || t[13] != ':' ||
        !num(14, 2, &mi) || h > 23 || mi > 59)
      return std::nullopt;
    if (t.size() > 16) {
      if (t[16] != ':' || !num(17, 2, &s) || s > 59) return std::nullopt;
      if (t.size() > 19) {
        if (t[19] != '.' || t.size() == 20) return std::nullopt;
        int64_t scale = 100;
        for (size_t i = 20; i < t.size(); ++i) {
          if (!std::isdigit(static_cast<unsigned char>(t[i]))) return std::nullopt;
          ms += (t[i] - '0') * scale;  // digits past milliseconds are dropped
          scale /= 10;
        }
      }
    }
  }
  int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60'000 + s * 1000 + ms;
}

std::string canonicalK3Time(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
  int64_t rest = ms - days * 86'400'000;
  int64_t y;
  unsigned m, d;
  civilFromDays(days, &y, &m, &d);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lld",
                static_cast<long long>(y), m, d, static_cast<long long>(rest / 3'600'000),
                static_cast<long long>(rest / 60'000 % 60), static_cast<long long>(rest / 1000 % 60),
                static_cast<long long>(rest % 1000));
  return buf;
}

std::string filterK3Time(int64_t ms) {
  std::string c = canonicalK3Time(ms);
  c[10] = ' ';
  return c.substr(0, 19);
}

bool IdOrder::operator()(const std::string& a, const std::string& b) const {
  auto digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (digits(a) && digits(b) && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::optional<int64_t> PullWatermark::lowerBoundMs(int64_t overlap_ms) const {
  auto newest_ms = parseK3Time(newest);
  if (!newest_ms) return std::nullopt;
  int64_t v = *newest_ms - overlap_ms;
  if (auto floor_ms = parseK3Time(floor_time)) v = std::max(v, *floor_ms);
  return v - ((v % 1000) + 1000) % 1000;  // floored to the second, as the filter literal
}

bool PullWatermark::contains(const std::string& id, const std::string& mtime) const {
  if (!floor_time.empty() &&
      (mtime < floor_time || (mtime == floor_time && !IdOrder()(floor_id, id))))
    return true;
  return seen.contains(id, mtime);
}

void PullWatermark::add(const std::string& id, const std::string& mtime) {
  seen.add(id, mtime);
  if (newest.empty() || mtime > newest) newest = mtime;
}

size_t PullWatermark::seenCount() const { return seen.count(); }

size_t PullWatermark::prune(int64_t overlap_ms, size_t cap) {
  if (auto lower = lowerBoundMs(overlap_ms)) {
    std::string bound = canonicalK3Time(*lower);
    seen.forgetBefore(bound);
    if (!floor_time.empty() && floor_time < bound) {
      floor_time.clear();
      floor_id.clear();
    }
  }
  return seen.capByPair(cap, &floor_time, &floor_id);
}

Result<PullWatermark> decodePullWatermark(const std::string& text, const std::string& form) {
  PullWatermark wm;
  wm.form = form;
  if (text.empty()) return wm;
  auto bad = [&](const std::string& why) {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "k3cloud source: the stored watermark " + why +
                                "; reset the route's watermark to pull " + form + " from the start");
  };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("v", 0) != 1)
    return bad("is not a k3cloud pull watermark (version 1)");
  if (!j.contains("form") || !j["form"].is_string() || j["form"].get<std::string>() != form)
    return bad("belongs to form '" + (j.contains("form") && j["form"].is_string()
                                          ? j["form"].get<std::string>()
                                          : std::string("?")) +
               "', not " + form);
  if (j.contains("newest")) {
    if (!j["newest"].is_string()) return bad("has a 'newest' that is not text");
    wm.newest = j["newest"].get<std::string>();
    if (!wm.newest.empty() && !parseK3Time(wm.newest)) return bad("has an unreadable 'newest' time");
  }
  if (j.contains("floor")) {
    const json& f = j["floor"];
    if (!f.is_object() || !f.contains("t") || !f["t"].is_string() || !f.contains("id") ||
        !f["id"].is_string() || f["id"].get<std::string>().empty() ||
        !parseK3Time(f["t"].get<std::string>()))
      return bad("has an unreadable 'floor'");
    wm.floor_time = f["t"].get<std::string>();
    wm.floor_id = f["id"].get<std::string>();
  }
  if (j.contains("seen")) {
    if (!j["seen"].is_object()) return bad("has a 'seen' that is not an object");
    for (const auto& [mtime, ids] : j["seen"].items()) {
      if (!ids.is_array()) return bad("has a 'seen' entry that is not a list");
      for (const auto& id : ids) {
        if (!id.is_string()) return bad("has a 'seen' id that is not text");
        wm.seen.add(id.get<std::string>(), mtime);
      }
    }
  }
  return wm;
}

std::string encodePullWatermark(const PullWatermark& wm) {
  json seen = json::object();
  for (const auto& [mtime, ids] : wm.seen)
    if (!ids.empty()) seen[mtime] = ids;
  json out{{"v", 1}, {"form", wm.form}, {"newest", wm.newest}, {"seen", std::move(seen)}};
  if (!wm.floor_time.empty()) out["floor"] = {{"t", wm.floor_time}, {"id", wm.floor_id}};
  return out.dump();
}

json viewToModel(const json& view, const std::string& key_field, int lcid) {
  if (!view.is_object()) return view;
  return convertObject(view, key_field, lcid);
}

}  // namespace qiao::connectors::k3cloud
