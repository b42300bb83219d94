// libFuzzer target: the CSV reader on arbitrary bytes — encoding detection (BOM, UTF-8, else
// GB18030 through iconv), delimiter detection, the quoted-field state machine, record limits —
// and the table layer over it. Read twice: with the defaults (auto encoding and delimiter) and
// with tight limits and the encoding and delimiter chosen by the last byte, so the limit and
// decoding error paths run too. Every input ends in rows or an error naming the file; rows
// count up one by one; cell text is UTF-8; each record is valid JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "excel_fuzz_util.h"

namespace xl = qiao::excel;

namespace {

void readAll(const xl::fuzz::MemFile& file, const xl::ReadOptions& o) {
  auto s = xl::openSheet(file.path(), o);
  if (!s.ok()) { xl::fuzz::checkError(s.error(), file); return; }
  xl::Row row;
  int64_t last = 0;
  for (int r = 0; r < 100000; ++r) {
    auto more = (*s)->next(row);
    if (!more.ok()) { xl::fuzz::checkError(more.error(), file); return; }
    if (!*more) return;
    xl::fuzz::checkRow(row, o.limits);
    if (row.number != last + 1) __builtin_trap();  // records are numbered without gaps
    last = row.number;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static xl::fuzz::MemFile file;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  file.set(input);

  xl::ReadOptions o;
  o.format = xl::Format::kCsv;
  readAll(file, o);
  xl::fuzz::readTable(file, o, 100000);

  const unsigned char knob = size > 0 ? data[size - 1] : 0;
  xl::ReadOptions tight = o;
  tight.encoding = knob % 3 == 0 ? xl::Encoding::kAuto : knob % 3 == 1 ? xl::Encoding::kUtf8 : xl::Encoding::kGb18030;
  const char delims[4] = {0, ',', ';', '\t'};
  tight.delimiter = delims[(knob / 3) % 4];
  tight.allow_short_rows = (knob & 0x80) == 0;
  tight.limits.max_csv_record_bytes = 64;
  tight.limits.max_columns = 8;
  readAll(file, tight);
  xl::fuzz::readTable(file, tight, 100000);
  return 0;
}
