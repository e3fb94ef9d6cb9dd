// A stand-in gate that misbehaves on purpose, for the pipeline's tests:
// by default it prints a line and dies of SIGSEGV; with --hang it sleeps
// until killed (the per-gate timeout); with --forge-receipt it exits 0
// claiming a receipt (written under --out) that does not verify; with
// --bad-outcome it exits 0 leaving a gate.json whose format is a number;
// with --print-args it prints each argument as [ARG] and exits 0; with
// --console-utf8 it exits 0 after a 6000-byte line of 'é' (its last 4096
// bytes start inside a character) and a line with a byte that is not UTF-8.
// The last two leave a valid outcome (no run stored), as a gate that passes
// must.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  bool hang = false, forge = false, bad_outcome = false, print_args = false, console_utf8 = false;
  std::string out = ".";
  for (int i = 1; i < argc; ++i) {
    hang = hang || std::strcmp(argv[i], "--hang") == 0;
    forge = forge || std::strcmp(argv[i], "--forge-receipt") == 0;
    bad_outcome = bad_outcome || std::strcmp(argv[i], "--bad-outcome") == 0;
    print_args = print_args || std::strcmp(argv[i], "--print-args") == 0;
    console_utf8 = console_utf8 || std::strcmp(argv[i], "--console-utf8") == 0;
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[i + 1];
  }
  if (forge) {
    // Claims 1000 tokens/s for a model that does not exist.
    const std::string receipt = out + "/receipt-0.json";
    std::ofstream(receipt) << R"({"schema": "bitgate.receipt/1", "model": {"path": "/nonexistent.gguf",)"
                           << R"( "sha256": "00"}, "timings": {"decode_tokens_per_second": 1000}})" << "\n";
    std::ofstream(out + "/gate.json") << R"({"format": "bitgate-gate-outcome", "version": 1, "gate": "forged",)"
                                      << R"( "exit_code": 0, "run_id": 0, "artifacts": [")" << receipt << "\"]}\n";
    std::printf("forged gate: wrote %s\n", receipt.c_str());
    return 0;
  }
  if (bad_outcome) {
    std::ofstream(out + "/gate.json") << R"({"format": 7, "gate": "bad", "exit_code": 0})" << "\n";
    std::printf("bad-outcome gate: wrote %s/gate.json\n", out.c_str());
    return 0;
  }
  const auto pass_outcome = [&] {
    std::ofstream(out + "/gate.json") << R"({"format": "bitgate-gate-outcome", "version": 1, "gate": "stand-in",)"
                                      << R"( "exit_code": 0, "run_id": 0})" << "\n";
  };
  if (print_args) {
    for (int i = 1; i < argc; ++i) std::printf("[%s] ", argv[i]);
    std::printf("\n");
    pass_outcome();
    return 0;
  }
  if (console_utf8) {
    std::string line = "x";
    for (int i = 0; i < 3000; ++i) line += "\xC3\xA9";  // U+00E9
    std::printf("%s\nbad byte \xFF here\n", line.c_str());
    pass_outcome();
    return 0;
  }
  std::printf("crash gate: about to %s\n", hang ? "hang" : "crash");
  std::fflush(stdout);
  if (hang) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::raise(SIGSEGV);
  return 0;
}
