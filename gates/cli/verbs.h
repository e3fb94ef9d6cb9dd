// The `bitgate` command's verbs. Each takes the arguments after the verb
// (argv[0] is the verb itself) and returns the process exit code (the
// contract in docs/EXIT_CODES.md: 0 pass, 1 regression, 2 usage/I-O error,
// 3 undecidable in strict mode, 4 correctness failure).
#pragma once

namespace bitgate::cli {

struct Verb {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

}  // namespace bitgate::cli
