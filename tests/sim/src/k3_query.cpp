#include "k3_query.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>
#include <string_view>

#include "k3_forms.h"

namespace qiao::sim::k3 {
namespace {

constexpr int64_t kMaxLimit = 10000;

struct Column {
  enum Kind { kKey, kHeader, kEntry, kEntryId, kEntrySeq } kind = kHeader;
  std::string entity;  // sub-header or entry entity ("" = header)
  std::string field;
  std::string sub;  // after '.', e.g. FNumber
  const FieldDef* def = nullptr;
};

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::optional<Column> resolve(const FormStore& st, const std::string& key) {
  const FormDef& def = st.def;
  Column c;
  std::string base = key;
  if (auto dot = key.find('.'); dot != std::string::npos) {
    base = key.substr(0, dot);
    c.sub = key.substr(dot + 1);
  }
  if (iequals(base, def.key_field)) {
    c.kind = Column::kKey;
    return c;
  }
  for (const auto& e : def.entities) {
    if (!e.is_entry || base.size() <= e.key.size() + 1 ||
        !iequals(base.substr(0, e.key.size() + 1), e.key + "_"))
      continue;
    std::string rest = base.substr(e.key.size() + 1);
    c.entity = e.key;
    if (iequals(rest, "FEntryID")) {
      c.kind = Column::kEntryId;
      return c;
    }
    if (iequals(rest, "FSeq")) {
      c.kind = Column::kEntrySeq;
      return c;
    }
    c.def = e.field(rest);
    if (!c.def && rest.rfind("F_", 0) != 0) return std::nullopt;
    c.kind = Column::kEntry;
    c.field = c.def ? c.def->key : rest;
    return c;
  }
  const EntityDef* owner = nullptr;
  if ((c.def = def.headerField(base, &owner))) {
    c.kind = Column::kHeader;
    c.entity = owner->key;
    c.field = c.def->key;
    return c;
  }
  if ((c.def = def.entryField(base, &owner))) {
    c.kind = Column::kEntry;
    c.entity = owner->key;
    c.field = c.def->key;
    return c;
  }
  if (base.rfind("F_", 0) == 0 || st.seen_fields.count(lower(base))) {
    c.kind = Column::kHeader;
    c.field = base;
    return c;
  }
  return std::nullopt;
}

struct RowRef {
  const json* doc;
  const json* row;  // entry row of the query's entry entity, or null
};

class Evaluator {
 public:
  Evaluator(const Forms& forms, const FormStore& st, std::string entry_entity)
      : forms_(forms), st_(st), entry_(std::move(entry_entity)) {}

  json value(const Column& c, const RowRef& r) const {
    const json* v = nullptr;
    switch (c.kind) {
      case Column::kKey:
        v = findKey(*r.doc, st_.def.key_field);
        break;
      case Column::kEntryId:
      case Column::kEntrySeq:
        if (r.row && iequals(c.entity, entry_))
          v = findKey(*r.row, c.kind == Column::kEntryId ? "FEntryID" : "FSeq");
        break;
      case Column::kEntry:
        if (r.row && iequals(c.entity, entry_)) v = findKey(*r.row, c.field);
        break;
      case Column::kHeader:
        if (c.entity.empty()) {
          v = findKey(*r.doc, c.field);
        } else if (const json* sub = findKey(*r.doc, c.entity)) {
          v = findKey(*sub, c.field);
        }
        break;
    }
    if (!v) return nullptr;
    bool is_ref = (c.def && c.def->kind == FieldKind::kRef) || v->is_object();
    if (!is_ref) return c.sub.empty() ? *v : json(nullptr);
    std::string number;
    if (v->is_object()) {
      const json* n = findKey(*v, "FNumber");
      number = n ? scalarText(*n) : "";
    } else {
      number = scalarText(*v);
    }
    if (iequals(c.sub, "FNumber")) return number;
    auto info = c.def ? forms_.lookup(c.def->ref_form, number) : std::nullopt;
    if (iequals(c.sub, "FName")) return info ? json(info->name) : json(nullptr);
    if (c.sub.empty() || iequals(c.sub, "FID") || iequals(c.sub, "Id"))
      return info ? json(info->id) : json(0);
    return nullptr;
  }

  json operand(const FilterNode::Operand& o, const RowRef& r,
               const std::map<std::string, Column>& cols) const {
    return o.is_field ? value(cols.at(o.field), r) : o.literal;
  }

  bool test(const FilterNode& n, const RowRef& r, const std::map<std::string, Column>& cols) const {
    switch (n.kind) {
      case FilterNode::kAnd:
        return test(*n.kids[0], r, cols) && test(*n.kids[1], r, cols);
      case FilterNode::kOr:
        return test(*n.kids[0], r, cols) || test(*n.kids[1], r, cols);
      case FilterNode::kNot:
        return !test(*n.kids[0], r, cols);
      case FilterNode::kCompare: {
        int c = compare(operand(n.operands[0], r, cols), operand(n.operands[1], r, cols));
        if (n.op == "=") return c == 0;
        if (n.op == "<>") return c != 0;
        if (n.op == ">") return c > 0;
        if (n.op == ">=") return c >= 0;
        if (n.op == "<") return c < 0;
        return c <= 0;
      }
      case FilterNode::kIn: {
        json v = operand(n.operands[0], r, cols);
        bool hit = false;
        for (size_t i = 1; i < n.operands.size() && !hit; ++i)
          hit = compare(v, n.operands[i].literal) == 0;
        return hit != n.negate;
      }
      case FilterNode::kLike:
        return likeMatch(scalarText(operand(n.operands[0], r, cols)),
                         scalarText(n.operands[1].literal)) != n.negate;
      case FilterNode::kIsNull: {
        json v = operand(n.operands[0], r, cols);
        return (v.is_null() || (v.is_string() && v.get<std::string>().empty())) != n.negate;
      }
      case FilterNode::kBetween: {
        json v = operand(n.operands[0], r, cols);
        bool in = compare(v, operand(n.operands[1], r, cols)) >= 0 &&
                  compare(v, operand(n.operands[2], r, cols)) <= 0;
        return in != n.negate;
      }
    }
    return false;
  }

  // SQL-like comparison: numbers numerically, dates as instants, text case-insensitively.
  // Missing values compare as '' (K/3 columns are NOT NULL with blank defaults). Allocation
  // free for strings: a filter runs this once per stored row.
  static int compare(const json& a, const json& b) {
    double x, y;
    if ((a.is_number() || b.is_number() || a.is_boolean() || b.is_boolean()) && asNumber(a, &x) &&
        asNumber(b, &y))
      return x < y ? -1 : (x > y ? 1 : 0);
    std::string sa, sb;
    std::string_view s = a.is_string() ? std::string_view(a.get_ref<const std::string&>())
                                       : std::string_view(sa = scalarText(a));
    std::string_view t = b.is_string() ? std::string_view(b.get_ref<const std::string&>())
                                       : std::string_view(sb = scalarText(b));
    if (dateShaped(s) && dateShaped(t)) {
      size_t n = std::max({s.size(), t.size(), size_t{23}});
      for (size_t i = 0; i < n; ++i) {
        char c = dateChar(s, i), d = dateChar(t, i);
        if (c != d) return c < d ? -1 : 1;
      }
      return 0;
    }
    for (size_t i = 0; i < s.size() && i < t.size(); ++i) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      char d = static_cast<char>(std::tolower(static_cast<unsigned char>(t[i])));
      if (c != d) return static_cast<unsigned char>(c) < static_cast<unsigned char>(d) ? -1 : 1;
    }
    return s.size() < t.size() ? -1 : (s.size() > t.size() ? 1 : 0);
  }

 private:
  static bool asNumber(const json& v, double* out) {
    if (v.is_number()) {
      *out = v.get<double>();
      return true;
    }
    if (v.is_boolean()) {
      *out = v.get<bool>() ? 1 : 0;
      return true;
    }
    if (!v.is_string()) return false;
    const auto& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && end && *end == '\0';
  }
  // "yyyy-MM-dd" optionally followed by [ T]HH:mm[:ss[.f...]].
  static bool dateShaped(std::string_view s) {
    auto digits = [&](size_t from, size_t n) {
      if (from + n > s.size()) return false;
      for (size_t i = from; i < from + n; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
      return true;
    };
    if (s.size() < 10 || !digits(0, 4) || s[4] != '-' || !digits(5, 2) || s[7] != '-' ||
        !digits(8, 2))
      return false;
    if (s.size() == 10) return true;
    if ((s[10] != ' ' && s[10] != 'T') || s.size() < 16 || !digits(11, 2) || s[13] != ':' ||
        !digits(14, 2))
      return false;
    if (s.size() == 16) return true;
    if (s[16] != ':' || !digits(17, 2)) return false;
    if (s.size() == 19) return true;
    return s[19] == '.' && s.size() > 20 && digits(20, s.size() - 20);
  }
  // Character i of the date in the canonical form yyyy-MM-ddTHH:mm:ss.fff (zeros padded).
  static char dateChar(std::string_view s, size_t i) {
    static constexpr std::string_view kTemplate = "0000-00-00T00:00:00.000";
    if (i == 10) return 'T';
    if (i < s.size()) return s[i];
    return i < kTemplate.size() ? kTemplate[i] : '0';
  }

  const Forms& forms_;
  const FormStore& st_;
  std::string entry_;
};

json errorRows(int code, const std::string& message) {
  return json::array({json::array({failure(code, message)})});
}

void collectFields(const FilterNode& n, std::vector<std::string>* out) {
  for (const auto& o : n.operands)
    if (o.is_field) out->push_back(o.field);
  for (const auto& k : n.kids) collectFields(*k, out);
}

// A header text field compared with '=' to a string literal: answerable from an index.
const FilterNode* indexable(const FilterNode& n, const std::map<std::string, Column>& cols) {
  if (n.kind == FilterNode::kAnd) {
    if (auto* hit = indexable(*n.kids[0], cols)) return hit;
    return indexable(*n.kids[1], cols);
  }
  if (n.kind != FilterNode::kCompare || n.op != "=" || !n.operands[0].is_field ||
      n.operands[1].is_field || !n.operands[1].literal.is_string())
    return nullptr;
  const Column& c = cols.at(n.operands[0].field);
  bool text = !c.def || c.def->kind == FieldKind::kText;
  return c.kind == Column::kHeader && c.entity.empty() && c.sub.empty() && text ? &n : nullptr;
}

// A lower bound on a header date field (`FModifyDate >= '...'` or `>`), at the top or in an
// AND chain: only documents from there on need testing.
const FilterNode* rangeable(const FilterNode& n, const std::map<std::string, Column>& cols) {
  if (n.kind == FilterNode::kAnd) {
    if (auto* hit = rangeable(*n.kids[0], cols)) return hit;
    return rangeable(*n.kids[1], cols);
  }
  if (n.kind != FilterNode::kCompare || (n.op != ">=" && n.op != ">") || !n.operands[0].is_field ||
      n.operands[1].is_field || !n.operands[1].literal.is_string())
    return nullptr;
  const Column& c = cols.at(n.operands[0].field);
  if (!normalizeDate(n.operands[1].literal.get<std::string>())) return nullptr;
  return c.kind == Column::kHeader && c.entity.empty() && c.sub.empty() && c.def &&
                 c.def->kind == FieldKind::kDate
             ? &n
             : nullptr;
}

int64_t intParam(const json& data, const char* key) {
  const json* v = findKey(data, key);
  if (!v) return 0;
  if (v->is_number()) return v->get<int64_t>();
  if (v->is_string()) return std::atoll(v->get<std::string>().c_str());
  return 0;
}

}  // namespace

json executeBillQuery(Forms& forms, const json& data, bool rows_as_objects) {
  if (!data.is_object()) return errorRows(kMsgParameterError, "参数data必须是JSON对象。");
  const json* form_v = findKey(data, "FormId");
  std::string form_id = form_v ? scalarText(*form_v) : "";
  if (form_id.empty()) return errorRows(kMsgFormIdEmpty, "FormId不能为空。");
  FormStore* st = forms.store(form_id);
  if (!st) return errorRows(kMsgException, "业务对象“" + form_id + "”不存在。");

  std::vector<std::string> keys;
  if (const json* fk = findKey(data, "FieldKeys")) {
    if (fk->is_array()) {
      for (const auto& k : *fk) keys.push_back(trim(scalarText(k)));
    } else {
      std::string s = scalarText(*fk);
      size_t start = 0;
      while (start <= s.size()) {
        size_t comma = s.find(',', start);
        keys.push_back(trim(s.substr(start, comma == std::string::npos ? comma : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  keys.erase(std::remove(keys.begin(), keys.end(), std::string()), keys.end());
  if (keys.empty()) return errorRows(kMsgParameterError, "FieldKeys不能为空。");

  std::string filter_text;
  if (const json* f = findKey(data, "FilterString")) {
    if (f->is_array() && !f->empty())
      return errorRows(kMsgException, "模拟器仅支持字符串形式的FilterString。");
    if (f->is_string()) filter_text = f->get<std::string>();
  }
  std::string error;
  auto filter = parseFilter(filter_text, &error);
  if (!filter && !error.empty()) return errorRows(kMsgException, error);

  std::vector<std::pair<std::string, bool>> order;  // field, descending
  if (const json* o = findKey(data, "OrderString"); o && o->is_string()) {
    std::string s = o->get<std::string>();
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      std::string part = trim(s.substr(start, comma == std::string::npos ? comma : comma - start));
      if (!part.empty()) {
        bool desc = false;
        auto sp = part.find_last_of(' ');
        if (sp != std::string::npos) {
          std::string dir = part.substr(sp + 1);
          if (iequals(dir, "DESC") || iequals(dir, "ASC")) {
            desc = iequals(dir, "DESC");
            part = trim(part.substr(0, sp));
          }
        }
        order.emplace_back(part, desc);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  const int64_t start_row = std::max<int64_t>(0, intParam(data, "StartRow"));
  int64_t limit = intParam(data, "Limit");
  if (limit <= 0 || limit > kMaxLimit) limit = kMaxLimit;
  const int64_t top = intParam(data, "TopRowCount");

  std::vector<std::string> used = keys;
  if (filter) collectFields(*filter, &used);
  for (const auto& [f, _] : order) used.push_back(f);

  json out = json::array();
  std::map<std::string, Column> cols;
  std::string entry;
  const FilterNode* fast = nullptr;
  {
    std::shared_lock lock(st->mu);
    for (const auto& k : used) {
      if (cols.count(k)) continue;
      auto c = resolve(*st, k);
      if (!c) return errorRows(kMsgFieldNotFound, "元数据中标识为" + k + "的字段不存在");
      if (entry.empty() && (c->kind == Column::kEntry || c->kind == Column::kEntryId ||
                            c->kind == Column::kEntrySeq))
        entry = c->entity;
      cols.emplace(k, *c);
    }
    if (filter) fast = indexable(*filter, cols);
  }
  std::string index_field;
  if (fast) {
    index_field = lower(cols.at(fast->operands[0].field).field);
    std::unique_lock lock(st->mu);
    st->ensureIndex(index_field);
  }
  const FilterNode* range = filter && !fast ? rangeable(*filter, cols) : nullptr;
  std::string range_field;
  if (range) {
    range_field = lower(cols.at(range->operands[0].field).field);
    std::unique_lock lock(st->mu);
    st->ensureRange(range_field);
  }

  std::shared_lock lock(st->mu);
  Evaluator ev(forms, *st, entry);
  std::vector<RowRef> rows;
  auto consider = [&](const json& doc) {
    const json* entries = entry.empty() ? nullptr : findKey(doc, entry);
    auto take = [&](const json* row) {
      RowRef r{&doc, row};
      if (!filter || ev.test(*filter, r, cols)) rows.push_back(r);
    };
    if (entries && entries->is_array() && !entries->empty()) {
      for (const auto& row : *entries) take(&row);
    } else {
      take(nullptr);
    }
  };
  if (fast) {
    auto idx = st->indexes.find(index_field);
    if (idx != st->indexes.end()) {
      auto hit = idx->second.find(lower(fast->operands[1].literal.get<std::string>()));
      if (hit != idx->second.end())
        for (int64_t id : hit->second) consider(st->docs.at(id));
    }
  } else if (range) {
    // Only the documents at or after the bound, in id order as a full scan would give them.
    const auto& idx = st->ranges.at(range_field);
    std::vector<int64_t> ids;
    for (auto it = idx.lower_bound(FormStore::dateKey(range->operands[1].literal)); it != idx.end(); ++it)
      ids.insert(ids.end(), it->second.begin(), it->second.end());
    std::sort(ids.begin(), ids.end());
    for (int64_t id : ids) consider(st->docs.at(id));
  } else {
    for (const auto& [_, doc] : st->docs) consider(doc);
  }
  if (!order.empty()) {
    // Sort keys computed once per row: numbers as numbers, dates normalized, text lower-cased.
    struct Key {
      bool is_number = false;
      double number = 0;
      std::string text;
    };
    auto keyOf = [](const json& v) {
      Key k;
      if (v.is_number() || v.is_boolean()) {
        k.is_number = true;
        k.number = v.is_boolean() ? (v.get<bool>() ? 1 : 0) : v.get<double>();
        return k;
      }
      k.text = scalarText(v);
      if (auto d = normalizeDate(k.text))
        k.text = d->size() == 19 ? *d + ".000" : *d;
      else
        k.text = lower(k.text);
      return k;
    };
    std::vector<std::vector<Key>> keys_of(rows.size());
    for (size_t i = 0; i < rows.size(); ++i)
      for (const auto& [f, _] : order) keys_of[i].push_back(keyOf(ev.value(cols.at(f), rows[i])));
    std::vector<size_t> perm(rows.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    std::stable_sort(perm.begin(), perm.end(), [&](size_t a, size_t b) {
      for (size_t k = 0; k < order.size(); ++k) {
        const Key& x = keys_of[a][k];
        const Key& y = keys_of[b][k];
        int c = x.is_number && y.is_number ? (x.number < y.number ? -1 : x.number > y.number)
                                           : x.text.compare(y.text);
        if (c != 0) return order[k].second ? c > 0 : c < 0;
      }
      return false;
    });
    std::vector<RowRef> sorted;
    sorted.reserve(rows.size());
    for (size_t i : perm) sorted.push_back(rows[i]);
    rows.swap(sorted);
  }
  // TopRowCount caps the whole result before paging (so a small cap empties later pages).
  int64_t total = static_cast<int64_t>(rows.size());
  if (top > 0) total = std::min(total, top);
  for (int64_t i = start_row; i < total && i < start_row + limit; ++i) {
    json row = rows_as_objects ? json::object() : json::array();
    for (const auto& k : keys) {
      json v = ev.value(cols.at(k), rows[static_cast<size_t>(i)]);
      if (rows_as_objects)
        row[k] = std::move(v);
      else
        row.push_back(std::move(v));
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace qiao::sim::k3
