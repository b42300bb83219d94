// WXBizMsgCrypt: the official test vectors (reference wecom.md §7.5, TV1–TV5) and our own
// round trips, tampering, wrong receiveid and padding edge cases.
#include <gtest/gtest.h>

#include <string>

#include <openssl/evp.h>

#include "wecom_crypto.h"

namespace w = qiao::connectors::wecom;

namespace {

w::CallbackKeys keys(const std::string& token, const std::string& aes, const std::string& rid) {
  auto k = w::makeCallbackKeys(token, aes, rid);
  EXPECT_TRUE(k.ok()) << (k.ok() ? "" : k.error().message);
  return k.ok() ? *k : w::CallbackKeys{};
}
w::CallbackKeys tv1Keys() {
  return keys("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7");
}
w::CallbackKeys tv3Keys() {
  return keys("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
              "ww1436e0e65a779aee");
}
w::CallbackKeys tv5Keys() {
  return keys("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a");
}
std::string hex(const unsigned char* p, size_t n) {
  static const char* h = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += {h[p[i] >> 4], h[p[i] & 15]};
  return s;
}
std::string errorOf(const qiao::Result<std::string>& r) { return r.ok() ? "" : r.error().message; }

const char* kTv2Encrypt =
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
const char* kTv4Encrypt =
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+";
const char* kTv5Encrypt =
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";

}  // namespace

TEST(WecomCryptoVectors, Tv1KeyDerivationAndUrlVerification) {
  auto k = tv1Keys();
  EXPECT_EQ(hex(k.aes_key.data(), 32),
            "8d69989bbaabe67328014c194631ad0719b3dca035b64023df292447aab60760");
  const std::string echostr =
      "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
  EXPECT_EQ(w::callbackSignature(k.token, "1409659589", "263014780", echostr),
            "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3");
  auto r = w::verifyUrl(k, "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589",
                        "263014780", echostr);
  ASSERT_TRUE(r.ok()) << errorOf(r);
  EXPECT_EQ(*r, "1616140317555161061");
}

TEST(WecomCryptoVectors, Tv2PostWithPadAbove16) {
  auto k = tv1Keys();
  auto r = w::decryptCallback(k, "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813",
                              "1372623149", kTv2Encrypt);
  ASSERT_TRUE(r.ok()) << errorOf(r);
  EXPECT_EQ(r->size(), 284u);
  EXPECT_NE(r->find("<Content><![CDATA[hello]]></Content>"), std::string::npos) << *r;
  EXPECT_NE(r->find("mycreate"), std::string::npos);
  EXPECT_NE(r->find("4561255354251345929"), std::string::npos);
  EXPECT_NE(r->find("<AgentID>218</AgentID>"), std::string::npos);
}

TEST(WecomCryptoVectors, Tv3UrlVerification) {
  auto k = tv3Keys();
  EXPECT_EQ(hex(k.aes_key.data(), 32),
            "eaa91d32babaf274ca76ece72583b5037ed6da8120a64314be4b6d453a2a854b");
  auto r = w::verifyUrl(
      k, "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683",
      "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==");
  ASSERT_TRUE(r.ok()) << errorOf(r);
  EXPECT_EQ(*r, "1288432023552776189");
}

TEST(WecomCryptoVectors, Tv4ChineseTextLengthIsInBytes) {
  auto k = tv3Keys();
  auto r = w::decryptCallback(k, "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779",
                              "1597212914", kTv4Encrypt);
  ASSERT_TRUE(r.ok()) << errorOf(r);
  EXPECT_EQ(r->size(), 228u);
  EXPECT_EQ(*r,
            "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</"
            "FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>"
            "\xe4\xbd\xa0\xe5\xa5\xbd</Content><MsgId>1456453720</MsgId><AgentID>1000002</"
            "AgentID></xml>");
}

TEST(WecomCryptoVectors, Tv5UrlCheckAndWrongNonce) {
  auto k = tv5Keys();
  EXPECT_EQ(hex(k.aes_key.data(), 32),
            "916c4f115d94103cb15a998f74a0b71787603c398ebdf297d471a71140d2d5a4");
  const std::string echostr =
      "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
  auto ok = w::verifyUrl(k, "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780",
                         "437374425", echostr);
  ASSERT_TRUE(ok.ok()) << errorOf(ok);
  EXPECT_EQ(*ok, "5927782489442352469");
  auto bad = w::verifyUrl(k, "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780",
                          "437374424", echostr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("bad signature"), std::string::npos);
}

TEST(WecomCryptoVectors, Tv5PostDecryptWithPadOne) {
  auto k = tv5Keys();
  auto r = w::decryptCallback(k, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903",
                              "461056294", kTv5Encrypt);
  ASSERT_TRUE(r.ok()) << errorOf(r);
  EXPECT_EQ(r->size(), 281u);
  EXPECT_NE(r->find("messense"), std::string::npos);
  EXPECT_NE(r->find("<![CDATA[test]]>"), std::string::npos);
}

TEST(WecomCryptoVectors, Tv5DeterministicEncryptAndReplySignature) {
  auto k = tv5Keys();
  const std::string msg =
      "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
      "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n"
      "<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n"
      "<CreateTime>1411525903</CreateTime>\n</xml>";
  ASSERT_EQ(msg.size(), 247u);
  auto r = w::encryptReply(k, msg, "1411525903", "461056294", "1234567890123456");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->encrypt,
            "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3");
  EXPECT_EQ(r->msg_signature, "407518b7649e86ef23978113f92d27afa9296533");
  EXPECT_NE(r->xml.find("<MsgSignature><![CDATA[407518b7649e86ef23978113f92d27afa9296533]]>"),
            std::string::npos);
}

// ---- our own vectors ----

TEST(WecomCrypto, RoundTripsAcrossPaddingEdges) {
  auto k = tv5Keys();
  // header 20 + receiveid 18 = 38 bytes; msg sizes chosen so the pad is 32, 1, 26 ...
  for (size_t msg_len : {0u, 1u, 26u, 31u, 32u, 33u, 57u, 58u, 1000u}) {
    std::string msg(msg_len, 'x');
    if (msg_len > 3) msg.replace(0, 3, "\xe4\xbd\xa0");  // some UTF-8 too
    auto enc = w::encryptPayload(k, msg, "abcdefghijklmnop");
    ASSERT_TRUE(enc.ok());
    auto raw = w::base64Decode(*enc);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw->size() % 32, 0u);
    size_t unpadded = 20 + msg_len + k.receive_id.size();
    EXPECT_EQ(raw->size() - unpadded, 32 - unpadded % 32) << "msg_len " << msg_len;
    std::string sig = w::callbackSignature(k.token, "1", "2", *enc);
    auto dec = w::decryptCallback(k, sig, "1", "2", *enc);
    ASSERT_TRUE(dec.ok()) << errorOf(dec);
    EXPECT_EQ(*dec, msg);
  }
}

TEST(WecomCrypto, TamperingEachSignedFieldFails) {
  auto k = tv1Keys();
  auto enc = w::encryptPayload(k, "hello", "abcdefghijklmnop");
  ASSERT_TRUE(enc.ok());
  std::string sig = w::callbackSignature(k.token, "100", "200", *enc);
  ASSERT_TRUE(w::decryptCallback(k, sig, "100", "200", *enc).ok());
  std::string flipped_sig = sig;
  flipped_sig[5] = flipped_sig[5] == 'a' ? 'b' : 'a';
  std::string other_enc = *enc;
  other_enc[0] = other_enc[0] == 'A' ? 'B' : 'A';
  auto k_other_token = k;
  k_other_token.token = "QDG6eL";
  const std::vector<qiao::Result<std::string>> cases = {
      w::decryptCallback(k, flipped_sig, "100", "200", *enc),
      w::decryptCallback(k, sig, "101", "200", *enc),
      w::decryptCallback(k, sig, "100", "201", *enc),
      w::decryptCallback(k, sig, "100", "200", other_enc),
      w::decryptCallback(k_other_token, sig, "100", "200", *enc),
      w::decryptCallback(k, "", "100", "200", *enc),
  };
  for (const auto& c : cases) {
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("bad signature"), std::string::npos) << c.error().message;
  }
}

TEST(WecomCrypto, WrongReceiveIdIsRejected) {
  auto k = tv3Keys();
  auto other = k;
  other.receive_id = "ww0000000000000000";
  auto enc = w::encryptPayload(other, "<xml/>", "abcdefghijklmnop");
  ASSERT_TRUE(enc.ok());
  auto r = w::decryptPayload(k, *enc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("wrong receiveid"), std::string::npos) << r.error().message;
  // A receiveid that is a prefix of the expected one must not pass either.
  other.receive_id = "ww1436e0e65a779ae";
  enc = w::encryptPayload(other, "<xml/>", "abcdefghijklmnop");
  ASSERT_TRUE(enc.ok());
  EXPECT_FALSE(w::decryptPayload(k, *enc).ok());
}

TEST(WecomCrypto, WrongKeyGivesPaddingOrLengthError) {
  auto enc = w::encryptPayload(tv1Keys(), "hello world", "abcdefghijklmnop");
  ASSERT_TRUE(enc.ok());
  auto r = w::decryptPayload(tv3Keys(), *enc);
  ASSERT_FALSE(r.ok());
  const auto& m = r.error().message;
  EXPECT_TRUE(m.find("bad padding") != std::string::npos ||
              m.find("truncated") != std::string::npos ||
              m.find("receiveid") != std::string::npos)
      << m;
}

TEST(WecomCrypto, BadBase64AndTruncatedCiphertext) {
  auto k = tv1Keys();
  auto r1 = w::decryptPayload(k, "abc");
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.error().message.find("bad base64"), std::string::npos);
  auto r2 = w::decryptPayload(k, "ab$d");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("offset 2"), std::string::npos) << r2.error().message;
  auto r3 = w::decryptPayload(k, "");
  EXPECT_FALSE(r3.ok());
  // 16 bytes of ciphertext: valid base64, but not a whole 32-byte WeCom block.
  auto r4 = w::decryptPayload(k, w::base64Encode(std::string(16, 'q')));
  ASSERT_FALSE(r4.ok());
  EXPECT_NE(r4.error().message.find("truncated ciphertext"), std::string::npos);
  // The official TV2 with its last block cut off.
  std::string cut(kTv2Encrypt);
  auto raw = w::base64Decode(cut);
  ASSERT_TRUE(raw.ok());
  auto shorter = w::base64Encode(raw->substr(0, raw->size() - 32));
  EXPECT_FALSE(w::decryptPayload(k, shorter).ok());
}

namespace {
// Encrypts an arbitrary, hand-built plaintext (whole 32-byte blocks) so malformed padding and
// length fields can be fed to the decryptor.
std::string rawEncrypt(const w::CallbackKeys& k, const std::string& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr, k.aes_key.data(), k.aes_key.data());
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  std::string out(plain.size() + 32, '\0');
  int n1 = 0, n2 = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  EVP_EncryptUpdate(ctx, o, &n1, reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx, o + n1, &n2);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(static_cast<size_t>(n1 + n2));
  return w::base64Encode(out);
}
std::string plaintext(const std::string& msg, const std::string& rid, uint32_t len_field) {
  std::string p = "0123456789abcdef";
  for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<char>((len_field >> s) & 0xFF));
  return p + msg + rid;
}
}  // namespace

TEST(WecomCrypto, MalformedPaddingAndLengthAreRejected) {
  auto k = tv1Keys();
  const std::string rid = k.receive_id;  // 18 bytes: header 20 + 18 = 38
  // msg of 26 bytes → 64 bytes exactly; append the pad by hand.
  std::string base = plaintext(std::string(26, 'm'), rid, 26);
  ASSERT_EQ(base.size(), 64u);
  // pad 32 (a whole extra block) is valid
  auto good = w::decryptPayload(k, rawEncrypt(k, base + std::string(32, '\x20')));
  ASSERT_TRUE(good.ok()) << errorOf(good);
  EXPECT_EQ(*good, std::string(26, 'm'));
  // pad byte 0
  std::string zero = base + std::string(32, '\x00');
  auto r0 = w::decryptPayload(k, rawEncrypt(k, zero));
  ASSERT_FALSE(r0.ok());
  EXPECT_NE(r0.error().message.find("pad byte 0 outside 1..32"), std::string::npos)
      << r0.error().message;
  // pad byte 33
  auto r33 = w::decryptPayload(k, rawEncrypt(k, base + std::string(32, '\x21')));
  ASSERT_FALSE(r33.ok());
  EXPECT_NE(r33.error().message.find("pad byte 33"), std::string::npos);
  // pad bytes that disagree
  std::string mixed = base + std::string(31, '\x20') + '\x1f';
  mixed.back() = '\x20';
  mixed[mixed.size() - 5] = '\x07';
  auto rm = w::decryptPayload(k, rawEncrypt(k, mixed));
  ASSERT_FALSE(rm.ok());
  EXPECT_NE(rm.error().message.find("pad bytes differ"), std::string::npos);
  // pad 31 (message of 27 bytes → 65 + 31 = 96)
  std::string p31 = plaintext(std::string(27, 'n'), rid, 27);
  auto r31 = w::decryptPayload(k, rawEncrypt(k, p31 + std::string(31, '\x1f')));
  ASSERT_TRUE(r31.ok()) << errorOf(r31);
  EXPECT_EQ(r31->size(), 27u);
  // msg_len larger than what is there
  std::string lying = plaintext(std::string(26, 'm'), rid, 1000) + std::string(32, '\x20');
  auto rl = w::decryptPayload(k, rawEncrypt(k, lying));
  ASSERT_FALSE(rl.ok());
  EXPECT_NE(rl.error().message.find("msg_len 1000 exceeds"), std::string::npos);
  // padding that eats into the 20-byte header
  std::string tiny = std::string("0123456789") + std::string(22, '\x16');
  auto rt = w::decryptPayload(k, rawEncrypt(k, tiny));
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.error().message.find("20-byte header"), std::string::npos);
}

TEST(WecomCrypto, EncodingAesKeyIsChecked) {
  EXPECT_FALSE(w::makeCallbackKeys("t", "short", "rid").ok());
  EXPECT_FALSE(w::makeCallbackKeys("t", std::string(42, 'a') + "!", "rid").ok());
  EXPECT_FALSE(w::makeCallbackKeys("", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "r").ok());
  EXPECT_TRUE(w::makeCallbackKeys("t", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "r").ok());
}

TEST(WecomCrypto, Base64MatchesKnownValues) {
  EXPECT_EQ(w::base64Encode(""), "");
  EXPECT_EQ(w::base64Encode("f"), "Zg==");
  EXPECT_EQ(w::base64Encode("fo"), "Zm8=");
  EXPECT_EQ(w::base64Encode("foo"), "Zm9v");
  EXPECT_EQ(*w::base64Decode("Zm9vYg=="), "foob");
  EXPECT_FALSE(w::base64Decode("Zg=a").ok());
  EXPECT_FALSE(w::base64Decode("=Zg=").ok());
}
