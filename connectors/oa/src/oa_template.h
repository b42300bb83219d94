// Templates of the `oa` connector: text with {/json/pointer} placeholders filled from the
// record, plus the named values {key} (idempotency key) and {id} (request id). URLs are
// percent-encoded per placeholder; JSON templates put a whole value where a string is exactly
// one placeholder ("{/amount}" stays a number).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::connectors::oa {

class Template {
 public:
  // Errors name the setting (`what`) and the column of the bad placeholder.
  static Result<Template> parse(const std::string& text, const std::string& what);

  // Fills every placeholder. A pointer that is missing or not a scalar is a permanent error
  // naming it. url_encode: percent-encode each filled value.
  Result<std::string> expand(const nlohmann::json& record,
                             const std::map<std::string, std::string>& vars,
                             bool url_encode) const;

  const std::string& text() const { return text_; }

 private:
  struct Part {
    bool placeholder = false;
    std::string text;  // literal text, a pointer ("/a/b") or a name ("key")
  };
  std::string text_;
  std::string what_;
  std::vector<Part> parts_;
};

// A scalar as text (strings as they are, numbers and booleans as JSON); nullopt-like "" +
// false for objects, arrays and null.
bool scalarText(const nlohmann::json& v, std::string* out);

// Expands a JSON template: each string is a Template; a string that is one {/pointer}
// placeholder takes the record's value as it is (any JSON type).
Result<nlohmann::json> expandJson(const nlohmann::json& tmpl, const nlohmann::json& record,
                                  const std::map<std::string, std::string>& vars);

}  // namespace qiao::connectors::oa
