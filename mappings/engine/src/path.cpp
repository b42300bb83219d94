#include "qiao/mapping/path.h"

#include <charconv>

namespace qiao::mapping {

namespace {

Error pathError(std::string_view text, size_t at, std::string_view why) {
  return Error::permanent(ErrorCode::kInvalidArgument,
                          "bad path '" + std::string(text) + "' at column " +
                              std::to_string(at + 1) + ": " + std::string(why));
}

bool parseIndex(std::string_view s, int64_t& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= 0;
}

}  // namespace

Result<Path> Path::compile(std::string_view text) {
  Path p;
  p.text_ = std::string(text);
  if (!text.empty() && text[0] == '/') {
    // JSON pointer (RFC 6901): ~1 is '/', ~0 is '~'.
    size_t i = 1;
    for (;;) {
      size_t e = text.find('/', i);
      std::string_view raw = text.substr(i, e == std::string_view::npos ? text.npos : e - i);
      Step st{Step::kPointer, {}, -1};
      for (size_t k = 0; k < raw.size(); ++k) {
        if (raw[k] == '~') {
          if (k + 1 < raw.size() && raw[k + 1] == '0') st.key.push_back('~');
          else if (k + 1 < raw.size() && raw[k + 1] == '1') st.key.push_back('/');
          else return pathError(text, i + k, "'~' must be followed by 0 or 1");
          ++k;
        } else {
          st.key.push_back(raw[k]);
        }
      }
      int64_t idx;
      if (parseIndex(st.key, idx)) st.index = idx;
      p.steps_.push_back(std::move(st));
      if (e == std::string_view::npos) break;
      i = e + 1;
    }
    return p;
  }
  size_t i = 0;
  if (text.substr(0, 1) == "$") i = 1;
  bool need_key = i == 0;  // after '.' or at the start a key (or '*') follows
  while (i < text.size()) {
    char c = text[i];
    if (c == '.') {
      if (need_key) return pathError(text, i, "empty key");
      need_key = true;
      ++i;
      continue;
    }
    if (c == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) return pathError(text, i, "missing ']'");
      std::string_view in = text.substr(i + 1, close - i - 1);
      if (in == "*") {
        p.steps_.push_back(Step{Step::kWildcard, {}, -1});
        p.wildcard_ = true;
      } else if (in.size() >= 2 && (in[0] == '"' || in[0] == '\'') && in.back() == in[0]) {
        p.steps_.push_back(Step{Step::kKey, std::string(in.substr(1, in.size() - 2)), -1});
      } else {
        int64_t idx;
        if (!parseIndex(in, idx)) return pathError(text, i + 1, "index must be a number, * or a quoted key");
        p.steps_.push_back(Step{Step::kIndex, {}, idx});
      }
      i = close + 1;
      need_key = false;
      continue;
    }
    if (!need_key && i != 0) return pathError(text, i, "expected '.' or '['");
    size_t e = text.find_first_of(".[", i);
    if (e == std::string_view::npos) e = text.size();
    std::string_view key = text.substr(i, e - i);
    if (key == "*") {
      p.steps_.push_back(Step{Step::kWildcard, {}, -1});
      p.wildcard_ = true;
    } else {
      p.steps_.push_back(Step{Step::kKey, std::string(key), -1});
    }
    need_key = false;
    i = e;
  }
  if (need_key && !text.empty() && text != "$") return pathError(text, text.size(), "empty key");
  return p;
}

namespace {

Value step(Value v, const Path::Step& s) {
  switch (s.type) {
    case Path::Step::kKey: return v.find(s.key);
    case Path::Step::kIndex: return v.at(static_cast<size_t>(s.index));
    case Path::Step::kPointer:
      if (v.isArray()) return s.index >= 0 ? v.at(static_cast<size_t>(s.index)) : Value();
      return v.find(s.key);
    case Path::Step::kWildcard: return {};
  }
  return {};
}

template <typename F>
bool walk(Value v, const std::vector<Path::Step>& steps, size_t i, F& f) {
  for (; i < steps.size(); ++i) {
    if (!v) return true;
    if (steps[i].type == Path::Step::kWildcard) {
      size_t n = v.size();
      bool arr = v.isArray();
      for (size_t k = 0; k < n; ++k)
        if (!walk(arr ? v.at(k) : v.valueAt(k), steps, i + 1, f)) return false;
      return true;
    }
    v = step(v, steps[i]);
  }
  return v ? f(v) : true;
}

}  // namespace

Value get(Value root, const Path& path) {
  Value found;
  auto first = [&](Value v) {
    found = v;
    return false;  // stop at the first match
  };
  walk(root, path.steps(), 0, first);
  return found;
}

void getAll(Value root, const Path& path, std::vector<Value>& out) {
  auto all = [&](Value v) {
    out.push_back(v);
    return true;
  };
  walk(root, path.steps(), 0, all);
}

Result<Value> setPath(Document& doc, const Path& path) {
  Value v = doc.root();
  for (const auto& s : path.steps()) {
    bool want_array = s.type == Path::Step::kIndex;
    switch (s.type) {
      case Path::Step::kWildcard:
        return pathError(path.text(), 0, "a wildcard cannot be a target");
      case Path::Step::kPointer:
        want_array = v.isArray();
        break;
      default: break;
    }
    if (v.isNull()) {
      if (want_array) v.setArray(); else v.setObject();
    }
    if (want_array) {
      if (!v.isArray()) return pathError(path.text(), 0, "'" + s.key + "' is not an array");
      auto idx = static_cast<size_t>(s.index);
      if (s.index < 0) return pathError(path.text(), 0, "'" + s.key + "' is not an index");
      while (v.size() <= idx) v.append();
      v = v.at(idx);
    } else {
      if (!v.isObject()) return pathError(path.text(), 0, "'" + s.key + "' is below a " + std::string(toString(v.kind())));
      v = v.set(s.key);
    }
  }
  return v;
}

Result<Value> setPath(Document& doc, std::string_view path) {
  QIAO_ASSIGN_OR_RETURN(Path p, Path::compile(path));
  return setPath(doc, p);
}

}  // namespace qiao::mapping
