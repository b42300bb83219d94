// The HTTP API: ingest, message and dead-letter inspection, replay, health and metrics.
// See docs/api.md for every endpoint.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "qiao/core/result.h"

namespace qiao::runtime { class Gateway; }

namespace qiao::http {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                   // 0 = ephemeral; read it back with port()
  int64_t max_body_bytes = 1048576;
  int max_threads = 64;
  bool require_auth = true;          // false: every request acts as admin (local dev only)
  int64_t max_upload_bytes = 67108864;  // POST /api/v1/jobs/{job}/files (spreadsheets)
};

class ApiServer {
 public:
  ApiServer(runtime::Gateway& gateway, ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving. Fails (kInvalidArgument / kInternal) if the address cannot be bound.
  Status start();
  // The bound port (after start()).
  int port() const;
  // Stops accepting, lets requests in progress finish, then returns. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qiao::http
