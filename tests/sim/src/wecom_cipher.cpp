#include "wecom_cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <vector>

namespace qiao::sim::wecom {
namespace {

std::string base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

std::string randomFrom(const char* alphabet, size_t alphabet_size, size_t n) {
  std::vector<unsigned char> bytes(n);
  if (n > 0 && RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) {
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
  }
  std::string out(n, '0');
  for (size_t i = 0; i < n; ++i) out[i] = alphabet[bytes[i] % alphabet_size];
  return out;
}

}  // namespace

bool aesKeyFromEncoding(const std::string& key, std::string* key32, std::string* error) {
  if (key.size() != 43 || !std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '+' || c == '/';
      })) {
    *error = "encoding_aes_key must be 43 characters of [A-Za-z0-9]";
    return false;
  }
  std::string text = key + "=";
  std::array<unsigned char, 48> out{};
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 32) {
    *error = "encoding_aes_key is not base64";
    return false;
  }
  key32->assign(reinterpret_cast<const char*>(out.data()), 32);  // DecodeBlock keeps the pad byte
  return true;
}

std::string sha1Signature(const std::string& token, const std::string& timestamp,
                          const std::string& nonce, const std::string& encrypted) {
  std::array<std::string, 4> parts{token, timestamp, nonce, encrypted};
  std::sort(parts.begin(), parts.end());
  std::string joined = parts[0] + parts[1] + parts[2] + parts[3];
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

std::string encryptMessage(const std::string& key32, const std::string& msg,
                           const std::string& receive_id, const std::string& random16) {
  std::string plain = random16.substr(0, 16);
  plain.resize(16, '0');
  const uint32_t len = static_cast<uint32_t>(msg.size());
  plain += static_cast<char>((len >> 24) & 0xff);
  plain += static_cast<char>((len >> 16) & 0xff);
  plain += static_cast<char>((len >> 8) & 0xff);
  plain += static_cast<char>(len & 0xff);
  plain += msg;
  plain += receive_id;
  const size_t pad = 32 - plain.size() % 32;  // 1..32: a full block when already aligned
  plain.append(pad, static_cast<char>(pad));

  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                       EVP_CIPHER_CTX_free);
  const auto* key = reinterpret_cast<const unsigned char*>(key32.data());
  std::string out(plain.size() + 32, '\0');
  int n1 = 0, n2 = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key, key) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n1,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n1, &n2) != 1)
    return "";
  out.resize(static_cast<size_t>(n1 + n2));
  return base64(out);
}

std::string randomAlnum(size_t n) {
  static const char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return randomFrom(kAlnum, sizeof kAlnum - 1, n);
}

std::string randomDigits(size_t n) { return randomFrom("0123456789", 10, n); }

std::string cdata(const std::string& text) {
  std::string out = "<![CDATA[";
  size_t start = 0;
  for (size_t p = text.find("]]>"); p != std::string::npos; p = text.find("]]>", start)) {
    out += text.substr(start, p - start) + "]]]]><![CDATA[>";
    start = p + 3;
  }
  out += text.substr(start) + "]]>";
  return out;
}

std::string urlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace qiao::sim::wecom
