// Shared by the excel fuzz targets: the input as a file (the readers take paths; an anonymous
// memfd keeps it in memory and leaves nothing behind), and the checks every read must pass.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "qiao/excel/row_json.h"
#include "qiao/excel/sheet.h"

namespace qiao::excel::fuzz {

// One memfd per process, rewritten for each input; read through /proc/self/fd/N.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("qiao-excel-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) __builtin_trap();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
    name_ = std::to_string(fd_);
  }
  void set(std::string_view bytes) {
    if (::ftruncate(fd_, 0) != 0) __builtin_trap();
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) __builtin_trap();
      done += static_cast<size_t>(n);
    }
  }
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }  // what errors must start with

 private:
  int fd_;
  std::string path_, name_;
};

inline bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
               : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    auto c1 = len > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 >= 0x90)) {
      return false;
    }
    i += len;
  }
  return true;
}

// An error must name the file first ("3: ..."), like every error of the readers.
inline void checkError(const Error& e, const MemFile& f) {
  if (e.message.rfind(f.name() + ": ", 0) != 0) __builtin_trap();
}

// A row as read: a plausible number, at most max_columns cells, text that is UTF-8.
inline void checkRow(const Row& row, const Limits& limits) {
  if (row.number <= 0 || row.number > 1048576 * 64) __builtin_trap();
  if (row.cells.size() > limits.max_columns) __builtin_trap();
  if (!validUtf8(row.sheet)) __builtin_trap();
  for (const auto& c : row.cells) {
    if (!validUtf8(c.text)) __builtin_trap();
    if (c.type == CellType::kEmpty && !c.text.empty()) __builtin_trap();
  }
}

// The table layer over the same file: header, data rows, each row as a JSON record that
// parses. At most max_rows rows.
inline void readTable(const MemFile& f, const ReadOptions& o, int max_rows) {
  auto t = openTable(f.path(), o);
  if (!t.ok()) { checkError(t.error(), f); return; }
  for (const auto& h : (*t)->header()) {
    if (!validUtf8(h)) __builtin_trap();
  }
  RowConverter conv = RowConverter::fromHeader((*t)->header(), (*t)->dateSystem());
  Row row;
  for (int i = 0; i < max_rows; ++i) {
    auto more = (*t)->next(row);
    if (!more.ok()) { checkError(more.error(), f); return; }
    if (!*more) return;
    checkRow(row, o.limits);
    if (row.cells.size() > (*t)->header().size()) __builtin_trap();  // ragged rows are errors
    RowRecord rec = conv.convert(row);
    if (!nlohmann::json::accept(rec.json)) __builtin_trap();
    for (const auto& e : rec.errors) {
      if (!validUtf8(e.text())) __builtin_trap();
    }
  }
}

}  // namespace qiao::excel::fuzz
