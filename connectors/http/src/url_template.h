// URL templates of the `http` sink: `{/json/pointer}` placeholders filled from each record's
// payload, percent-encoded ("http://crm/api/orders/{/orderId}/erp-status").
#pragma once

#include <string>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::connectors::http {

class UrlTemplate {
 public:
  // Errors (unclosed brace, placeholder not a JSON pointer) name the column in the URL.
  static Result<UrlTemplate> parse(const std::string& url);

  bool hasPlaceholders() const { return !pointers_.empty(); }
  // The URL with every placeholder filled from payload (JSON text). A placeholder whose value
  // is missing, null or not a string/number is a permanent error naming the pointer.
  Result<std::string> expand(const std::string& payload) const;
  // The URL up to the first placeholder: where health checks connect.
  const std::string& fixedPrefix() const { return literals_.front(); }

 private:
  std::vector<std::string> literals_{""};  // always pointers_.size() + 1 of them
  std::vector<std::string> pointers_;
};

}  // namespace qiao::connectors::http
