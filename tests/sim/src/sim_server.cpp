#include "sim_server.h"

#include <Poco/ErrorHandler.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qiao::sim {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Clients that time out or are reset make later writes fail; that is expected here.
class QuietErrorHandler : public Poco::ErrorHandler {
 public:
  void exception(const Poco::Exception&) override {}
  void exception(const std::exception&) override {}
  void exception() override {}
};

}  // namespace

bool StopSignal::sleepMs(int64_t ms) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopped_.load(); });
}

void StopSignal::trigger() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

Exchange::Exchange(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                   std::string subpath, StopSignal& stop)
    : req_(req), resp_(resp), method_(req.getMethod()), subpath_(std::move(subpath)),
      client_(req.clientAddress().toString()), stop_(stop) {
  raw_uri_ = req.getURI();
  Poco::URI uri(raw_uri_);
  path_ = uri.getPath();
  for (const auto& [k, v] : uri.getQueryParameters()) query_[k] = v;
  if (req.hasContentLength() || req.getChunkedTransferEncoding())
    Poco::StreamCopier::copyToString(req.stream(), body_);
}

std::string Exchange::query(const std::string& key, const std::string& fallback) const {
  auto it = query_.find(key);
  return it == query_.end() ? fallback : it->second;
}

std::string Exchange::header(const std::string& name) const { return req_.get(name, ""); }

HeaderList Exchange::headers() const {
  HeaderList out;
  for (const auto& [k, v] : req_) out.emplace_back(lower(k), v);
  return out;
}

void Exchange::reply(int status, const std::string& body, const std::string& content_type,
                     const HeaderList& extra) {
  if (done_) return;
  done_ = true;
  resp_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp_.setKeepAlive(req_.getKeepAlive());
  resp_.setContentType(content_type);
  for (const auto& [k, v] : extra) resp_.add(k, v);  // add: two Set-Cookie lines stay two
  resp_.setContentLength(static_cast<std::streamsize>(body.size()));
  resp_.sendBuffer(body.data(), body.size());
}

void Exchange::abortConnection() {
  if (done_) return;
  done_ = true;
  resp_.setKeepAlive(false);
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req_);
  if (!impl) return;
  // SO_LINGER 0 turns close() into a TCP RST: the client sees a reset, not an empty reply.
  auto& socket = impl->socket();
  socket.setLinger(true, 0);
  socket.close();
}

class RouterHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RouterHandler(SimServer& server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    server_.route(req, resp);
  }
 private:
  SimServer& server_;
};

namespace {

class RouterFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RouterFactory(SimServer& server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RouterHandler(server_);
  }
 private:
  SimServer& server_;
};

}  // namespace

SimServer::SimServer(Options options) : options_(std::move(options)) {}

SimServer::~SimServer() { stop(); }

void SimServer::add(std::unique_ptr<Simulator> sim) {
  auto name = sim->name();
  sims_[name] = std::move(sim);
}

std::vector<std::string> SimServer::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : sims_) out.push_back(n);
  return out;
}

void SimServer::route(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  std::string uri = req.getURI();
  static const std::string kPrefix = "/sim/";
  std::string rest = uri.rfind(kPrefix, 0) == 0 ? uri.substr(kPrefix.size()) : "";
  auto q = rest.find('?');
  std::string path_only = q == std::string::npos ? rest : rest.substr(0, q);
  auto slash = path_only.find('/');
  std::string sim_name = path_only.substr(0, slash);
  std::string subpath = slash == std::string::npos ? "" : path_only.substr(slash + 1);
  try {
    std::string decoded;
    Poco::URI::decode(subpath, decoded);
    Exchange ex(req, resp, decoded, stop_);
    if (sim_name == "_health") {
      ex.replyJson(200, {{"ok", true}, {"simulators", names()}});
      return;
    }
    auto it = sims_.find(sim_name);
    if (it == sims_.end()) {
      ex.replyJson(404, {{"error", "no simulator at " + ex.path()}, {"simulators", names()}});
      return;
    }
    it->second->handle(ex);
    if (!ex.done()) ex.replyJson(500, {{"error", "simulator gave no reply"}});
  } catch (const std::exception& e) {
    if (!resp.sent()) {
      std::string body = nlohmann::json{{"error", e.what()}}.dump();
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
      resp.setContentType("application/json");
      resp.setContentLength(static_cast<std::streamsize>(body.size()));
      resp.sendBuffer(body.data(), body.size());
    }
  }
}

bool SimServer::loadState(std::string* error) {
  if (options_.state_file.empty() || !std::filesystem::exists(options_.state_file)) return true;
  try {
    std::ifstream in(options_.state_file);
    auto j = nlohmann::json::parse(in);
    for (auto& [name, sim] : sims_) {
      if (j.contains("simulators") && j["simulators"].contains(name))
        sim->loadState(j["simulators"][name]);
    }
  } catch (const std::exception& e) {
    *error = "cannot read state file " + options_.state_file + ": " + e.what();
    return false;
  }
  return true;
}

bool SimServer::saveState(bool force, std::string* error) {
  if (options_.state_file.empty()) return true;
  std::lock_guard lock(save_mu_);
  bool any = force;
  for (const auto& [_, sim] : sims_) any = any || sim->dirty();
  if (!any) return true;
  nlohmann::json j{{"simulators", nlohmann::json::object()}};
  for (auto& [name, sim] : sims_) {
    auto s = sim->saveState();
    if (!s.is_null()) j["simulators"][name] = std::move(s);
  }
  std::string tmp = options_.state_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump();
    if (!out) {
      *error = "cannot write " + tmp;
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, options_.state_file, ec);
  if (ec) {
    *error = "cannot replace " + options_.state_file + ": " + ec.message();
    return false;
  }
  return true;
}

bool SimServer::start(std::string* error) {
  if (!loadState(error)) return false;
  static QuietErrorHandler quiet;
  Poco::ErrorHandler::set(&quiet);
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(options_.host, static_cast<uint16_t>(options_.port)),
                true);
    socket.listen(512);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.threads);
    params->setMaxQueued(1024);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited requests per connection
    params->setKeepAliveTimeout(Poco::Timespan(30, 0));
    params->setTimeout(Poco::Timespan(60, 0));
    // The pool outlives the server: stop() joins its threads after the server stopped.
    pool_ = std::make_unique<Poco::ThreadPool>(4, options_.threads + 4);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RouterFactory(*this), *pool_, socket,
                                                      params);
    server_->start();
  } catch (const Poco::Exception& e) {
    *error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
             e.displayText();
    return false;
  }
  return true;
}

void SimServer::stop() {
  stop_.trigger();
  if (server_) {
    server_->stopAll(true);
    server_.reset();
  }
  if (pool_) pool_->joinAll();  // no connection thread may outlive the simulators
}

}  // namespace qiao::sim
