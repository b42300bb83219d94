#include "oa_template.h"

#include <cctype>

namespace qiao::connectors::oa {
namespace {

using nlohmann::json;

std::string percentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else out += {'%', kHex[c >> 4], kHex[c & 15]};
  }
  return out;
}

}  // namespace

bool scalarText(const json& v, std::string* out) {
  if (v.is_string()) *out = v.get<std::string>();
  else if (v.is_number() || v.is_boolean()) *out = v.dump();
  else return false;
  return true;
}

Result<Template> Template::parse(const std::string& text, const std::string& what) {
  Template t;
  t.text_ = text;
  t.what_ = what;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      literal.push_back(text[i]);
      continue;
    }
    size_t close = text.find('}', i);
    if (close == std::string::npos)
      return Error::permanent(ErrorCode::kConfigInvalid,
                              "'" + what + "': '{' at column " + std::to_string(i + 1) +
                                  " is never closed; placeholders look like {/orderNo} or {key}");
    std::string inner = text.substr(i + 1, close - i - 1);
    bool named = inner == "key" || inner == "id";
    if (!named) {
      if (inner.empty() || inner[0] != '/')
        return Error::permanent(ErrorCode::kConfigInvalid,
                                "'" + what + "': placeholder {" + inner + "} at column " +
                                    std::to_string(i + 1) + " must be a JSON pointer such as {/orderNo}, or {key} / {id}");
      try {
        (void)json::json_pointer(inner);
      } catch (const json::exception&) {
        return Error::permanent(ErrorCode::kConfigInvalid,
                                "'" + what + "': {" + inner + "} is not a valid JSON pointer");
      }
    }
    if (!literal.empty()) t.parts_.push_back({false, std::move(literal)});
    literal.clear();
    t.parts_.push_back({true, inner});
    i = close;
  }
  if (!literal.empty()) t.parts_.push_back({false, std::move(literal)});
  return t;
}

Result<std::string> Template::expand(const json& record, const std::map<std::string, std::string>& vars,
                                     bool url_encode) const {
  std::string out;
  for (const auto& p : parts_) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    std::string value;
    if (p.text.front() != '/') {
      auto it = vars.find(p.text);
      if (it == vars.end() || it->second.empty())
        return Error::permanent(ErrorCode::kInvalidArgument,
                                "'" + what_ + "': {" + p.text + "} has no value here");
      value = it->second;
    } else {
      const json::json_pointer ptr(p.text);
      if (!record.is_object() || !record.contains(ptr) || !scalarText(record.at(ptr), &value))
        return Error::permanent(ErrorCode::kInvalidArgument,
                                "'" + what_ + "': the record has no text or number at " + p.text);
    }
    out += url_encode ? percentEncode(value) : value;
  }
  return out;
}

Result<json> expandJson(const json& tmpl, const json& record, const std::map<std::string, std::string>& vars) {
  if (tmpl.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : tmpl.items()) {
      QIAO_ASSIGN_OR_RETURN(out[k], expandJson(v, record, vars));
    }
    return out;
  }
  if (tmpl.is_array()) {
    json out = json::array();
    for (const auto& v : tmpl) {
      QIAO_ASSIGN_OR_RETURN(json item, expandJson(v, record, vars));
      out.push_back(std::move(item));
    }
    return out;
  }
  if (!tmpl.is_string()) return tmpl;
  const std::string s = tmpl.get<std::string>();
  if (s.size() > 2 && s.front() == '{' && s[1] == '/' && s.back() == '}' &&
      s.find('{', 1) == std::string::npos) {
    const std::string ptr = s.substr(1, s.size() - 2);
    try {
      const json::json_pointer p(ptr);
      if (record.is_object() && record.contains(p)) return record.at(p);
    } catch (const json::exception&) {
    }
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "'create_body': the record has no value at " + ptr);
  }
  QIAO_ASSIGN_OR_RETURN(auto t, Template::parse(s, "create_body"));
  QIAO_ASSIGN_OR_RETURN(std::string text, t.expand(record, vars, false));
  return json(std::move(text));
}

}  // namespace qiao::connectors::oa
