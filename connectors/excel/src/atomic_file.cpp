// Atomic publication of written files and the formula-escaping rules shared by the writers.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "internal.h"
#include "qiao/excel/writer.h"

namespace qiao::excel {

bool needsFormulaEscape(std::string_view text) {
  if (text.empty()) return false;
  char c = text[0];
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

std::string escapeFormula(std::string_view text) {
  if (!needsFormulaEscape(text)) return std::string(text);
  std::string s = "'";
  s.append(text);
  return s;
}

bool looksLikeIdentifier(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return text.size() >= 12 || (text.size() > 1 && text[0] == '0');
}

std::string temporaryPathFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

Status publishFile(const std::string& tmp, const std::string& path) {
  const std::string name = detail::baseName(path);
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::permanent(ErrorCode::kInternal, name + ": temporary file vanished before rename");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    ::unlink(tmp.c_str());
    return Error::transient(ErrorCode::kInternal, name + ": fsync failed");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error::transient(ErrorCode::kInternal, name + ": rename into place failed");
  }
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status();
}

Status writeFileAtomically(const std::string& path, std::string_view bytes) {
  std::string tmp = temporaryPathFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error::transient(ErrorCode::kInternal, detail::baseName(path) + ": cannot create a file in its folder");
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error::transient(ErrorCode::kInternal, detail::baseName(path) + ": write failed (disk full?)");
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return publishFile(tmp, path);
}

}  // namespace qiao::excel
