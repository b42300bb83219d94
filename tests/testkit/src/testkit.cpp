#include "qiao/testkit/testkit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace qiao::testkit {

TempDir::TempDir() {
  std::string tmpl = "/tmp/qiao-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!std::getenv("QIAO_KEEP_TMP")) std::filesystem::remove_all(path_, ec);
}

void writeFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string binPath(const std::string& name) {
  const char* dir = std::getenv("QIAO_BIN_DIR");
  return std::string(dir ? dir : QIAO_DEFAULT_BIN_DIR) + "/" + name;
}

std::string sourcePath(const std::string& rel) {
  const char* dir = std::getenv("QIAO_SOURCE_DIR");
  return std::string(dir ? dir : QIAO_DEFAULT_SOURCE_DIR) + "/" + rel;
}

Child::Child(const std::string& exe, const std::vector<std::string>& args,
             const std::string& stdout_file, const std::map<std::string, std::string>& env) {
  pid_ = ::fork();
  if (pid_ == 0) {
    if (!stdout_file.empty()) {
      int fd = ::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
    }
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    std::perror("execv");
    ::_exit(127);
  }
}

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    wait(5000);
  }
}

void Child::kill(int signal) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal);
}

int Child::wait(int timeout_ms) {
  if (reaped_) return status_;
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    ::usleep(10000);
  }
  return -1;
}

bool Child::running() {
  if (reaped_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

namespace {

bool sendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

HttpResponse http(const std::string& method, int port, const std::string& path,
                  const std::string& body, const std::map<std::string, std::string>& headers,
                  int timeout_ms) {
  HttpResponse resp;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return resp;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (lower(k) == "content-type") has_type = true;
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!has_type) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  if (!sendAll(fd, req)) {
    ::close(fd);
    return resp;
  }
  std::string raw;
  std::array<char, 8192> buf{};
  pollfd pfd{fd, POLLIN, 0};
  while (true) {
    int pr = ::poll(&pfd, 1, timeout_ms);
    if (pr <= 0) break;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    raw.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return resp;
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  if (line.size() > 12) resp.status = std::atoi(line.substr(9, 3).c_str());
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    resp.headers[lower(line.substr(0, colon))] = v;
  }
  std::string rest = raw.substr(head_end + 4);
  if (lower(resp.headers["transfer-encoding"]) == "chunked") {
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t len = std::strtoul(rest.substr(pos, eol - pos).c_str(), nullptr, 16);
      if (len == 0) break;
      resp.body += rest.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
  } else {
    resp.body = rest;
  }
  return resp;
}

int runCommand(const std::string& command_line, std::string* output) {
  std::string cmd = command_line + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf{};
  std::string out;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int startQiaoSim(std::unique_ptr<Child>* child, const std::string& out_file,
                 const std::vector<std::string>& extra, std::string* ready_text) {
  std::vector<std::string> args{"--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  *child = std::make_unique<Child>(binPath("qiao-sim"), args, out_file);
  std::string text;
  bool up = waitFor(
      [&] {
        text = readFile(out_file);
        return text.find("\"ready\"") != std::string::npos;
      },
      10000);
  if (ready_text) *ready_text = text;
  if (!up) return 0;
  // {"event":"ready","host":"127.0.0.1","port":N,...}
  size_t at = text.find("\"port\":");
  return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + 7);
}

}  // namespace qiao::testkit
