#include "reader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "qiao/config/suggest.h"
#include "qiao/core/cron.h"

namespace qiao::config::detail {
namespace {

// What a non-scalar node is, for "expected X, got Y" messages.
std::string kindOf(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "no value";
  return "'" + n.Scalar() + "'";
}

// Returns the resolved scalar text, or reports "expected <what>" for maps/lists/null.
std::optional<std::string> scalar(Ctx& c, const YAML::Node& n, const std::string& path,
                                  const std::string& what, bool* had_ref = nullptr) {
  if (!n.IsScalar()) {
    c.error(n, path, "expected " + what + ", got " + kindOf(n));
    return std::nullopt;
  }
  return c.resolve(n, path, had_ref);
}

std::string rangeText(int64_t min, int64_t max) {
  if (max == INT64_MAX) return "at least " + std::to_string(min);
  return "between " + std::to_string(min) + " and " + std::to_string(max);
}

}  // namespace

std::string Where::text() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Where Ctx::where(const YAML::Node& node) const {
  Where w{file, 0, 0};
  if (node.IsDefined()) {
    YAML::Mark m = node.Mark();
    if (m.line >= 0) {
      w.line = m.line + 1;
      w.column = m.column + 1;
    }
  }
  return w;
}

void Ctx::error(const YAML::Node& at, const std::string& path, std::string message) {
  errorAt(where(at), path, std::move(message));
}

void Ctx::errorAt(const Where& at, const std::string& path, std::string message) {
  diags_->push_back(Diagnostic{at.file, at.line, at.column, path, std::move(message)});
}

std::optional<std::string> Ctx::resolve(const YAML::Node& node, const std::string& path,
                                        bool* had_ref) {
  const std::string& s = node.Scalar();
  if (had_ref != nullptr) *had_ref = false;
  std::string out;
  bool ok = true;
  size_t i = 0;
  while (true) {
    size_t p = s.find("${", i);
    size_t end = p == std::string::npos ? p : s.find('}', p);
    if (end == std::string::npos) {
      out += s.substr(i);
      break;
    }
    out += s.substr(i, p - i);
    std::string ref = s.substr(p + 2, end - p - 2);
    std::string whole = "${" + ref + "}";
    i = end + 1;
    bool is_env = ref.rfind("env:", 0) == 0;
    bool is_file = ref.rfind("file:", 0) == 0;
    if (!is_env && !is_file) {
      out += whole;  // not ours: kept literally
      continue;
    }
    if (had_ref != nullptr) *had_ref = true;
    std::string arg = ref.substr(is_env ? 4 : 5);
    if (arg.empty()) {
      error(node, path, "empty reference " + whole);
      ok = false;
      continue;
    }
    std::string value;
    if (is_env) {
      const char* v = std::getenv(arg.c_str());
      if (v == nullptr) {
        error(node, path, "environment variable '" + arg + "' (referenced by " + whole +
                              ") is not set");
        ok = false;
        continue;
      }
      value = v;
    } else {
      std::string file_path = arg[0] == '/' ? arg : dir_ + "/" + arg;
      std::ifstream in(file_path, std::ios::binary);
      std::ostringstream buf;
      if (in) buf << in.rdbuf();
      if (!in || in.bad() || std::filesystem::is_directory(file_path)) {
        error(node, path, "cannot read file '" + file_path + "' (referenced by " + whole + ")");
        ok = false;
        continue;
      }
      value = buf.str();
      if (!value.empty() && value.back() == '\n') value.pop_back();
      if (!value.empty() && value.back() == '\r') value.pop_back();
    }
    if (!value.empty() &&
        std::find(secrets_->begin(), secrets_->end(), value) == secrets_->end())
      secrets_->push_back(value);
    out += value;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<int64_t> parseIntText(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
  errno = 0;
  long long v = std::strtoll(s.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<double> parseNumberText(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> parseDurationText(const std::string& s) {
  if (auto ms = parseIntText(s)) {
    if (*ms < 0) return std::nullopt;
    return ms;
  }
  static const std::map<std::string, int64_t> kUnits = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  int64_t total = 0;
  size_t i = 0;
  if (s.empty()) return std::nullopt;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i || j - i > 12) return std::nullopt;
    int64_t n = std::stoll(s.substr(i, j - i));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    auto unit = kUnits.find(s.substr(j, k - j));
    if (unit == kUnits.end()) return std::nullopt;
    total += n * unit->second;
    i = k;
  }
  return total;
}

std::optional<std::string> readString(Ctx& c, const YAML::Node& n, const std::string& path) {
  return scalar(c, n, path, "a string");
}

std::optional<int64_t> readInt(Ctx& c, const YAML::Node& n, const std::string& path,
                               int64_t min, int64_t max) {
  auto text = scalar(c, n, path, "an integer");
  if (!text) return std::nullopt;
  auto v = parseIntText(*text);
  if (!v) {
    c.error(n, path, "expected an integer, got '" + n.Scalar() + "'");
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    c.error(n, path, "must be " + rangeText(min, max) + ", got " + n.Scalar());
    return std::nullopt;
  }
  return v;
}

std::optional<double> readNumber(Ctx& c, const YAML::Node& n, const std::string& path,
                                 double min) {
  auto text = scalar(c, n, path, "a number");
  if (!text) return std::nullopt;
  auto v = parseNumberText(*text);
  if (!v) {
    c.error(n, path, "expected a number, got '" + n.Scalar() + "'");
    return std::nullopt;
  }
  if (*v < min) {
    std::ostringstream m;
    m << "must be at least " << min << ", got " << n.Scalar();
    c.error(n, path, m.str());
    return std::nullopt;
  }
  return v;
}

std::optional<bool> readBool(Ctx& c, const YAML::Node& n, const std::string& path) {
  auto text = scalar(c, n, path, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  c.error(n, path, "expected true or false, got '" + n.Scalar() + "'");
  return std::nullopt;
}

std::optional<int64_t> readDurationMs(Ctx& c, const YAML::Node& n, const std::string& path,
                                      int64_t max) {
  const std::string what = "a duration like 500ms, 30s, 5m, 1h or an integer of milliseconds";
  auto text = scalar(c, n, path, what);
  if (!text) return std::nullopt;
  auto v = parseDurationText(*text);
  if (!v) {
    c.error(n, path, "expected " + what + ", got '" + n.Scalar() + "'");
    return std::nullopt;
  }
  if (*v > max) {
    c.error(n, path, "must be at most " + std::to_string(max) + "ms, got " + n.Scalar());
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> readEnum(Ctx& c, const YAML::Node& n, const std::string& path,
                                    const std::vector<std::string>& allowed) {
  auto text = scalar(c, n, path, "one of: " + join(allowed, ", "));
  if (!text) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) return text;
  std::string msg = "invalid value '" + n.Scalar() + "'";
  std::string near = suggest(*text, allowed);
  if (!near.empty())
    msg += "; did you mean '" + near + "'? (allowed: " + join(allowed, ", ") + ")";
  else
    msg += "; allowed: " + join(allowed, ", ");
  c.error(n, path, msg);
  return std::nullopt;
}

std::optional<std::string> readSecret(Ctx& c, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) {
    c.error(n, path, "expected a ${env:...} or ${file:...} reference, got " + kindOf(n));
    return std::nullopt;
  }
  bool had_ref = false;
  // Check for a reference before resolving so a literal is never echoed or recorded.
  const std::string& raw = n.Scalar();
  if (raw.find("${env:") == std::string::npos && raw.find("${file:") == std::string::npos) {
    c.error(n, path, "must be a ${env:...} or ${file:...} reference, not a literal value");
    return std::nullopt;
  }
  return c.resolve(n, path, &had_ref);
}

std::optional<std::string> readTimezone(Ctx& c, const YAML::Node& n, const std::string& path) {
  auto tz = readString(c, n, path);
  if (!tz) return std::nullopt;
  if (isValidTimezone(*tz)) return tz;
  // Suggest among the zones in the same area folder ("Asia/Shangai" -> Asia/*).
  std::string area, leaf = *tz;
  size_t slash = tz->rfind('/');
  if (slash != std::string::npos) {
    area = tz->substr(0, slash + 1);
    leaf = tz->substr(slash + 1);
  }
  std::vector<std::string> names;
  std::error_code ec;
  if (tz->find("..") == std::string::npos) {
    for (const auto& e :
         std::filesystem::directory_iterator("/usr/share/zoneinfo/" + area, ec))
      names.push_back(e.path().filename().string());
  }
  std::string msg = "unknown time zone '" + n.Scalar() + "'";
  std::string near = suggest(leaf, names);
  if (!near.empty()) msg += "; did you mean '" + area + near + "'?";
  else msg += " (expected an IANA name like Asia/Shanghai)";
  c.error(n, path, msg);
  return std::nullopt;
}

std::optional<std::set<std::string>> readMap(Ctx& c, const YAML::Node& node,
                                             const std::string& path,
                                             const std::vector<Key>& keys) {
  std::set<std::string> seen;
  if (node.IsNull()) return seen;
  if (!node.IsMap()) {
    c.error(node, path, "expected a map, got " + kindOf(node));
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const auto& k : keys) names.push_back(k.name);
  std::map<std::string, Where> first;
  for (auto it = node.begin(); it != node.end(); ++it) {
    YAML::Node key = it->first;  // it-> yields a temporary: copy the handle
    if (!key.IsScalar()) {
      c.error(key, path, "expected a key name, got " + kindOf(key));
      continue;
    }
    const std::string name = key.Scalar();
    const std::string sub = joinPath(path, name);
    auto dup = first.find(name);
    if (dup != first.end()) {
      c.error(key, sub,
              "duplicate key '" + name + "' (first at line " +
                  std::to_string(dup->second.line) + ")");
      continue;
    }
    first.emplace(name, c.where(key));
    auto known = std::find_if(keys.begin(), keys.end(),
                              [&](const Key& k) { return k.name == name; });
    if (known == keys.end()) {
      c.error(key, sub, unknownMessage("key", name, names));
      continue;
    }
    seen.insert(name);
    known->handle(it->second, sub);
  }
  return seen;
}

std::string unknownMessage(const std::string& kind, const std::string& word,
                           std::vector<std::string> allowed, const std::string& allowed_label) {
  std::sort(allowed.begin(), allowed.end());
  std::string msg = "unknown " + kind + " '" + word + "'";
  std::string near = suggest(word, allowed);
  if (!near.empty()) return msg + "; did you mean '" + near + "'?";
  if (allowed.empty()) return msg + "; none are " + allowed_label;
  return msg + "; " + allowed_label + ": " + join(allowed, ", ");
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string joinPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

bool validName(const std::string& name) {
  if (name.empty()) return false;
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.')
      return false;
  return true;
}

}  // namespace qiao::config::detail
