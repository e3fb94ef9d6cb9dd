#include "engine/sha256.h"

#include <openssl/evp.h>

#include <fstream>
#include <vector>

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

Result<std::string> Sha256FileHex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot open " + path);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update({reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(in.gcount())});
  }
  if (in.bad()) return Status::Error("reading " + path + " failed");
  return ToHex(h.Final());
}

}  // namespace bitgate::engine
