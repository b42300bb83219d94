// RSA as E9 uses it: keys travel as base64 of the X.509 SubjectPublicKeyInfo DER (Java's
// PublicKey.getEncoded()), values are encrypted with RSA/ECB/PKCS1Padding and sent base64.
#pragma once

#include <string>

#include "qiao/core/result.h"

namespace qiao::connectors::oa {

std::string base64Encode(const std::string& bytes);
// Accepts line breaks and PEM armour; false on invalid input.
bool base64Decode(const std::string& text, std::string* out);

// A fresh 2048-bit client key pair; returns the public half (base64 SPKI). The private half
// is not needed: E9 never sends anything encrypted for the client.
Result<std::string> newClientPublicKey();

// RSA-PKCS#1 v1.5 encryption of plaintext with a base64 SPKI public key, base64 out.
Result<std::string> rsaEncryptBase64(const std::string& public_key_b64, const std::string& plaintext);

}  // namespace qiao::connectors::oa
