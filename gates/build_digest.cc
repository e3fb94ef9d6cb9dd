#include "gates/build_digest.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <vector>

#include "engine/sha256.h"

namespace bitgate::gates {
namespace {

bool IsLowerHex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The header of an ELF note holding a GNU build id: namesz 4, descsz 20,
// type NT_GNU_BUILD_ID (3), name "GNU\0" (little-endian fields).
constexpr unsigned char kBuildIdNote[] = {4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0};
constexpr size_t kBuildIdBytes = 20;
constexpr size_t kCommitHexDigits = 40;

}  // namespace

Result<std::string> BuildDigestHex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read " + path + " to fingerprint the build");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Status::Error("cannot read " + path + " to fingerprint the build");
  if (size > (std::streamoff{1} << 30))
    return Status::Error(path + " is " + std::to_string(size) + " bytes: too large for an executable to fingerprint");
  in.seekg(0);
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
    return Status::Error("cannot read " + path + " to fingerprint the build");

  // Runs of exactly 40 hex digits: the compiled-in commit.
  for (size_t i = 0; i < bytes.size();) {
    if (!IsLowerHex(bytes[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < bytes.size() && IsLowerHex(bytes[end])) ++end;
    if (end - i == kCommitHexDigits) std::memset(bytes.data() + i, '0', kCommitHexDigits);
    i = end;
  }
  // The build-id note's descriptor.
  for (size_t i = 0; i + sizeof kBuildIdNote + kBuildIdBytes <= bytes.size(); ++i) {
    if (std::memcmp(bytes.data() + i, kBuildIdNote, sizeof kBuildIdNote) != 0) continue;
    std::memset(bytes.data() + i + sizeof kBuildIdNote, 0, kBuildIdBytes);
    i += sizeof kBuildIdNote + kBuildIdBytes - 1;
  }
  return engine::Sha256Hex(std::span<const uint8_t>(bytes.data(), bytes.size()));
}

}  // namespace bitgate::gates
