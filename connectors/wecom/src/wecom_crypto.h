// WeCom callback crypto (the WXBizMsgCrypt scheme) as pure functions: SHA-1 signatures,
// AES-256-CBC with 32-byte PKCS#7 padding done by hand, URL verification, POST decryption
// and encrypted passive replies. Every failure is an Error value whose message starts with
// "wecom callback:" and names what was wrong; no input can crash these functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "qiao/core/result.h"

namespace qiao::connectors::wecom {

// The per-app callback settings (接收消息 → Token, EncodingAESKey) and the expected
// receiveid (corpid for self-built apps, suite id for third-party callbacks).
struct CallbackKeys {
  std::string token;
  std::array<unsigned char, 32> aes_key{};  // Base64Decode(EncodingAESKey + "=")
  std::string receive_id;
};

// Checks the EncodingAESKey (43 chars of [A-Za-z0-9]) and derives the AES key.
Result<CallbackKeys> makeCallbackKeys(std::string token, std::string_view encoding_aes_key,
                                      std::string receive_id);

// lowercase hex SHA-1 over the four strings sorted as bytes and concatenated.
std::string callbackSignature(std::string_view token, std::string_view timestamp,
                              std::string_view nonce, std::string_view encrypted);

// Strict base64 (RFC 4648 alphabet, '=' padding required); errors name the offset.
Result<std::string> base64Decode(std::string_view text);
std::string base64Encode(std::string_view bytes);

// Decrypts an Encrypt / echostr value (already URL-decoded) and returns the message after
// checking the padding, the length field and the receiveid. Does not check the signature.
Result<std::string> decryptPayload(const CallbackKeys& keys, std::string_view encrypted);

// GET URL verification: checks msg_signature over (token, timestamp, nonce, echostr) and
// returns the plaintext to answer with (HTTP 200, body exactly this, nothing else).
Result<std::string> verifyUrl(const CallbackKeys& keys, std::string_view msg_signature,
                              std::string_view timestamp, std::string_view nonce,
                              std::string_view echostr);

// POST: checks msg_signature over the envelope's Encrypt value and returns the event XML.
Result<std::string> decryptCallback(const CallbackKeys& keys, std::string_view msg_signature,
                                    std::string_view timestamp, std::string_view nonce,
                                    std::string_view encrypted);

// Encrypts msg for a passive reply: Base64(AES(random16 || len || msg || receiveid || pad)).
// random16 must be 16 bytes; pass real randomness (randomPrefix()) outside tests.
Result<std::string> encryptPayload(const CallbackKeys& keys, std::string_view msg,
                                   std::string_view random16);
std::string randomPrefix();  // 16 random alphanumeric bytes from OpenSSL's RAND_bytes

struct EncryptedReply {
  std::string encrypt;
  std::string msg_signature;
  std::string xml;  // <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>
};
Result<EncryptedReply> encryptReply(const CallbackKeys& keys, std::string_view msg,
                                    std::string_view timestamp, std::string_view nonce,
                                    std::string_view random16);

}  // namespace qiao::connectors::wecom
