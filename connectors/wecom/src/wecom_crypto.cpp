#include "wecom_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace qiao::connectors::wecom {
namespace {

constexpr size_t kBlock = 32;        // WeCom pads to 32 bytes, not AES's 16
constexpr size_t kHeader = 16 + 4;   // random prefix + msg_len
constexpr size_t kMaxEncrypted = 4 * 1024 * 1024;  // callbacks are small; refuse huge input

Error fail(std::string what) {
  return Error::permanent(ErrorCode::kInvalidArgument, "wecom callback: " + std::move(what));
}

int base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// AES-256-CBC over whole blocks with OpenSSL's padding switched off (it pads to 16).
Result<std::string> aesCbc(const CallbackKeys& keys, std::string_view in, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return fail("cannot allocate a cipher context");
  const unsigned char* key = keys.aes_key.data();
  const unsigned char* iv = keys.aes_key.data();  // IV = first 16 key bytes
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key, iv, encrypt ? 1 : 0) != 1)
    return fail("cannot initialise AES-256-CBC");
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  std::string out(in.size() + 32, '\0');
  int n1 = 0, n2 = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_CipherUpdate(ctx.get(), o, &n1, reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), o + n1, &n2) != 1)
    return fail(encrypt ? "AES encryption failed" : "AES decryption failed");
  out.resize(static_cast<size_t>(n1 + n2));
  return out;
}

bool constantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<std::string> base64Decode(std::string_view text) {
  if (text.empty()) return fail("bad base64: empty");
  if (text.size() % 4 != 0)
    return fail("bad base64: length " + std::to_string(text.size()) +
                " is not a multiple of 4 (truncated?)");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      unsigned char c = static_cast<unsigned char>(text[i + k]);
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[k] = base64Value(c)) < 0)
        return fail("bad base64: unexpected character at offset " + std::to_string(i + k));
    }
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

std::string base64Encode(std::string_view bytes) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(n >> s) & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = at(i) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (rest == 2) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

Result<CallbackKeys> makeCallbackKeys(std::string token, std::string_view encoding_aes_key,
                                      std::string receive_id) {
  if (token.empty()) return fail("callback token is empty");
  if (encoding_aes_key.size() != 43)
    return fail("EncodingAESKey must be 43 characters, got " +
                std::to_string(encoding_aes_key.size()));
  for (size_t i = 0; i < encoding_aes_key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoding_aes_key[i]);
    if (base64Value(c) < 0)
      return fail("EncodingAESKey has an invalid character at position " + std::to_string(i));
  }
  auto raw = base64Decode(std::string(encoding_aes_key) + "=");
  if (!raw.ok()) return fail("EncodingAESKey is not base64");
  if (raw->size() != 32) return fail("EncodingAESKey does not decode to 32 bytes");
  CallbackKeys keys;
  keys.token = std::move(token);
  std::copy(raw->begin(), raw->end(), keys.aes_key.begin());
  keys.receive_id = std::move(receive_id);
  return keys;
}

std::string callbackSignature(std::string_view token, std::string_view timestamp,
                              std::string_view nonce, std::string_view encrypted) {
  std::array<std::string_view, 4> parts{token, timestamp, nonce, encrypted};
  std::sort(parts.begin(), parts.end());  // string_view compares bytes (char_traits<char>)
  std::string joined;
  for (auto p : parts) joined.append(p);
  unsigned char digest[SHA_DIGEST_LENGTH];
  unsigned int digest_len = 0;
  EVP_Digest(joined.data(), joined.size(), digest, &digest_len, EVP_sha1(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

Result<std::string> decryptPayload(const CallbackKeys& keys, std::string_view encrypted) {
  if (encrypted.size() > kMaxEncrypted)
    return fail("encrypted payload of " + std::to_string(encrypted.size()) +
                " bytes exceeds the limit");
  auto cipher = base64Decode(encrypted);
  if (!cipher.ok()) return cipher.takeError();
  if (cipher->empty() || cipher->size() % kBlock != 0)
    return fail("truncated ciphertext: " + std::to_string(cipher->size()) +
                " bytes is not a positive multiple of 32");
  auto plain = aesCbc(keys, *cipher, false);
  if (!plain.ok()) return plain.takeError();
  const std::string& p = *plain;
  unsigned pad = static_cast<unsigned char>(p.back());
  if (pad < 1 || pad > kBlock)
    return fail("bad padding: pad byte " + std::to_string(pad) + " outside 1..32 (wrong key?)");
  for (size_t i = p.size() - pad; i < p.size(); ++i)
    if (static_cast<unsigned char>(p[i]) != pad)
      return fail("bad padding: pad bytes differ (wrong key?)");
  size_t body = p.size() - pad;
  if (body < kHeader) return fail("truncated plaintext: shorter than the 20-byte header");
  uint32_t len = (static_cast<uint32_t>(static_cast<unsigned char>(p[16])) << 24) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(p[17])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(p[18])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(p[19]));
  if (len > body - kHeader)
    return fail("truncated plaintext: msg_len " + std::to_string(len) + " exceeds the " +
                std::to_string(body - kHeader) + " bytes present");
  std::string_view rid(p.data() + kHeader + len, body - kHeader - len);
  if (!constantTimeEqual(rid, keys.receive_id))
    return fail("wrong receiveid: the message was not encrypted for this corp/app");
  return std::string(p.data() + kHeader, len);
}

Result<std::string> verifyUrl(const CallbackKeys& keys, std::string_view msg_signature,
                              std::string_view timestamp, std::string_view nonce,
                              std::string_view echostr) {
  return decryptCallback(keys, msg_signature, timestamp, nonce, echostr);
}

Result<std::string> decryptCallback(const CallbackKeys& keys, std::string_view msg_signature,
                                    std::string_view timestamp, std::string_view nonce,
                                    std::string_view encrypted) {
  if (msg_signature.empty()) return fail("bad signature: msg_signature is missing");
  std::string expected = callbackSignature(keys.token, timestamp, nonce, encrypted);
  if (!constantTimeEqual(expected, msg_signature))
    return fail("bad signature: msg_signature does not match token/timestamp/nonce/payload");
  return decryptPayload(keys, encrypted);
}

std::string randomPrefix() {
  static const char* kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // RAND_bytes failing means the process has no entropy source; the prefix only needs to
    // vary, so fall back to the address-space-randomised pointer bits rather than crash.
    auto seed = reinterpret_cast<uintptr_t>(&raw);
    for (auto& b : raw) b = static_cast<unsigned char>(seed >>= 3);
  }
  std::string out(16, 'A');
  for (size_t i = 0; i < 16; ++i) out[i] = kAlnum[raw[i] % 62];
  return out;
}

Result<std::string> encryptPayload(const CallbackKeys& keys, std::string_view msg,
                                   std::string_view random16) {
  if (random16.size() != 16) return fail("the random prefix must be 16 bytes");
  if (msg.size() > kMaxEncrypted) return fail("reply too large to encrypt");
  std::string p(random16);
  uint32_t len = static_cast<uint32_t>(msg.size());
  p.push_back(static_cast<char>((len >> 24) & 0xFF));
  p.push_back(static_cast<char>((len >> 16) & 0xFF));
  p.push_back(static_cast<char>((len >> 8) & 0xFF));
  p.push_back(static_cast<char>(len & 0xFF));
  p.append(msg);
  p.append(keys.receive_id);
  size_t pad = kBlock - p.size() % kBlock;  // 1..32: a full block when already aligned
  p.append(pad, static_cast<char>(pad));
  auto cipher = aesCbc(keys, p, true);
  if (!cipher.ok()) return cipher.takeError();
  return base64Encode(*cipher);
}

Result<EncryptedReply> encryptReply(const CallbackKeys& keys, std::string_view msg,
                                    std::string_view timestamp, std::string_view nonce,
                                    std::string_view random16) {
  auto enc = encryptPayload(keys, msg, random16);
  if (!enc.ok()) return enc.takeError();
  EncryptedReply r;
  r.encrypt = std::move(enc).value();
  r.msg_signature = callbackSignature(keys.token, timestamp, nonce, r.encrypt);
  r.xml = "<xml><Encrypt><![CDATA[" + r.encrypt + "]]></Encrypt><MsgSignature><![CDATA[" +
          r.msg_signature + "]]></MsgSignature><TimeStamp>" + std::string(timestamp) +
          "</TimeStamp><Nonce><![CDATA[" + std::string(nonce) + "]]></Nonce></xml>";
  return r;
}

}  // namespace qiao::connectors::wecom
