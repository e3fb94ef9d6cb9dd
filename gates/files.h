// Writing the gates' output files so that a reader never sees half of one.
#pragma once

#include <string>
#include <string_view>

#include "kernels/base/status.h"

namespace bitgate::gates {

// Writes `bytes` to a unique temporary file beside `path` (beside the file
// a symlink points to) with the old file's mode and renames it over the
// target: a reader (a CI step, a parent process) sees the old file or the
// whole new one, and a failed write (disk full, no permission) is an error
// naming the file, with the old file intact and the temporary removed.
// /dev/stdout, /dev/stderr and /dev/fd/N write to that descriptor (a pipe,
// or a file the shell opened for appending, stays what it is); a device or
// FIFO is written in place.
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace bitgate::gates
