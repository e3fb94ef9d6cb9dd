// Writing the gates' output files so that a reader never sees half of one.
#pragma once

#include <string>
#include <string_view>

#include "kernels/base/status.h"

namespace bitgate::gates {

// Writes `bytes` to a temporary file beside `path` (beside the file a
// symlink points to) and renames it over the target: a reader (a CI step,
// a parent process) sees the old file or the whole new one, and a failed
// write (disk full, no permission) is an error naming the file, with the
// old file intact and the temporary removed. A target that is not a
// regular file (/dev/stdout, a FIFO) is written in place.
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace bitgate::gates
