// SHA-256 digests (OpenSSL EVP): model file digests in receipts, golden-data
// checks in tests.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "kernels/base/status.h"

namespace bitgate::engine {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hasher, for data that arrives in pieces (a file read in
// chunks, a tensor dequantized row by row).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const uint8_t> data);
  void Update(const void* data, size_t size);
  Sha256Digest Final();  // the hasher is reset afterwards

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so callers need no OpenSSL headers
};

Sha256Digest Sha256Of(std::span<const uint8_t> data);
std::string ToHex(std::span<const uint8_t> bytes);
// Lower-case hex SHA-256 of the bytes.
std::string Sha256Hex(std::span<const uint8_t> data);
// Lower-case hex SHA-256 of a file, read in 1 MiB pieces. Use it rather
// than hashing a model's mapping: reading the mapping would make every
// page of the file resident again, including the ones a repack released.
Result<std::string> Sha256FileHex(const std::string& path);

}  // namespace bitgate::engine
