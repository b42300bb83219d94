#include "oa_rsa.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

namespace qiao::connectors::oa {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

Error rsaError(const std::string& what) {
  return Error::permanent(ErrorCode::kConnectorError, "weaver rsa: " + what);
}

}  // namespace

std::string base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

bool base64Decode(const std::string& text, std::string* out) {
  std::string clean;
  std::string body = text;
  if (auto b = body.find("-----BEGIN"); b != std::string::npos) {  // PEM armour
    auto start = body.find('\n', b);
    auto end = body.find("-----END");
    if (start == std::string::npos || end == std::string::npos || end < start) return false;
    body = body.substr(start + 1, end - start - 1);
  }
  for (char c : body)
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') clean.push_back(c);
  if (clean.empty() || clean.size() % 4 != 0) return false;
  std::string buf(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (clean.back() == '=') ++pad;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') ++pad;
  buf.resize(static_cast<size_t>(n) - pad);
  *out = std::move(buf);
  return true;
}

Result<std::string> newClientPublicKey() {
  Pkey key(EVP_RSA_gen(2048));
  if (!key) return rsaError("could not generate a key pair");
  int len = i2d_PUBKEY(key.get(), nullptr);
  if (len <= 0) return rsaError("could not encode the public key");
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(key.get(), &p);
  return base64Encode(der);
}

Result<std::string> rsaEncryptBase64(const std::string& public_key_b64, const std::string& plaintext) {
  std::string der;
  if (!base64Decode(public_key_b64, &der))
    return rsaError("the server public key (spk) is not base64");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return rsaError("the server public key (spk) is not an X.509 public key");
  PkeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0)
    return rsaError("the server public key is not an RSA key");
  size_t out_len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, in, plaintext.size()) <= 0)
    return rsaError("encryption failed");
  std::string out(out_len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len, in,
                       plaintext.size()) <= 0)
    return rsaError("encryption failed (value too long for the key?)");
  out.resize(out_len);
  return base64Encode(out);
}

}  // namespace qiao::connectors::oa
