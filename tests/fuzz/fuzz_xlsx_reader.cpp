// libFuzzer target: the .xlsx reader (minizip + expat, workbook, relationships, styles, shared
// strings, the sheet stream) and the table layer over it. Two kinds of input:
//   - bytes starting with "PK": the .xlsx file itself (zip structure, compression, limits);
//   - anything else: the parts of a workbook separated by 0xFF bytes — sheet1.xml,
//     sharedStrings.xml, styles.xml and optionally workbook.xml — zipped here uncompressed
//     with correct CRCs, so mutations reach the XML handlers instead of dying in inflate.
// Every input ends in rows or an error naming the file: never a crash, leak, UB or hang; cell
// text is UTF-8; a row has at most max_columns cells; each record is valid JSON.
// OLE files (.xls, encrypted workbooks) go to our compound-file reader and BIFF formula scan
// only (cfb.h), never to FreeXL, which is not ours to fix; bytes starting with a BIFF8 BOF
// record (09 08) are scanned as a Workbook stream directly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cfb.h"
#include "excel_fuzz_util.h"

namespace xl = qiao::excel;

namespace {

uint32_t crc32(std::string_view s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void le(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// A zip of stored entries.
std::string storedZip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out, central;
  for (const auto& [name, data] : entries) {
    const auto offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = crc32(data);
    const auto size = static_cast<uint32_t>(data.size());
    le(out, 0x04034b50, 4); le(out, 20, 2); le(out, 0, 2); le(out, 0, 2); le(out, 0, 2); le(out, 0, 2);
    le(out, crc, 4); le(out, size, 4); le(out, size, 4); le(out, static_cast<uint32_t>(name.size()), 2);
    le(out, 0, 2);
    out += name;
    out += data;
    le(central, 0x02014b50, 4); le(central, 20, 2); le(central, 20, 2); le(central, 0, 2); le(central, 0, 2);
    le(central, 0, 2); le(central, 0, 2); le(central, crc, 4); le(central, size, 4); le(central, size, 4);
    le(central, static_cast<uint32_t>(name.size()), 2); le(central, 0, 2); le(central, 0, 2);
    le(central, 0, 2); le(central, 0, 2); le(central, 0, 4); le(central, offset, 4);
    central += name;
  }
  const auto cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  le(out, 0x06054b50, 4); le(out, 0, 2); le(out, 0, 2);
  le(out, static_cast<uint32_t>(entries.size()), 2); le(out, static_cast<uint32_t>(entries.size()), 2);
  le(out, static_cast<uint32_t>(central.size()), 4); le(out, cd_offset, 4); le(out, 0, 2);
  return out;
}

std::string workbookFromParts(std::string_view input) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (parts.size() < 4) {
    size_t sep = input.find('\xFF', start);
    if (sep == std::string_view::npos) { parts.emplace_back(input.substr(start)); break; }
    parts.emplace_back(input.substr(start, sep - start));
    start = sep + 1;
  }
  parts.resize(4);
  const std::string rns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  const std::string pns = "http://schemas.openxmlformats.org/package/2006/relationships";
  std::string workbook = !parts[3].empty() ? parts[3]
      : "<workbook xmlns:r=\"" + rns + "\"><sheets><sheet name=\"S1\" sheetId=\"1\" r:id=\"rId1\"/>"
        "<sheet name=\"S2\" sheetId=\"2\" r:id=\"rId2\"/></sheets></workbook>";
  std::vector<std::pair<std::string, std::string>> e = {
      {"[Content_Types].xml", "<Types/>"},
      {"_rels/.rels", "<Relationships xmlns=\"" + pns + "\"><Relationship Id=\"rId1\" Type=\"" + rns +
                          "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"},
      {"xl/workbook.xml", workbook},
      {"xl/_rels/workbook.xml.rels",
       "<Relationships xmlns=\"" + pns + "\"><Relationship Id=\"rId1\" Type=\"" + rns +
           "/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"" + rns +
           "/worksheet\" Target=\"/xl/worksheets/../worksheets/sheet1.xml\"/><Relationship Id=\"rId3\" Type=\"" +
           rns + "/sharedStrings\" Target=\"sharedStrings.xml\"/><Relationship Id=\"rId4\" Type=\"" + rns +
           "/styles\" Target=\"styles.xml\"/></Relationships>"},
      {"xl/worksheets/sheet1.xml", parts[0]}};
  if (!parts[1].empty()) e.emplace_back("xl/sharedStrings.xml", parts[1]);
  if (!parts[2].empty()) e.emplace_back("xl/styles.xml", parts[2]);
  return storedZip(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static xl::fuzz::MemFile file;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.starts_with(std::string_view("\x09\x08", 2))) {
    for (const char* sheet : {"订单", "S"}) {
      auto cells = xl::detail::readXlsFormulaResults(std::string(input), sheet);
      if (cells.ok() && cells->size() > size / 20) __builtin_trap();  // a FORMULA record is 24+ bytes
    }
    return 0;
  }
  if (input.starts_with(std::string_view("\xD0\xCF\x11\xE0", 4))) {
    file.set(input);
    auto ole = xl::detail::CompoundFile::open(file.path());
    if (!ole.ok()) return 0;
    (void)(*ole)->hasStream("EncryptedPackage");
    auto stream = (*ole)->readStream("Workbook", 1u << 20);
    if (stream.ok()) {
      if (stream->size() > size * 2 + 4096) __builtin_trap();  // a stream is made of the file's sectors
      (void)xl::detail::readXlsFormulaResults(*stream, "订单");
    }
    return 0;
  }
  file.set(input.starts_with("PK") ? std::string(input) : workbookFromParts(input));

  xl::ReadOptions o;
  o.format = xl::Format::kXlsx;
  o.limits.max_entry_bytes = 4u << 20;  // small limits keep each run fast; the paths are the same
  o.limits.max_total_bytes = 8u << 20;
  o.limits.max_shared_strings_bytes = 1u << 20;
  o.limits.max_columns = 2048;
  auto sheets = xl::listSheets(file.path(), o);
  if (!sheets.ok()) {
    xl::fuzz::checkError(sheets.error(), file);
  } else {
    for (size_t i = 0; i < sheets->size() && i < 3; ++i) {
      if (!xl::fuzz::validUtf8((*sheets)[i])) __builtin_trap();
      xl::ReadOptions one = o;
      one.sheet_index = static_cast<int>(i);
      auto s = xl::openSheet(file.path(), one);
      if (!s.ok()) { xl::fuzz::checkError(s.error(), file); continue; }
      xl::Row row;
      for (int r = 0; r < 20000; ++r) {
        auto more = (*s)->next(row);
        if (!more.ok()) { xl::fuzz::checkError(more.error(), file); break; }
        if (!*more) break;
        xl::fuzz::checkRow(row, o.limits);
      }
    }
  }
  xl::fuzz::readTable(file, o, 20000);
  return 0;
}
