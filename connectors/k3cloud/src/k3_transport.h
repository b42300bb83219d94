// HTTP for the K/3 client: POST JSON over libcurl with a pool of easy handles. A handle
// keeps its kept-alive connection, so a worker that calls in a loop reuses a warm connection;
// at most max_connections requests are in flight at once.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "k3_config.h"
#include "k3_response.h"

namespace qiao::connectors::k3cloud {

class Transport {
 public:
  explicit Transport(const K3Config& cfg);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // POSTs body to url with the given extra headers ("Name: value" lines). Returns the reply
  // (any HTTP status) or a transport Error (timeout, reset, refused: transient).
  // `what` names the call in error messages.
  Result<HttpReply> post(const std::string& url, const std::string& body,
                         const std::vector<std::string>& headers, const std::string& what);

  // Opens a connection to the base URL only (health).
  Status connectOnly(const std::string& url);

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> h);

  const K3Config& cfg_;
  std::mutex mu_;
  std::condition_variable free_cv_;
  int in_flight_ = 0;
  std::vector<std::unique_ptr<Handle>> idle_;
};

// Once per process, thread-safe.
void ensureCurlGlobalInit();

// A libcurl failure as a classified Error (timeouts and resets are transient).
Error transportError(int curl_code, const std::string& detail, const std::string& what);

}  // namespace qiao::connectors::k3cloud
