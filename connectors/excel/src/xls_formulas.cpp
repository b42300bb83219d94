// The cached results of formula cells in a BIFF8 workbook stream. FreeXL 1.0 skips FORMULA
// records, so without this an .xls with totals would import them as empty cells. Only what
// is needed is parsed: FORMAT, XF and BOUNDSHEET in the globals, FORMULA and STRING (with
// CONTINUE) in the sheet's substream. Every read is bounds-checked against its record.
#include <cmath>
#include <cstring>
#include <map>

#include "cfb.h"
#include "internal.h"

namespace qiao::excel::detail {

namespace {

struct Record {
  uint16_t type = 0;
  std::string_view data;
};

class Records {
 public:
  Records(std::string_view s, size_t at) : s_(s), at_(at) {}
  // false at the end of the stream or on a record that runs past it.
  bool next(Record* r) {
    if (at_ + 4 > s_.size()) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(s_.data() + at_);
    const size_t len = static_cast<size_t>(p[2] | (p[3] << 8));
    if (at_ + 4 + len > s_.size()) return false;
    r->type = static_cast<uint16_t>(p[0] | (p[1] << 8));
    r->data = s_.substr(at_ + 4, len);
    at_ += 4 + len;
    return true;
  }
  Record peek() {
    Record r;
    Records copy = *this;
    if (!copy.next(&r)) r.type = 0;
    return r;
  }

 private:
  std::string_view s_;
  size_t at_;
};

uint16_t u16(std::string_view d, size_t at) {
  return at + 2 <= d.size() ? static_cast<uint16_t>(static_cast<unsigned char>(d[at]) |
                                                   (static_cast<unsigned char>(d[at + 1]) << 8))
                            : 0;
}
uint32_t u32(std::string_view d, size_t at) {
  return static_cast<uint32_t>(u16(d, at)) | (static_cast<uint32_t>(u16(d, at + 2)) << 16);
}

void appendCodeUnit(std::string& out, uint32_t cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // pairs are rare in cell text; never CESU-8
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// `count` characters from d[at...]: 8-bit (Latin-1, the low bytes of UTF-16) or UTF-16LE.
// Returns how many characters were there.
size_t appendChars(std::string& out, std::string_view d, size_t at, size_t count, bool wide) {
  size_t done = 0;
  for (; done < count; ++done) {
    if (wide) {
      if (at + 2 > d.size()) break;
      appendCodeUnit(out, u16(d, at));
      at += 2;
    } else {
      if (at >= d.size()) break;
      appendCodeUnit(out, static_cast<unsigned char>(d[at]));
      at += 1;
    }
  }
  return done;
}

const char* errorText(uint8_t code) {
  switch (code) {
    case 0x00: return "#NULL!";
    case 0x07: return "#DIV/0!";
    case 0x0F: return "#VALUE!";
    case 0x17: return "#REF!";
    case 0x1D: return "#NAME?";
    case 0x24: return "#NUM!";
    case 0x2A: return "#N/A";
    default: return "#N/A";
  }
}

}  // namespace

Result<std::vector<XlsFormulaCell>> readXlsFormulaResults(const std::string& stream, const std::string& sheet) {
  // Globals: number formats, XFs, sheet offsets.
  std::map<uint16_t, bool> custom_date;
  std::vector<bool> xf_is_date;
  int64_t sheet_at = -1;
  Records globals(stream, 0);
  Record r;
  if (!globals.next(&r) || r.type != 0x0809) return readError("the workbook stream does not start with a BOF record");
  while (globals.next(&r) && r.type != 0x000A) {
    if (r.type == 0x041E && r.data.size() >= 5) {  // FORMAT: ifmt, XLUnicodeString
      const uint16_t id = u16(r.data, 0);
      const size_t cch = u16(r.data, 2);
      const auto flags = static_cast<uint8_t>(r.data[4]);
      size_t at = 5 + ((flags & 0x08) ? 2 : 0) + ((flags & 0x04) ? 4 : 0);
      std::string code;
      appendChars(code, r.data, at, cch, (flags & 0x01) != 0);
      custom_date[id] = isDateFormatCode(code);
    } else if (r.type == 0x00E0 && r.data.size() >= 4) {  // XF: font, format, ...
      const uint16_t fmt = u16(r.data, 2);
      auto it = custom_date.find(fmt);
      xf_is_date.push_back(it != custom_date.end() ? it->second : isBuiltinDateFormat(fmt));
    } else if (r.type == 0x0085 && r.data.size() >= 8) {  // BOUNDSHEET: offset, state, type, name
      const size_t cch = static_cast<unsigned char>(r.data[6]);
      std::string name;
      appendChars(name, r.data, 8, cch, (r.data[7] & 0x01) != 0);
      if (name == sheet && sheet_at < 0) sheet_at = u32(r.data, 0);
    }
  }
  if (sheet_at < 0) return readError("no sheet '" + sheet + "' in the workbook stream");
  if (static_cast<size_t>(sheet_at) >= stream.size()) return readError("sheet '" + sheet + "' starts outside the workbook stream");

  std::vector<XlsFormulaCell> out;
  Records recs(stream, static_cast<size_t>(sheet_at));
  if (!recs.next(&r) || r.type != 0x0809) return readError("sheet '" + sheet + "' does not start with a BOF record");
  int depth = 1;  // embedded chart substreams have their own BOF ... EOF
  while (depth > 0 && recs.next(&r)) {
    if (r.type == 0x0809) { ++depth; continue; }
    if (r.type == 0x000A) { --depth; continue; }
    if (depth != 1 || r.type != 0x0006 || r.data.size() < 20) continue;
    XlsFormulaCell cell;
    cell.row = u16(r.data, 0);
    cell.col = u16(r.data, 2);
    const uint16_t xf = u16(r.data, 4);
    if (u16(r.data, 12) == 0xFFFF) {
      const auto kind = static_cast<uint8_t>(r.data[6]);
      if (kind == 1) {
        cell.kind = XlsFormulaCell::kBool;
        cell.text = r.data[8] != 0 ? "TRUE" : "FALSE";
      } else if (kind == 2) {
        cell.kind = XlsFormulaCell::kError;
        cell.text = errorText(static_cast<uint8_t>(r.data[8]));
      } else if (kind == 0) {
        // The text follows in a STRING record (after any SHRFMLA / ARRAY / TABLE record).
        Record s;
        while ((s = recs.peek()).type == 0x04BC || s.type == 0x0221 || s.type == 0x0236) recs.next(&s);
        if (recs.peek().type != 0x0207) continue;  // no cached text: an empty cell, as Excel shows
        recs.next(&s);
        if (s.data.size() < 3) continue;
        size_t want = u16(s.data, 0);
        want -= appendChars(cell.text, s.data, 3, want, (s.data[2] & 0x01) != 0);
        // A long text goes on in CONTINUE records, each starting with its own flags byte.
        while (want > 0 && recs.peek().type == 0x003C) {
          recs.next(&s);
          if (s.data.empty()) break;
          want -= appendChars(cell.text, s.data, 1, want, (s.data[0] & 0x01) != 0);
        }
        cell.kind = XlsFormulaCell::kString;
        if (cell.text.empty()) continue;
      } else {
        continue;  // an empty-string result: the cell shows nothing
      }
    } else {
      std::memcpy(&cell.number, r.data.data() + 6, sizeof cell.number);
      if (!std::isfinite(cell.number)) continue;  // no value Excel could have cached
      cell.kind = xf < xf_is_date.size() && xf_is_date[xf] ? XlsFormulaCell::kDate : XlsFormulaCell::kNumber;
    }
    out.push_back(std::move(cell));
  }
  return out;
}

}  // namespace qiao::excel::detail
