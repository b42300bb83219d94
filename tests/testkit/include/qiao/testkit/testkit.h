// Test helpers shared by every test: temp dirs, free ports, child processes, a tiny HTTP client.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qiao::testkit {

// A fresh directory under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
 private:
  std::string path_;
};

void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago.
int freePort();

// Path of a built binary (bin/qiao, bin/qiao-sim) and of the source tree.
std::string binPath(const std::string& name);
std::string sourcePath(const std::string& rel);

// A child process; killed (SIGKILL) on destruction if still running.
class Child {
 public:
  Child(const std::string& exe, const std::vector<std::string>& args,
        const std::string& stdout_file = "", const std::map<std::string, std::string>& env = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  int pid() const { return pid_; }
  void kill(int signal);
  // Waits up to timeout_ms; returns the exit code (128+signal if killed), or -1 on timeout.
  int wait(int timeout_ms);
  bool running();
 private:
  int pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

struct HttpResponse {
  int status = 0;  // 0 = connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// Starts the built qiao-sim on a free port (`--port 0` plus extra arguments), its stdout in
// out_file, and waits for its ready line. Returns the port, or 0 (with *ready_text holding
// what it printed) when it did not come up within 10 s.
int startQiaoSim(std::unique_ptr<Child>* child, const std::string& out_file,
                 const std::vector<std::string>& extra = {}, std::string* ready_text = nullptr);

// One blocking HTTP/1.1 request to 127.0.0.1:port (new connection each time).
HttpResponse http(const std::string& method, int port, const std::string& path,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}, int timeout_ms = 10000);

// Polls until the predicate holds or timeout_ms passes; returns the predicate's last value.
template <typename Pred>
bool waitFor(Pred pred, int timeout_ms, int step_ms = 20);

// Runs a command line, returns exit status and captures stdout+stderr into *output.
int runCommand(const std::string& command_line, std::string* output);

}  // namespace qiao::testkit

#include <chrono>
#include <thread>
template <typename Pred>
bool qiao::testkit::waitFor(Pred pred, int timeout_ms, int step_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  }
  return pred();
}
