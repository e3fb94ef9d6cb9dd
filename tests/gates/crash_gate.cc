// A stand-in gate that misbehaves on purpose, for the pipeline's tests:
// by default it prints a line and dies of SIGSEGV; with --hang it sleeps
// until killed (the per-gate timeout).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

int main(int argc, char** argv) {
  bool hang = false;
  for (int i = 1; i < argc; ++i) hang = hang || std::strcmp(argv[i], "--hang") == 0;
  std::printf("crash gate: about to %s\n", hang ? "hang" : "crash");
  std::fflush(stdout);
  if (hang) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::raise(SIGSEGV);
  return 0;
}
