// The POCO transport: thread-per-connection HTTPServer with keep-alive, bodies read with a
// hard cap, every response sent with Content-Length in one buffer.
#include "qiao/http/api_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>

#include <mutex>

#include "api.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::http {
namespace {

using detail::Api;

const std::string kEmpty;
constexpr size_t kChunk = 16384;
constexpr size_t kMaxLoggedPath = 200;

// Reads the body into req.body, never more than max_body + 1 bytes. Returns false when the
// connection must not be reused (body left unread or cut short).
bool readBody(Poco::Net::HTTPServerRequest& request, int64_t max_body, detail::Request& req) {
  std::istream& in = request.stream();
  if (request.hasContentLength()) {
    int64_t len = request.getContentLength64();
    if (len <= 0) return true;
    if (len > max_body) {
      req.body_too_large = true;  // not read: the connection is closed after the reply
      return false;
    }
    req.body.resize(static_cast<size_t>(len));
    in.read(req.body.data(), len);
    auto got = in.gcount();
    if (got != len) {
      req.body.resize(static_cast<size_t>(got));
      return false;
    }
    return true;
  }
  if (!request.getChunkedTransferEncoding()) return true;
  char buf[kChunk];
  while (in) {
    in.read(buf, sizeof buf);
    auto got = in.gcount();
    if (got <= 0) break;
    if (static_cast<int64_t>(req.body.size()) + got > max_body) {
      req.body_too_large = true;
      req.body.clear();
      return false;
    }
    req.body.append(buf, static_cast<size_t>(got));
  }
  return true;
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(Api& api, int64_t max_body, int64_t max_upload)
      : api_(api), max_body_(max_body), max_upload_(max_upload) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    int64_t t0 = steadyNowUs();
    detail::Request req;
    detail::Response resp;
    const std::string& uri = request.getURI();
    std::string_view uri_view(uri);
    size_t q = uri_view.find('?');
    req.path = uri_view.substr(0, q);
    if (q != std::string_view::npos) req.query = uri_view.substr(q + 1);
    req.method = request.getMethod();
    req.authorization = request.get("Authorization", kEmpty);
    req.idempotency_key = request.get("Idempotency-Key", kEmpty);
    req.trace_id = request.get("X-Trace-Id", kEmpty);
    if (detail::wantsAllHeaders(req.path)) {
      for (const auto& [name, value] : request) {
        std::string lower = Poco::toLower(name);
        req.headers.emplace(std::move(lower), value);  // a repeated header: the first wins
      }
    }

    bool keep_alive = true;
    try {
      keep_alive = readBody(request, detail::isUpload(req.path) ? max_upload_ : max_body_, req);
    } catch (const Poco::Exception& e) {
      keep_alive = false;
      detail::setError(resp, 400, "invalid_request", "cannot read the request body");
    }
    if (resp.error_code == nullptr) {
      try {
        api_.handle(req, resp);
      } catch (const std::exception& e) {
        // Last line of defence: handlers return errors as values; this is a bug or OOM.
        log::error("http.handler_exception", {{"error", e.what()}});
        resp = detail::Response{};
        detail::setError(resp, 500, "internal", "internal error");
      }
    }

    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    if (resp.content_type_text.empty()) response.setContentType(resp.content_type);
    else response.setContentType(resp.content_type_text);
    response.setContentLength64(static_cast<Poco::Int64>(resp.body.size()));
    if (resp.allow) response.set("Allow", resp.allow);
    if (resp.www_authenticate) response.set("WWW-Authenticate", "Bearer");
    if (resp.retry_after) response.set("Retry-After", "1");
    if (!keep_alive) response.setKeepAlive(false);
    try {
      response.sendBuffer(resp.body.data(), resp.body.size());
    } catch (const Poco::Exception&) {
      // The client went away; nothing to tell it.
    }

    int64_t latency = steadyNowUs() - t0;
    api_.observe(resp.endpoint, resp.status, latency);
    // Never the query string (it may carry keys) nor any header.
    if (resp.status >= 400) {
      log::warn("http.request", {{"method", req.method},
                                 {"path", req.path.substr(0, kMaxLoggedPath)},
                                 {"status", resp.status},
                                 {"code", resp.error_code ? resp.error_code : ""},
                                 {"latency_us", static_cast<long long>(latency)}});
    } else if (log::enabled(log::Level::kDebug)) {
      log::debug("http.request", {{"method", req.method},
                                  {"path", req.path.substr(0, kMaxLoggedPath)},
                                  {"status", resp.status},
                                  {"latency_us", static_cast<long long>(latency)}});
    }
  }

 private:
  Api& api_;
  int64_t max_body_;
  int64_t max_upload_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(Api& api, int64_t max_body, int64_t max_upload)
      : api_(api), max_body_(max_body), max_upload_(max_upload) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(api_, max_body_, max_upload_);
  }

 private:
  Api& api_;
  int64_t max_body_;
  int64_t max_upload_;
};

}  // namespace

struct ApiServer::Impl {
  Impl(runtime::Gateway& g, ApiServerOptions o) : gateway(g), options(std::move(o)) {}
  runtime::Gateway& gateway;
  ApiServerOptions options;
  std::mutex mu;
  std::unique_ptr<Api> api;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
};

ApiServer::ApiServer(runtime::Gateway& gateway, ApiServerOptions options)
    : impl_(std::make_unique<Impl>(gateway, std::move(options))) {
  if (impl_->options.max_threads <= 0) impl_->options.max_threads = 64;
  if (impl_->options.max_body_bytes <= 0) impl_->options.max_body_bytes = 1048576;
}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::start() {
  std::lock_guard lock(impl_->mu);
  auto& o = impl_->options;
  if (impl_->server) return Error::permanent(ErrorCode::kInvalidArgument, "already started");
  if (o.port < 0 || o.port > 65535) {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "server port " + std::to_string(o.port) + " is out of range");
  }
  try {
    Poco::Net::SocketAddress addr(o.host, static_cast<Poco::UInt16>(o.port));
    Poco::Net::ServerSocket socket;
    socket.bind(addr, /*reuseAddress=*/true);
    socket.listen(256);
    impl_->port = socket.address().port();

    auto params = new Poco::Net::HTTPServerParams;  // ref-counted; owned by the server
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setKeepAliveTimeout(Poco::Timespan(15, 0));
    params->setTimeout(Poco::Timespan(30, 0));
    params->setMaxThreads(o.max_threads);
    params->setMaxQueued(256);

    impl_->api = std::make_unique<Api>(impl_->gateway, o);
    impl_->pool = std::make_unique<Poco::ThreadPool>("qiao-http", 2, o.max_threads, 60);
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(
        new Factory(*impl_->api, o.max_body_bytes, o.max_upload_bytes), *impl_->pool, socket, params);
    impl_->server->start();
  } catch (const Poco::Exception& e) {
    impl_->server.reset();
    impl_->pool.reset();
    impl_->api.reset();
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                                e.displayText());
  }
  if (!o.require_auth) {
    log::warn("http.auth_disabled",
              {{"detail", "security.require_auth is false: every request acts as admin"}});
  }
  log::info("http.listening", {{"host", o.host}, {"port", impl_->port},
                               {"max_threads", o.max_threads}});
  return Status::okStatus();
}

int ApiServer::port() const { return impl_->port; }

void ApiServer::stop() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->server) return;
  // Stop accepting; each connection finishes its current request, then its socket is shut.
  impl_->server->stopAll(false);
  impl_->pool->joinAll();
  impl_->server.reset();
  impl_->pool.reset();
  impl_->api.reset();
  log::info("http.stopped", {{"port", impl_->port}});
}

}  // namespace qiao::http
