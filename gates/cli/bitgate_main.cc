// bitgate: one command, many verbs (`bitgate <verb> --help`).
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <exception>
#include <span>

#include "gates/cli/verbs.h"

namespace bitgate::cli {

int RunVersion(int argc, char** argv);
int RunCpu(int argc, char** argv);
int RunGguf(int argc, char** argv);
int RunBaseline(int argc, char** argv);
int RunCompare(int argc, char** argv);
int RunHistory(int argc, char** argv);
int RunModel(int argc, char** argv);
int RunLogitsVerb(int argc, char** argv);
int RunGenerateVerb(int argc, char** argv);
int RunReceipt(int argc, char** argv);
int RunPipeline(int argc, char** argv);
int RunReport(int argc, char** argv);

namespace {

// One line per verb; the implementations live beside the code they drive.
const Verb kVerbs[] = {
    {"version", "print the version and build commit", RunVersion},
    {"cpu", "print the CPU features and the kernel path in use", RunCpu},
    {"gguf", "inspect a GGUF file: gguf dump|check FILE.gguf", RunGguf},
    {"baseline", "baseline store: import|list|show|prune|annotate|threshold", RunBaseline},
    {"compare", "judge a run against its baseline (exit 1 on regression)", RunCompare},
    {"history", "a benchmark's history on a branch, with change points", RunHistory},
    {"model", "synthesize a BitNet b1.58 model: model synth --preset tiny|small|2b", RunModel},
    {"generate", "generate text with a model, print tokens/s, write a receipt", RunGenerateVerb},
    {"logits", "write the logits of a token sequence (float32 [T][V])", RunLogitsVerb},
    {"receipt", "check a generation receipt: receipt verify FILE [--replay]", RunReceipt},
    {"pipeline", "run the gates, write the ledger (ledger.md, results.json, junit.xml)", RunPipeline},
    {"report", "re-render a stored pipeline's ledger: report --run ID | --branch B", RunReport},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: bitgate <verb> [options]   (bitgate <verb> --help)\n\nverbs:\n");
  for (const Verb& v : kVerbs) std::fprintf(out, "  %-12s %s\n", v.name, v.summary);
}

}  // namespace
}  // namespace bitgate::cli

int main(int argc, char** argv) {
  using bitgate::cli::kVerbs;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    bitgate::cli::PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& v : kVerbs) {
    if (std::strcmp(v.name, argv[1]) == 0) {
      int code = 2;
      try {
        code = v.run(argc - 1, argv + 1);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bitgate %s: error: %s\n", v.name, e.what());
        return 2;
      }
      // A report written to a full disk or a closed pipe is lost: that is an
      // error (2), not the verdict's exit code or a success.
      errno = 0;
      if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        std::fprintf(stderr, "bitgate %s: error: writing to standard output failed%s%s\n", v.name,
                     errno != 0 ? ": " : "", errno != 0 ? std::strerror(errno) : "");
        return 2;
      }
      return code;
    }
  }
  std::fprintf(stderr, "bitgate: error: unknown verb '%s'\n\n", argv[1]);
  bitgate::cli::PrintUsage(stderr);
  return 2;
}
