// The digest of a measuring executable, for the build fingerprint
// (config_hash) that tells "same code" runs apart from changed ones.
#pragma once

#include <string>

#include "kernels/base/status.h"

namespace bitgate::gates {

// Lower-case hex SHA-256 of the executable at `path`, blind to what differs
// between two builds of the same code at different commits: every run of
// exactly 40 lower-case hex digits (the commit compiled in for receipts and
// `bitgate version`) and the 20 bytes of a GNU build-id note (a hash of the
// whole output, so of that commit too) count as zeros. The build itself is
// reproducible across checkout paths (-ffile-prefix-map in CMakeLists.txt).
// Files over 1 GiB are refused: executables, not models (those are hashed
// whole with engine::Sha256FileHex).
Result<std::string> BuildDigestHex(const std::string& path);

}  // namespace bitgate::gates
