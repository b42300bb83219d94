// WeCom answers HTTP 200 even for business errors; `errcode` (0 = ok) decides. This maps an
// errcode to qiao's ErrorClass (reference wecom.md §3):
//   transient   -1 busy, 6000 version conflict, 45033 concurrency cap, 301057 approval
//               submit failure (retry once), 45009 rate limit (retry_after_ms = 60 s)
//   auth        40014 / 42001 invalid or expired token, 40001 (business calls) — refresh the
//               token once and retry once
//   permanent   everything else, including unknown codes (a resend would not help and may
//               be silently dropped by WeCom's per-member limits)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "qiao/core/result.h"

namespace qiao::connectors::wecom {

constexpr int64_t kRateLimitBlockMs = 60'000;  // the minute-level block window

// The errcode's class; 0 has no class (callers check it first).
ErrorClass classifyErrcode(int64_t errcode);
// Short English meaning from the table, "" if the code is not in it.
std::string_view errcodeMeaning(int64_t errcode);
// True for errcodes that mean "this access_token is bad, fetch another": 40014, 42001, 40001.
bool isTokenErrcode(int64_t errcode);

// A business reply, errcode 0.
struct ApiReply {
  std::string body;  // the JSON text, for fields such as msgid or access_token
};

// Turns an HTTP reply into ApiReply or a classified Error: non-2xx statuses (5xx/429
// transient, others permanent), a body that is not a JSON object, and errcode != 0. `what`
// names the call ("message/send"); the errmsg is passed through qiao::redact.
Result<ApiReply> checkApiReply(long http_status, std::string_view body, std::string_view what);

Error errcodeError(int64_t errcode, std::string_view errmsg, std::string_view what);

}  // namespace qiao::connectors::wecom
