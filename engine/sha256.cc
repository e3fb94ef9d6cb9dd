#include "engine/sha256.h"

#include <openssl/evp.h>

#include "kernels/base/status.h"

namespace bitgate::engine {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  BITGATE_CHECK(ctx_ != nullptr);
  BITGATE_CHECK(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Update(const void* data, size_t size) {
  if (size == 0) return;
  BITGATE_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size) == 1);
}

void Sha256::Update(std::span<const uint8_t> data) { Update(data.data(), data.size()); }

Sha256Digest Sha256::Final() {
  Sha256Digest out{};
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  BITGATE_CHECK(EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size());
  BITGATE_CHECK(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1);
  return out;
}

Sha256Digest Sha256Of(std::span<const uint8_t> data) {
  Sha256 h;
  h.Update(data);
  return h.Final();
}

std::string ToHex(std::span<const uint8_t> bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

std::string Sha256Hex(std::span<const uint8_t> data) { return ToHex(Sha256Of(data)); }

}  // namespace bitgate::engine
