// Loads a mapping file (docs/design/mapping-format.md) into a plan. Every problem in the file is
// collected with its file:line:column and reported at once, so one edit-reload cycle fixes all.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "fast.h"
#include "plan.h"
#include "qiao/config/suggest.h"

namespace qiao::mapping {
namespace detail {
namespace {

const std::vector<std::string> kTopKeys = {"mapping", "description", "source", "target",
                                           "include", "value_maps", "rules", "key"};
const std::vector<std::string> kRuleKeys = {
    "to",    "from",   "const",  "default", "required", "trim",      "upper", "lower",
    "halfwidth", "lossless", "number", "string", "decimal", "date", "map", "concat",
    "separator", "expr", "ref",  "each",    "where",    "rules",     "reverse", "bool",
    "when",  "otherwise", "split", "substring", "regex", "lookup", "template"};
const std::vector<std::string> kDecimalKeys = {"scale", "rounding", "grouping", "currency", "as"};
const std::vector<std::string> kDateKeys = {"parse", "format", "zone"};
const std::vector<std::string> kMapKeys = {"table", "default", "strict"};
const std::vector<std::string> kLookupKeys = {"entity", "system", "on_missing"};

class Loader {
 public:
  Loader(std::string file, LoadOptions options) : file_(std::move(file)), opt_(std::move(options)) {}

  void diag(const YAML::Mark& m, const std::string& where, const std::string& msg) {
    std::string s = file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) +
                    ": " + (where.empty() ? "" : where + ": ") + msg;
    errors_.push_back(std::move(s));
  }
  std::string pos(const YAML::Mark& m) const {
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  void checkKeys(const YAML::Node& n, const std::string& where,
                 const std::vector<std::string>& allowed) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      bool known = false;
      for (const auto& a : allowed) known = known || a == k;
      if (known) continue;
      std::string near = config::suggest(k, allowed);
      diag(it->first.Mark(), where, "unknown key '" + k + "'" +
                                        (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }

  std::optional<std::string> scalar(const YAML::Node& n, const std::string& where) {
    if (!n.IsScalar()) {
      diag(n.Mark(), where, "expected a text value");
      return std::nullopt;
    }
    return n.Scalar();
  }

  Literal literal(const YAML::Node& n) {
    Literal l;
    const std::string& s = n.Scalar();
    if (n.Tag() == "!") return l.text = s, l;  // quoted: always text
    if (n.IsNull() || s == "null" || s == "~") return l.kind = Kind::kNull, l;
    if (s == "true" || s == "false") return l.kind = Kind::kBool, l.flag = s == "true", l;
    if (Decimal::fromText(s).ok()) return l.kind = Kind::kNumber, l.text = s, l;
    l.text = s;
    return l;
  }

  std::optional<Source> source(const YAML::Node& n, const std::string& where) {
    auto s = scalar(n, where);
    if (!s) return std::nullopt;
    Source src;
    src.text = *s;
    std::string_view p = *s;
    if (!p.empty() && p[0] == '^') src.parent = true, p.remove_prefix(1);
    auto path = Path::compile(p);
    if (!path.ok()) {
      diag(n.Mark(), where, "bad path '" + *s + "': " + path.error().message);
      return std::nullopt;
    }
    src.path = std::move(path).value();
    return src;
  }

  std::optional<bool> flag(const YAML::Node& n, const std::string& where) {
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
    diag(n.Mark(), where, "expected true or false");
    return std::nullopt;
  }

  void parseDecimal(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kDecimal;
    if (n.IsNull()) return;
    if (!n.IsMap()) return diag(n.Mark(), w, "expected a map {scale, rounding, grouping, currency, as}");
    checkKeys(n, w, kDecimalKeys);
    if (auto s = n["scale"]) {
      int v = -1;
      if (!s.IsScalar() || !YAML::convert<int>::decode(s, v) || v < 0 || v > Decimal::kMaxScale)
        diag(s.Mark(), w + ".scale", "expected an integer 0..38");
      r.scale = v;
    }
    if (auto s = n["rounding"]) {
      auto m = parseRoundingMode(s.Scalar());
      if (!m.ok())
        diag(s.Mark(), w + ".rounding", "unknown rounding mode '" + s.Scalar() +
                                           "' (half_up, half_even, half_down, up, down, ceiling, floor)");
      else
        r.rounding = *m;
    }
    if (auto s = n["grouping"]) {
      std::string g = s.Scalar();
      if (g == "," || g == "true") r.grouping = Decimal::Separator::kComma;
      else if (g == " ") r.grouping = Decimal::Separator::kSpace;
      else if (g != "false" && g != "none") diag(s.Mark(), w + ".grouping", "expected ',', ' ' or none");
    }
    if (auto s = n["currency"]) r.currency = s.Scalar();
    if (auto s = n["as"]) {
      if (s.Scalar() == "string") r.as_string = true;
      else if (s.Scalar() != "number") diag(s.Mark(), w + ".as", "expected number or string");
    }
  }

  void parseDate(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kDate;
    if (!n.IsMap()) return diag(n.Mark(), w, "expected a map {parse, format}");
    checkKeys(n, w, kDateKeys);
    auto pattern = [&](const YAML::Node& p, const std::string& pw) -> std::optional<DateTimePattern> {
      auto c = DateTimePattern::compile(p.Scalar());
      if (!c.ok()) {
        diag(p.Mark(), pw, "bad date pattern '" + p.Scalar() + "': " + c.error().message);
        return std::nullopt;
      }
      return std::move(c).value();
    };
    if (auto p = n["parse"]) {
      const std::string& s = p.Scalar();
      if (s == "auto") r.date_parse = Rule::DateParse::kAuto;
      else if (s == "excel1900") r.date_parse = Rule::DateParse::kExcel1900;
      else if (s == "excel1904") r.date_parse = Rule::DateParse::kExcel1904;
      else r.parse_pattern = pattern(p, w + ".parse");
    } else {
      r.date_parse = Rule::DateParse::kAuto;
    }
    std::string format = "yyyy-MM-dd'T'HH:mm:ss";
    if (auto f = n["format"]) r.format_pattern = pattern(f, w + ".format"), format = f.Scalar();
    else r.format_pattern = DateTimePattern::compile(format).value();
    // The common date-only case needs no parse/format round trip (see Rule::date_fast).
    if (n["parse"] && n["parse"].Scalar() == "yyyy-MM-dd" && !n["zone"]) {
      for (auto [f, suffix] : {std::pair{"yyyy-MM-dd", ""}, {"yyyy-MM-dd HH:mm:ss", " 00:00:00"},
                               {"yyyy-MM-dd'T'HH:mm:ss", "T00:00:00"}})
        if (format == f) r.date_fast = true, r.date_suffix = suffix;
    }
    if (auto z = n["zone"]) {
      auto tz = z.IsScalar() ? TimeZone::load(z.Scalar())
                             : Result<std::shared_ptr<const TimeZone>>(Error::permanent(
                                   ErrorCode::kInvalidArgument, "expected a zone name"));
      if (!tz.ok()) diag(z.Mark(), w + ".zone", tz.error().message);
      else r.zone = *tz;
    }
  }

  void parseMap(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kMap;
    // Node::operator= writes through to the referenced node: pick the table node by value.
    const bool keyed = n.IsMap() && n["table"];
    const YAML::Node t = keyed ? n["table"] : n;
    if (keyed) {
      checkKeys(n, w, kMapKeys);
      if (auto d = n["default"]) r.map_default = d.Scalar();
      if (auto s = n["strict"]) r.strict = flag(s, w + ".strict").value_or(false);
    } else if (n.IsMap()) {
      return diag(n.Mark(), w, "missing 'table'");
    }
    const std::string tw = n.IsMap() ? w + ".table" : w;
    if (t.IsScalar()) {
      r.table_name = t.Scalar();
      auto it = maps_.find(r.table_name);
      if (it != maps_.end()) {
        r.table = it->second;
      } else {
        std::vector<std::string> names;
        for (const auto& [k, v] : maps_) names.push_back(k);
        std::string near = config::suggest(r.table_name, names);
        diag(t.Mark(), tw, "no value map '" + r.table_name + "'" +
                               (near.empty() ? "" : "; did you mean '" + near + "'?"));
      }
    } else if (t.IsMap()) {
      r.table = std::make_shared<const Table>(table(t, tw));
      r.table_name = "(inline)";
    } else {
      diag(t.Mark(), tw, "expected a value map name or an inline map");
    }
  }

  Table table(const YAML::Node& n, const std::string& w) {
    Table t;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->second.IsScalar()) {
        diag(it->second.Mark(), w + "." + it->first.Scalar(), "expected a text value");
        continue;
      }
      t[it->first.Scalar()] = it->second.Scalar();
    }
    return t;
  }

  // Parses one rule; fwd_to is set when parsing a `reverse:` (its default `from`).
  bool parseRule(const YAML::Node& n, const std::string& w, Rule& r, const std::string* fwd_to) {
    size_t before = errors_.size();
    r.label = w;
    r.position = pos(n.Mark()) + " " + w;
    if (!n.IsMap()) {
      diag(n.Mark(), w, "a rule must be a map");
      return false;
    }
    checkKeys(n, w, kRuleKeys);
    if (auto t = n["to"]) {
      if (auto s = scalar(t, w + ".to")) {
        r.to_text = *s;
        auto p = Path::compile(*s);
        if (!p.ok()) diag(t.Mark(), w + ".to", "bad path '" + *s + "': " + p.error().message);
        else r.to = std::move(p).value();
      }
    } else {
      diag(n.Mark(), w, "missing 'to'");
    }
    if (auto f = n["from"]) {
      if (f.IsSequence()) {
        for (size_t i = 0; i < f.size(); ++i)
          if (auto s = source(f[i], w + ".from[" + std::to_string(i) + "]")) r.from.push_back(*s);
      } else if (auto s = source(f, w + ".from")) {
        r.from.push_back(*s);
      }
    } else if (fwd_to) {
      Source s;
      s.text = *fwd_to;
      s.path = Path::compile(*fwd_to).value();
      r.from.push_back(std::move(s));
    }
    if (auto c = n["const"]) r.constant = literal(c);
    if (auto d = n["default"]) r.default_value = literal(d);
    if (auto q = n["required"]) r.required = flag(q, w + ".required").value_or(false);
    bool lossless = false;
    if (auto q = n["lossless"]) lossless = flag(q, w + ".lossless").value_or(false);
    for (auto [key, dst] : {std::pair{"trim", &r.trim}, {"upper", &r.upper}, {"lower", &r.lower},
                            {"halfwidth", &r.halfwidth}})
      if (auto q = n[key]) *dst = flag(q, w + "." + key).value_or(false);
    r.lossless = lossless;
    if (auto ref = n["ref"]) {
      if (auto s = scalar(ref, w + ".ref")) r.wrap_ref = *s;
    }

    int convs = 0;
    auto conv = [&](const char* key) {
      auto c = n[key];
      if (c) ++convs;
      if (convs > 1 && c) diag(c.Mark(), w + "." + key, "only one conversion per rule");
      return c;
    };
    if (auto c = conv("map")) parseMap(c, w + ".map", r);
    if (auto c = conv("decimal")) parseDecimal(c, w + ".decimal", r);
    if (auto c = conv("number")) r.conv = Conv::kNumber, (void)c;
    if (auto c = conv("string")) r.conv = Conv::kString, (void)c;
    if (auto c = conv("bool")) {
      r.conv = Conv::kBool;
      if (!c.IsMap() || !c["true"]) {
        diag(c.Mark(), w + ".bool", "expected {true: <text>} (and optionally false: <text>)");
      } else {
        checkKeys(c, w + ".bool", {"true", "false"});
        r.true_text = c["true"].Scalar();
        if (c["false"]) r.false_text = c["false"].Scalar();
      }
    }
    if (auto c = conv("date")) parseDate(c, w + ".date", r);
    if (auto c = conv("concat")) {
      r.conv = Conv::kConcat;
      if (!c.IsSequence()) diag(c.Mark(), w + ".concat", "expected a list of source paths");
      else
        for (size_t i = 0; i < c.size(); ++i)
          if (auto s = source(c[i], w + ".concat[" + std::to_string(i) + "]")) r.parts.push_back(*s);
      if (auto sep = n["separator"]) r.separator = sep.Scalar();
    }
    if (auto c = conv("split")) parseSplit(c, w + ".split", r);
    if (auto c = conv("substring")) parseSubstring(c, w + ".substring", r);
    if (auto c = conv("regex")) parseRegex(c, w + ".regex", r);
    if (auto c = conv("lookup")) parseLookup(c, w + ".lookup", r);
    if (auto c = conv("template")) {
      parseTemplate(c, w + ".template", r);
      for (const char* k : {"from", "const"})  // the template is the rule's source
        if (n[k]) diag(n[k].Mark(), w + "." + k, "a template reads its own fields; remove '" + std::string(k) + "'");
    }
    if (auto c = conv("expr")) {
      r.conv = Conv::kExpr;
      auto e = compileExpr(c.Scalar());
      if (!e.ok()) diag(c.Mark(), w + ".expr", e.error().message);
      else r.expr = std::move(e).value();
    }
    if (auto e = n["each"]) {
      r.is_each = true;
      if (auto s = source(e, w + ".each")) r.each = *s;
      if (auto wh = n["where"]) parseWhere(wh, w + ".where", r);
      auto inner = n["rules"];
      if (!inner || !inner.IsSequence()) {
        diag(e.Mark(), w, "'each' needs a list of 'rules'");
      } else {
        for (size_t i = 0; i < inner.size(); ++i) {
          Rule sub;
          parseRule(inner[i], w + ".rules[" + std::to_string(i) + "]", sub, nullptr);
          r.rules.push_back(std::move(sub));
        }
      }
    } else if (n["rules"] || n["where"]) {
      diag(n.Mark(), w, "'rules' and 'where' need 'each'");
    }
    if (auto c = n["when"]) {
      if (auto wh = condition(c, w + ".when")) r.when = std::move(*wh);
    }
    if (auto o = n["otherwise"]) {
      if (!n["when"]) diag(o.Mark(), w + ".otherwise", "'otherwise' needs 'when'");
      else if (r.is_each) diag(o.Mark(), w + ".otherwise", "'otherwise' cannot be used with 'each'");
      else if (!o.IsScalar() && !o.IsNull()) diag(o.Mark(), w + ".otherwise", "expected a scalar");
      else r.otherwise = literal(o);
    }
    if (!fwd_to && !r.is_each && r.from.empty() && !r.constant && r.conv != Conv::kConcat &&
        r.conv != Conv::kExpr && r.conv != Conv::kTemplate && !r.default_value)
      diag(n.Mark(), w, "needs one of from, const, default, concat, expr or each");
    return errors_.size() == before;
  }

  void parseWhere(const YAML::Node& n, const std::string& w, Rule& r) {
    if (auto wh = condition(n, w)) r.where = std::move(*wh);
  }

  // A when/where condition: the expression language in condition mode (expr.cpp).
  std::optional<Expr> condition(const YAML::Node& n, const std::string& w) {
    if (!n.IsScalar() || n.Scalar().empty())
      return diag(n.Mark(), w, "expected a condition such as 'qty > 0', 'present(phone)' or "
                               "'grade == A and not empty(phone)'"),
             std::nullopt;
    auto e = compileExpr(n.Scalar(), true);
    if (!e.ok()) return diag(n.Mark(), w, e.error().message), std::nullopt;
    return std::move(e).value();
  }

  // lookup: {entity: customer, system: k3cloud, on_missing: error|keep|null}
  void parseLookup(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kLookup;
    if (!n.IsMap() || !n["entity"] || !n["system"])
      return diag(n.Mark(), w, "expected a map {entity, system, on_missing}");
    checkKeys(n, w, kLookupKeys);
    if (auto s = scalar(n["entity"], w + ".entity")) r.entity = *s;
    if (auto s = scalar(n["system"], w + ".system")) r.system = *s;
    if (r.entity.empty()) diag(n["entity"].Mark(), w + ".entity", "must not be empty");
    if (r.system.empty()) diag(n["system"].Mark(), w + ".system", "must not be empty");
    if (auto m = n["on_missing"]) {
      const std::string v = m.IsNull() ? "null" : m.IsScalar() ? m.Scalar() : "";
      if (v == "error") r.on_missing = Rule::OnMissing::kError;
      else if (v == "keep") r.on_missing = Rule::OnMissing::kKeep;
      else if (v == "null") r.on_missing = Rule::OnMissing::kNull;
      else diag(m.Mark(), w + ".on_missing", "expected error, keep or null");
    }
  }

  // template: "text {path}" or {text: "...", missing: error|empty}
  void parseTemplate(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kTemplate;
    // Node::operator= writes through to the referenced node: pick the text node by value.
    const bool keyed = n.IsMap() && n["text"];
    const YAML::Node text = keyed ? n["text"] : n;
    const std::string tw = keyed ? w + ".text" : w;
    if (n.IsMap()) {
      checkKeys(n, w, {"text", "missing"});
      if (!keyed) return diag(n.Mark(), w, "expected a text or a map {text, missing}");
      if (auto m = n["missing"]) {
        const std::string v = m.IsScalar() ? m.Scalar() : "";
        if (v == "empty") r.tmpl_missing_empty = true;
        else if (v != "error") diag(m.Mark(), w + ".missing", "expected error or empty");
      }
    }
    if (!text.IsScalar() || text.Scalar().empty())
      return diag(text.Mark(), tw, "expected a non-empty text such as '订单 {orderId} 已审核'");
    auto t = compileTemplate(text.Scalar());
    if (!t.ok()) return diag(text.Mark(), tw, t.error().message);
    r.tmpl = std::move(t).value();
  }

  std::optional<int> integer(const YAML::Node& n, const std::string& w, int lo, int hi) {
    int v = 0;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, v) || v < lo || v > hi) {
      diag(n.Mark(), w, "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi));
      return std::nullopt;
    }
    return v;
  }

  void parseSplit(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kSplit;
    if (!n.IsMap() || !n["separator"] || !n["index"])
      return diag(n.Mark(), w, "expected a map {separator, index}");
    checkKeys(n, w, {"separator", "index"});
    r.separator = n["separator"].Scalar();
    if (r.separator.empty()) diag(n["separator"].Mark(), w + ".separator", "must not be empty");
    r.part = integer(n["index"], w + ".index", -1000, 1000).value_or(0);
  }

  void parseSubstring(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kSubstring;
    if (!n.IsMap() || !n["start"]) return diag(n.Mark(), w, "expected a map {start, length}");
    checkKeys(n, w, {"start", "length"});
    r.start = integer(n["start"], w + ".start", 0, 1 << 20).value_or(0);
    if (auto l = n["length"]) r.length = integer(l, w + ".length", 0, 1 << 20).value_or(0);
  }

  void parseRegex(const YAML::Node& n, const std::string& w, Rule& r) {
    r.conv = Conv::kRegex;
    if (!n.IsMap() || !n["pattern"]) return diag(n.Mark(), w, "expected a map {pattern, group}");
    checkKeys(n, w, {"pattern", "group"});
    r.regex_text = n["pattern"].Scalar();
    if (r.regex_text.size() > 500)  // std::regex compiles and matches recursively
      return diag(n["pattern"].Mark(), w + ".pattern", "a pattern longer than 500 characters");
    try {
      auto re = std::make_shared<const std::regex>(r.regex_text, std::regex::ECMAScript);
      r.group = re->mark_count() > 0 ? 1 : 0;
      if (auto g = n["group"]) {
        int max = static_cast<int>(re->mark_count());
        if (auto v = integer(g, w + ".group", 0, max)) r.group = *v;
      }
      r.regex = std::move(re);
    } catch (const std::regex_error& e) {
      diag(n["pattern"].Mark(), w + ".pattern", "bad regular expression '" + r.regex_text + "': " + e.what());
    }
  }

  void loadIncludes(const YAML::Node& inc) {
    if (!inc.IsSequence()) return diag(inc.Mark(), "include", "expected a list of mapping names");
    for (size_t i = 0; i < inc.size(); ++i) {
      std::string f = opt_.mappings_dir + "/" + inc[i].Scalar() + ".yaml";
      try {
        YAML::Node other = YAML::LoadFile(f);
        if (auto vm = other["value_maps"])
          for (auto it = vm.begin(); it != vm.end(); ++it)
            maps_[it->first.Scalar()] = std::make_shared<const Table>(table(it->second, "value_maps"));
      } catch (const YAML::Exception& e) {
        diag(inc[i].Mark(), "include[" + std::to_string(i) + "]", "cannot load " + f + ": " + e.what());
      }
    }
  }

  // Derives the reverse rules and records the targets that have none.
  void deriveReverse(const YAML::Node& rules, std::vector<Rule>& fwd, std::vector<Rule>& rev,
                     const std::string& prefix) {
    for (size_t i = 0; i < fwd.size(); ++i) {
      const Rule& r = fwd[i];
      const YAML::Node n = rules[i];
      if (r.constant) continue;  // constants need no reverse
      if (auto explicit_rev = n["reverse"]) {
        Rule out;
        if (parseRule(explicit_rev, r.label + ".reverse", out, &r.to_text)) rev.push_back(std::move(out));
        continue;
      }
      Rule out;
      std::string why = invertRule(r, out);
      if (why.empty() && r.is_each) {
        deriveReverse(n["rules"], fwd[i].rules, out.rules, prefix + r.to_text + "[].");
      }
      if (!why.empty()) {
        non_invertible_.push_back(prefix + r.to_text);
        warnings_.push_back(pos(n.Mark()) + ": " + prefix + r.to_text + ": " + why +
                            " cannot be reversed; add reverse:");
      } else {
        rev.push_back(std::move(out));
      }
    }
  }

  Result<std::shared_ptr<const MappingPlan>> load(const YAML::Node& root) {
    auto data = std::make_unique<PlanData>();
    data->file = file_;
    if (!root.IsMap()) {
      diag(root.Mark(), "", "a mapping file must be a YAML map");
      return finish(std::move(data));
    }
    checkKeys(root, "", kTopKeys);
    if (auto m = root["mapping"]) data->name = m.Scalar();
    if (auto k = root["key"]) {
      auto p = Path::compile(k.Scalar());
      if (!p.ok()) diag(k.Mark(), "key", "bad path: " + p.error().message);
      else data->key = std::move(p).value();
    }
    if (auto inc = root["include"]) loadIncludes(inc);
    if (auto vm = root["value_maps"]) {
      if (!vm.IsMap()) diag(vm.Mark(), "value_maps", "expected a map of value maps");
      else
        for (auto it = vm.begin(); it != vm.end(); ++it) {
          const std::string name = it->first.Scalar();
          if (!it->second.IsMap()) {
            diag(it->second.Mark(), "value_maps." + name, "expected a map");
            continue;
          }
          maps_[name] = std::make_shared<const Table>(table(it->second, "value_maps." + name));
        }
    }
    auto rules = root["rules"];
    if (!rules || !rules.IsSequence()) {
      diag(root.Mark(), "rules", "missing list of rules");
      return finish(std::move(data));
    }
    for (size_t i = 0; i < rules.size(); ++i) {
      Rule r;
      parseRule(rules[i], "rules[" + std::to_string(i) + "]", r, nullptr);
      data->forward.push_back(std::move(r));
    }
    if (errors_.empty()) deriveReverse(rules, data->forward, data->reverse, "");
    std::unordered_map<std::string, uint32_t> containers;
    markFreshTargets(data->forward, containers);
    markFreshTargets(data->reverse, containers);
    if (errors_.empty()) {
      data->fast_forward = compileFast(data->forward);
      data->fast_reverse = compileFast(data->reverse);
    }
    return finish(std::move(data));
  }

  Result<std::shared_ptr<const MappingPlan>> finish(std::unique_ptr<PlanData> data) {
    if (!errors_.empty()) {
      std::string msg;
      for (const auto& e : errors_) msg += (msg.empty() ? "" : "\n") + e;
      return Error::permanent(ErrorCode::kConfigInvalid, msg);
    }
    data->non_invertible = std::move(non_invertible_);
    data->warnings = std::move(warnings_);
    return std::shared_ptr<const MappingPlan>(std::make_shared<MappingPlan>(std::move(data)));
  }

 private:
  std::string file_;
  LoadOptions opt_;
  std::vector<std::string> errors_;
  std::vector<std::string> non_invertible_;
  std::vector<std::string> warnings_;
  std::unordered_map<std::string, std::shared_ptr<const Table>> maps_;
};

}  // namespace
}  // namespace detail

MappingPlan::MappingPlan(std::unique_ptr<detail::PlanData> data) : data_(std::move(data)) {}
MappingPlan::~MappingPlan() = default;
const std::string& MappingPlan::name() const { return data_->name; }
const std::string& MappingPlan::file() const { return data_->file; }
const std::vector<std::string>& MappingPlan::nonInvertible() const { return data_->non_invertible; }
const std::vector<std::string>& MappingPlan::warnings() const { return data_->warnings; }

Result<std::shared_ptr<const MappingPlan>> loadMappingText(std::string_view yaml,
                                                           std::string_view file_name,
                                                           const LoadOptions& options) {
  LoadOptions opt = options;
  if (opt.mappings_dir.empty()) {
    std::string f(file_name);
    auto slash = f.rfind('/');
    opt.mappings_dir = slash == std::string::npos ? "." : f.substr(0, slash);
  }
  detail::Loader loader{std::string(file_name), opt};
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return loader.load(root);
  } catch (const YAML::Exception& e) {
    return Error::permanent(ErrorCode::kConfigInvalid,
                            std::string(file_name) + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Result<std::shared_ptr<const MappingPlan>> loadMapping(const std::string& path,
                                                       const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::permanent(ErrorCode::kNotFound, "cannot open mapping file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return loadMappingText(ss.str(), path, options);
}

}  // namespace qiao::mapping
