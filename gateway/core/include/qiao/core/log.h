// Structured logging: one JSON object per line (ts, level, event, then fields).
// Every registered secret is replaced by "***" in every line before it is written.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace qiao::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
};

void setLevel(Level level);
bool parseLevel(std::string_view text, Level* out);
// Write to this file (appending) instead of stderr; empty path = stderr.
bool setOutputFile(const std::string& path);

// A value that must never appear in a log line, an error or an API response.
void registerSecret(std::string secret);
// Replaces every registered secret in text with "***".
std::string redact(std::string_view text);

bool enabled(Level level);
void write(Level level, std::string_view event, std::initializer_list<Field> fields);

inline void debug(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kDebug, e, f); }
inline void info(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kInfo, e, f); }
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kWarn, e, f); }
inline void error(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kError, e, f); }

// JSON string escaping shared by the logger and hand-written JSON writers.
void appendJsonString(std::string& out, std::string_view s);

// A URL as safe to show in logs and errors: scheme://host[:port]/path, without user info,
// query or fragment (where tokens and keys travel). "<invalid url>" without a scheme.
std::string displayUrl(const std::string& url);

}  // namespace qiao::log
