// The WeCom simulator's side of the WXBizMsgCrypt callback scheme, written independently of
// connectors/wecom (tests check one against the other): AES-256-CBC with IV = key[0..16),
// PKCS#7 to 32-byte blocks, plaintext random16 ‖ msg_len (big-endian) ‖ msg ‖ receiveid,
// and msg_signature = hex SHA-1 of the sorted token, timestamp, nonce and Encrypt.
#pragma once

#include <string>

namespace qiao::sim::wecom {

// Base64Decode(EncodingAESKey + "=") → 32 bytes; false with *error if the key is not 43
// characters of [A-Za-z0-9+/].
bool aesKeyFromEncoding(const std::string& encoding_aes_key, std::string* key32,
                        std::string* error);

std::string sha1Signature(const std::string& token, const std::string& timestamp,
                          const std::string& nonce, const std::string& encrypted);

// Base64 of the encrypted plaintext; random16 must be 16 bytes.
std::string encryptMessage(const std::string& key32, const std::string& msg,
                           const std::string& receive_id, const std::string& random16);

// n random characters of [A-Za-z0-9] / of [0-9] (nonces), from OpenSSL's RAND_bytes.
std::string randomAlnum(size_t n);
std::string randomDigits(size_t n);

// Text for an XML element: CDATA, with "]]>" split so it cannot end the section early.
std::string cdata(const std::string& text);

// %XX-encodes everything but unreserved characters (for echostr in a query).
std::string urlEncode(const std::string& text);

}  // namespace qiao::sim::wecom
