// A small reader of OLE compound files (MS-CFB), the container of .xls workbooks and of
// password-protected .xlsx files: the directory and whole streams, read sector by sector with
// pread. Every chain is bounded by the file's sector count, so a looping or broken FAT ends in
// an error, never a hang.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::excel::detail {

class CompoundFile {
 public:
  ~CompoundFile();
  CompoundFile(const CompoundFile&) = delete;
  CompoundFile& operator=(const CompoundFile&) = delete;
  // Errors are plain reasons ("the FAT ..."): callers put the file name in front.
  static Result<std::unique_ptr<CompoundFile>> open(const std::string& path);
  // Stream names (ASCII compared case-insensitively, as CFB does).
  bool hasStream(const std::string& name) const;
  // The whole stream; an error if it is absent, broken or larger than max_bytes.
  Result<std::string> readStream(const std::string& name, uint64_t max_bytes) const;

 private:
  struct Entry {
    std::string name;  // UTF-16 names reduced to their low bytes (enough for the names we look up)
    uint8_t type = 0;  // 1 storage, 2 stream, 5 root
    uint32_t start = 0;
    uint64_t size = 0;
  };
  CompoundFile() = default;
  Result<std::string> readSector(uint32_t sid) const;
  Result<std::vector<uint32_t>> chain(const std::vector<uint32_t>& table, uint32_t start, uint64_t limit) const;
  Result<std::string> readChain(uint32_t start, uint64_t size) const;
  const Entry* find(const std::string& name) const;

  int fd_ = -1;
  uint32_t sector_size_ = 512;
  uint32_t mini_cutoff_ = 4096;
  uint64_t sector_count_ = 0;  // sectors in the file after the header
  std::vector<uint32_t> fat_, mini_fat_;
  std::vector<Entry> entries_;
  mutable std::string mini_stream_;  // read on first use of a small stream
  mutable bool mini_loaded_ = false;
};

// Cached results of the formula cells of one .xls sheet (FreeXL leaves FORMULA records out):
// BIFF8 FORMULA records with their STRING follow-ups, typed through the cell's XF and the
// workbook's FORMAT records (dates) and DATEMODE. `sheet` is the name as FreeXL gives it.
struct XlsFormulaCell {
  uint32_t row = 0;
  uint16_t col = 0;
  enum Kind : uint8_t { kNumber, kDate, kString, kBool, kError } kind = kNumber;
  double number = 0;
  std::string text;  // kString, kError ("#DIV/0!"), kBool ("TRUE"/"FALSE")
};
Result<std::vector<XlsFormulaCell>> readXlsFormulaResults(const std::string& workbook_stream,
                                                          const std::string& sheet);

}  // namespace qiao::excel::detail
