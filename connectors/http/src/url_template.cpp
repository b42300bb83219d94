#include "url_template.h"

#include <nlohmann/json.hpp>

namespace qiao::connectors::http {
namespace {

// RFC 3986 unreserved characters stay; everything else (including '/') is %XX.
std::string percentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

}  // namespace

Result<UrlTemplate> UrlTemplate::parse(const std::string& url) {
  UrlTemplate t;
  t.literals_.clear();
  std::string literal;
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] != '{') {
      literal.push_back(url[i]);
      continue;
    }
    size_t close = url.find('}', i);
    if (close == std::string::npos)
      return Error::permanent(ErrorCode::kConfigInvalid,
                              "url: '{' at column " + std::to_string(i + 1) +
                                  " is never closed; placeholders look like {/orderId}");
    std::string pointer = url.substr(i + 1, close - i - 1);
    if (pointer.empty() || pointer[0] != '/')
      return Error::permanent(ErrorCode::kConfigInvalid,
                              "url: placeholder at column " + std::to_string(i + 1) +
                                  " must be a JSON pointer such as {/orderId}; got {" + pointer +
                                  "}");
    try {
      (void)nlohmann::json::json_pointer(pointer);
    } catch (const nlohmann::json::exception& e) {
      return Error::permanent(ErrorCode::kConfigInvalid,
                              "url: placeholder {" + pointer + "} is not a valid JSON pointer");
    }
    t.literals_.push_back(std::move(literal));
    literal.clear();
    t.pointers_.push_back(std::move(pointer));
    i = close;
  }
  t.literals_.push_back(std::move(literal));
  return t;
}

Result<std::string> UrlTemplate::expand(const std::string& payload) const {
  if (pointers_.empty()) return literals_.front();
  auto doc = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "url template: the record is not valid JSON");
  std::string out = literals_[0];
  for (size_t i = 0; i < pointers_.size(); ++i) {
    const nlohmann::json::json_pointer ptr(pointers_[i]);
    std::string text;
    if (doc.contains(ptr)) {
      const auto& v = doc.at(ptr);
      if (v.is_string()) text = v.get<std::string>();
      else if (v.is_number()) text = v.dump();
    }
    if (text.empty())
      return Error::permanent(ErrorCode::kInvalidArgument,
                              "url template: {" + pointers_[i] +
                                  "} has no text or number value in the record");
    out += percentEncode(text);
    out += literals_[i + 1];
  }
  return out;
}

}  // namespace qiao::connectors::http
