// libFuzzer target: what a WeCom callback can send us — the Encrypt text (base64 → AES-256-CBC
// → hand-made 32-byte PKCS#7 → length-prefixed message + receiveid), the envelope XML and the
// decrypted event XML. Every input ends in a value or an error, never a crash; and whatever we
// encrypt decrypts back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wecom_crypto.h"
#include "wecom_xml.h"

namespace w = qiao::connectors::wecom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The official test app of the reference (shared/reference/wecom.md).
  static const w::CallbackKeys keys =
      w::makeCallbackKeys("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
                          "wx5823bf96d3bd56c7")
          .value();
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:  // the Encrypt element as sent
      (void)w::decryptPayload(keys, rest);
      break;
    case 1:  // arbitrary ciphertext bytes: padding, msg_len and receiveid checks
      (void)w::decryptPayload(keys, w::base64Encode(rest));
      break;
    case 2:
      (void)w::parseEnvelope(rest);
      break;
    case 3:
      (void)w::parseEvent(rest);
      break;
    case 4: {  // round trip
      auto enc = w::encryptPayload(keys, rest, "0123456789abcdef");
      if (!enc.ok()) break;
      auto dec = w::decryptPayload(keys, *enc);
      if (!dec.ok() || *dec != rest) __builtin_trap();
      break;
    }
  }
  return 0;
}
