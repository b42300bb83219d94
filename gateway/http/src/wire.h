// Encoding helpers shared by the handlers: errors, timestamps, query strings, and the JSON
// shapes of store objects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "qiao/core/json_depth.h"
#include "qiao/store/store.h"

namespace qiao::http::detail {

// {"error":{"code":"...","message":"..."}}
std::string errorBody(std::string_view code, std::string_view message);

// 2024-05-01T08:30:00.123Z; 0 -> "" (callers emit null instead).
std::string isoTime(int64_t ms);

// Percent-decoding ('+' is a space in query strings only). False on a bad escape.
bool percentDecode(std::string_view in, bool plus_is_space, std::string* out);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// False on a bad escape; *bad names the offending parameter.
bool parseQuery(std::string_view query, QueryParams* out, std::string* bad);

// Parses a decimal integer in [min, max]; no sign, no spaces.
bool parseInt(std::string_view text, int64_t min, int64_t max, int64_t* out);

nlohmann::ordered_json messageJson(const store::Message& m, bool with_payload);
nlohmann::ordered_json attemptJson(const store::Attempt& a);
nlohmann::ordered_json deadLetterJson(const store::DeadLetter& d);

}  // namespace qiao::http::detail

namespace qiao::http::detail {

// limit / cursor query parameters shared by the list endpoints. Returns false with *error
// set when value is bad; *handled tells whether name was one of the two.
bool parsePaging(const std::string& name, const std::string& value, int max_limit, int* limit,
                 int64_t* after_id, bool* handled, std::string* error);

using qiao::jsonNestingDepth;  // qiao/core/json_depth.h

// "malformed JSON at byte 12 (line 2, column 3): <parser's reason>"
std::string describeParseError(const nlohmann::ordered_json::parse_error& e);

}  // namespace qiao::http::detail

namespace qiao::http::detail {
// Compact dump that never throws on invalid UTF-8 from the store (replaces it with U+FFFD).
inline std::string dumpSafe(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}
}  // namespace qiao::http::detail
