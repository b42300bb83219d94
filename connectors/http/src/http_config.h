// Settings of one `http` sink instance, parsed from its validated JSON block.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "qiao/core/log.h"
#include "qiao/core/result.h"

namespace qiao::connectors::http {

struct HttpSinkConfig {
  std::string url;
  std::string method = "POST";
  int64_t timeout_ms = 10000;
  int64_t connect_timeout_ms = 3000;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::string auth_token;                                    // "" = no Authorization header
  std::string idempotency_header = "Idempotency-Key";
  std::string remote_id_field = "/id";                       // JSON pointer; "" = not used
  bool tls_verify = true;
  std::string ca_file;
};

// Parses a duration: integer milliseconds, or text such as "250ms", "10s", "2m", "1h"
// (bare digits in text are milliseconds too). Returns false on anything else.
bool parseDurationMs(const std::string& text, int64_t* out);

// Parses and checks the instance's JSON block. Errors are permanent kConfigInvalid and never
// echo the auth token.
Result<HttpSinkConfig> parseHttpSinkConfig(const std::string& json);

// The URL as safe to show (qiao/core/log.h).
using qiao::log::displayUrl;

}  // namespace qiao::connectors::http
