// `bitgate gguf`: inspect GGUF files (metadata and tensor table).
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/gguf.h"
#include "engine/sha256.h"

namespace bitgate::cli {
namespace {

void PrintGgufUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: bitgate gguf dump FILE.gguf [--arrays N] [--hash]\n"
               "       bitgate gguf check FILE.gguf\n"
               "  dump   prints the header, every metadata key (arrays abbreviated to N\n"
               "         elements, default 8) and the tensor table; --hash adds the\n"
               "         SHA-256 of each tensor's stored bytes.\n"
               "  check  validates the file (every count, offset and shape) and prints\n"
               "         'ok' or the error.\n"
               "  Exit: 0 ok, 2 usage error or invalid file.\n");
}

int Dump(const engine::GgufFile& f, const std::string& path, size_t max_array, bool hash) {
  std::printf("file:         %s\n", path.c_str());
  std::printf("size:         %llu bytes\n", static_cast<unsigned long long>(f.size()));
  std::printf("version:      %u\n", f.version());
  std::printf("alignment:    %u\n", f.alignment());
  std::printf("data offset:  %llu\n", static_cast<unsigned long long>(f.data_offset()));
  std::printf("\nmetadata (%zu keys):\n", f.metadata().size());
  for (const auto& [key, value] : f.metadata().entries()) {
    std::printf("  %-44s %-14s %s\n", key.c_str(), value.TypeString().c_str(),
                value.ToDisplayString(max_array).c_str());
  }
  std::printf("\ntensors (%zu):\n", f.tensors().size());
  std::printf("  %4s  %-34s %-6s %-22s %12s %12s%s\n", "#", "name", "type", "ne", "offset", "bytes",
              hash ? "  sha256" : "");
  size_t i = 0;
  for (const auto& t : f.tensors()) {
    std::printf("  %4zu  %-34s %-6s %-22s %12llu %12lld", i++, t.name.c_str(), kernels::FormatName(t.format),
                t.ShapeString().c_str(), static_cast<unsigned long long>(t.file_offset),
                static_cast<long long>(t.n_bytes));
    if (hash) std::printf("  %s", engine::Sha256Hex(t.data).c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int RunGguf(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    PrintGgufUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  if (sub != "dump" && sub != "check") {
    std::fprintf(stderr, "bitgate gguf: error: unknown subcommand '%s'\n", sub.c_str());
    PrintGgufUsage(stderr);
    return 2;
  }
  std::string path;
  size_t max_array = 8;
  bool hash = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      PrintGgufUsage(stdout);
      return 0;
    } else if (a == "--hash") {
      hash = true;
    } else if (a == "--arrays" && i + 1 < argc) {
      // Digits only: strtoull would take "-1" as 2^64 - 1 ("all").
      const std::string n = argv[++i];
      if (n.empty() || n.size() > 18 || n.find_first_not_of("0123456789") != std::string::npos) {
        std::fprintf(stderr, "bitgate gguf: error: --arrays needs a count of at most 18 digits, got '%s'\n", n.c_str());
        return 2;
      }
      max_array = static_cast<size_t>(std::stoull(n));
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "bitgate gguf: error: unknown option '%s'\n", a.c_str());
      return 2;
    } else if (path.empty()) {
      path = a;
    } else {
      std::fprintf(stderr, "bitgate gguf: error: more than one file given\n");
      return 2;
    }
  }
  if (path.empty()) {
    PrintGgufUsage(stderr);
    return 2;
  }
  auto f = engine::GgufFile::Open(path);
  if (!f.ok()) {
    std::fprintf(stderr, "bitgate gguf: error: %s\n", f.status().message().c_str());
    return 2;
  }
  if (sub == "check") {
    std::printf("ok: %s (GGUF v%u, %zu keys, %zu tensors)\n", path.c_str(), f->version(),
                f->metadata().size(), f->tensors().size());
    return 0;
  }
  return Dump(*f, path, max_array, hash);
}

}  // namespace bitgate::cli
