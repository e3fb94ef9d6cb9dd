#include "gates/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace bitgate::gates {
namespace fs = std::filesystem;

namespace {

Status WriteStream(const std::string& path, const std::string& name, std::string_view bytes, bool truncate) {
  std::ofstream out(path, std::ios::binary | (truncate ? std::ios::trunc : std::ios::out));
  if (!out) return Status::Error("cannot write " + name + ": " + std::strerror(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();  // a write error may show only when the buffer is flushed
  if (!out) return Status::Error("cannot write " + name + " (disk full?)");
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  // (status() with an error_code reports a missing file as an error too:
  // here that only means "not there yet".)
  std::error_code ec;
  fs::path target = path;
  if (fs::is_symlink(fs::symlink_status(target, ec))) {
    target = fs::weakly_canonical(target, ec);
    if (ec) return Status::Error("cannot write " + path + ": " + ec.message());
  }
  const auto st = fs::status(target, ec);
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    if (fs::is_directory(st)) return Status::Error("cannot write " + path + ": Is a directory");
    return WriteStream(target.string(), path, bytes, /*truncate=*/false);  // a device or FIFO
  }
  const std::string tmp = target.string() + ".tmp." + std::to_string(::getpid());
  if (Status s = WriteStream(tmp, path, bytes, /*truncate=*/true); !s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return Status::Error("cannot write " + path + ": " + why);
  }
  return Status::Ok();
}

}  // namespace bitgate::gates
