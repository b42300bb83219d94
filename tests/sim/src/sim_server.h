// The qiao-sim framework: one POCO HTTP server that routes /sim/<simulator>/... to the
// Simulator registered under that name. Each simulator owns its state, its admin endpoints
// and (optionally) what it persists in the --state-file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace Poco {
class ThreadPool;
}
namespace Poco::Net {
class HTTPServer;
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace qiao::sim {

// Wakes handlers that sleep (timeouts, slow replies) when the server stops.
class StopSignal {
 public:
  // Returns false if the server stopped during the wait.
  bool sleepMs(int64_t ms);
  void trigger();
  bool stopped() const { return stopped_.load(); }
 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopped_{false};
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One request/response, as a simulator sees it.
class Exchange {
 public:
  Exchange(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
           std::string subpath, StopSignal& stop);

  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }        // decoded, without the query
  const std::string& rawUri() const { return raw_uri_; }   // as sent: still %-encoded
  const std::string& subpath() const { return subpath_; }  // after "/sim/<simulator>/"
  std::string query(const std::string& key, const std::string& fallback = "") const;
  std::string header(const std::string& name) const;       // case-insensitive, "" if absent
  HeaderList headers() const;                              // lower-case names
  const std::string& body() const { return body_; }
  const std::string& client() const { return client_; }    // "ip:port" of the peer

  void reply(int status, const std::string& body,
             const std::string& content_type = "application/json", const HeaderList& extra = {});
  void replyJson(int status, const nlohmann::json& body) { reply(status, body.dump()); }
  // Closes the connection with a TCP reset and no response at all.
  void abortConnection();
  bool sleepMs(int64_t ms) { return stop_.sleepMs(ms); }
  bool done() const { return done_; }

 private:
  Poco::Net::HTTPServerRequest& req_;
  Poco::Net::HTTPServerResponse& resp_;
  std::string method_, path_, raw_uri_, subpath_, body_, client_;
  std::map<std::string, std::string> query_;
  StopSignal& stop_;
  bool done_ = false;
};

class Simulator {
 public:
  virtual ~Simulator() = default;
  virtual std::string name() const = 0;  // mounted at /sim/<name>/
  virtual void handle(Exchange& ex) = 0;
  // State kept across restarts with --state-file; null = nothing to keep.
  virtual nlohmann::json saveState() { return nullptr; }
  virtual void loadState(const nlohmann::json& state) {}
  // True when something worth saving changed since the last saveState().
  virtual bool dirty() const { return false; }
};

class SimServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 9100;  // 0 = any free port
    int threads = 64;
    std::string state_file;
  };

  explicit SimServer(Options options);
  ~SimServer();
  void add(std::unique_ptr<Simulator> sim);
  // Loads the state file (if any), binds and starts serving.
  bool start(std::string* error);
  int port() const { return port_; }
  std::vector<std::string> names() const;
  // Saves the state file if a simulator changed (or always with force).
  bool saveState(bool force, std::string* error);
  void stop();

 private:
  bool loadState(std::string* error);
  void route(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
  friend class RouterHandler;

  Options options_;
  std::map<std::string, std::unique_ptr<Simulator>> sims_;  // fixed once started
  std::unique_ptr<Poco::ThreadPool> pool_;  // declared first: destroyed after server_
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  StopSignal stop_;
  std::mutex save_mu_;
  int port_ = 0;
};

}  // namespace qiao::sim
