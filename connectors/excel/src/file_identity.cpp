// File and row identity (SHA-256 through OpenSSL's EVP interface).
#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "qiao/excel/file_identity.h"

namespace qiao::excel {

namespace {
struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};
std::string hex(const unsigned char* d, unsigned n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += kHex[d[i] >> 4];
    s += kHex[d[i] & 15];
  }
  return s;
}
}  // namespace

std::string sha256Hex(std::string_view bytes) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &n, EVP_sha256(), nullptr);
  return hex(d, n);
}

Result<std::string> sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::permanent(ErrorCode::kNotFound, "cannot open " + path.substr(path.find_last_of('/') + 1));
  MdCtx md;
  EVP_DigestInit_ex(md.ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(md.ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Error::transient(ErrorCode::kInternal, "read error while hashing the file");
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(md.ctx, d, &n);
  return hex(d, n);
}

std::string rowContentKey(const std::vector<std::string>& values) {
  std::string joined;
  for (const auto& v : values) {
    size_t b = v.find_first_not_of(" \t\r\n");
    size_t e = v.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) joined.append(v, b, e - b + 1);
    joined += '\x1f';
  }
  return sha256Hex(joined).substr(0, 32);
}

std::string rowPositionKey(std::string_view file_sha256, std::string_view sheet, int64_t row) {
  std::string k(file_sha256.substr(0, 16));
  k += ':';
  k.append(sheet);
  k += ':';
  k += std::to_string(row);
  return k;
}

Status validateFileName(std::string_view name) {
  auto bad = [&](const char* why) {
    std::string shown(name.substr(0, 60));
    for (auto& ch : shown) {
      if (static_cast<unsigned char>(ch) < 0x20) ch = '?';
    }
    return Status(Error::permanent(ErrorCode::kInvalidArgument, "file name '" + shown + "' " + why));
  };
  if (name.empty()) return bad("is empty");
  if (name.size() > 255) return bad("is longer than 255 bytes");
  if (name[0] == '.') return bad("starts with '.'");
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c == '/' || c == '\\') return bad("contains a path separator");
    if (c < 0x20 || c == 0x7F) return bad("contains a control character");
    if (c >= 0x80) {  // UTF-8 well-formedness, so the name is printable in logs and the API
      size_t len = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
      if (len == 0 || i + len > name.size()) return bad("is not valid UTF-8");
      for (size_t k = 1; k < len; ++k) {
        if ((static_cast<unsigned char>(name[i + k]) & 0xC0) != 0x80) return bad("is not valid UTF-8");
      }
      i += len - 1;
    }
  }
  return Status();
}

}  // namespace qiao::excel
