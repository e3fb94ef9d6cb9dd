#include "gates/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace bitgate::gates {
namespace fs = std::filesystem;

namespace {

Status WriteAllTo(int fd, const std::string& name, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Error("cannot write " + name + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// The descriptor a path names (/dev/stdout, /dev/stderr, /dev/fd/N,
// /proc/self/fd/N), or -1. Writing to it, not reopening it, keeps what the
// shell set up: a pipe, or a file opened for appending.
int NamedDescriptor(const std::string& path) {
  if (path == "/dev/stdout") return STDOUT_FILENO;
  if (path == "/dev/stderr") return STDERR_FILENO;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    const size_t n = std::strlen(prefix);
    if (path.compare(0, n, prefix) != 0 || path.size() == n) continue;
    char* end = nullptr;
    const long fd = std::strtol(path.c_str() + n, &end, 10);
    if (*end == '\0' && fd >= 0 && fd < 1 << 20) return static_cast<int>(fd);
  }
  return -1;
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  if (const int fd = NamedDescriptor(path); fd >= 0) return WriteAllTo(fd, path, bytes);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // follows links; missing is not an error here
  if (fs::is_directory(st)) return Status::Error("cannot write " + path + ": Is a directory");
  if (fs::exists(st) && !fs::is_regular_file(st)) {  // a device or FIFO: in place
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return Status::Error("cannot write " + path + ": " + std::strerror(errno));
    return Status::Ok();
  }
  // The file to replace: the end of a chain of symlinks, existing or not
  // (a dangling link gets its target created, and stays a link).
  fs::path target = path;
  for (int hops = 0; fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    if (hops == 40) return Status::Error("cannot write " + path + ": too many levels of symbolic links");
    const fs::path next = fs::read_symlink(target, ec);
    if (ec) return Status::Error("cannot write " + path + ": " + ec.message());
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  // A unique temporary in the target's directory (so the rename stays on
  // one file system), with the old file's mode, or the umask's default.
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string name = target.filename().string();  // (not "." + name: GCC 12 -Wrestrict false positive)
  name.insert(0, 1, '.');
  name += ".XXXXXX";
  std::string tmp = (dir / name).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return Status::Error("cannot write " + path + ": " + std::strerror(errno));
  struct stat old = {};
  mode_t mode;
  if (stat(target.c_str(), &old) == 0) {
    mode = old.st_mode & 07777;
  } else {
    const mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  Status s = WriteAllTo(fd, path, bytes);
  if (s.ok() && fchmod(fd, mode) != 0) s = Status::Error("cannot write " + path + ": " + std::strerror(errno));
  if (close(fd) != 0 && s.ok()) s = Status::Error("cannot write " + path + " (disk full?): " + std::strerror(errno));
  if (s.ok() && std::rename(tmp.c_str(), target.c_str()) != 0)
    s = Status::Error("cannot write " + path + ": " + std::strerror(errno));
  if (!s.ok()) std::remove(tmp.c_str());
  return s;
}

}  // namespace bitgate::gates
