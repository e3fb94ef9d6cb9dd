// main() of every test binary made by bitgate_add_test: GoogleTest's, after
// clearing the variables that would otherwise leak in from the caller's
// shell and change what the tests exercise:
//   BITGATE_FORCE_ISA   forces a kernel path (the "best path" cases would
//                       silently test a forced one; a bogus value breaks
//                       every engine test); tests that want a path set it
//                       for their own children;
//   GITHUB_STEP_SUMMARY bitgate pipeline appends its ledger there, so a
//                       ctest inside GitHub Actions would fill the real job
//                       summary with the tests' fake ledgers.
// (kernels_dispatch_test sets BITGATE_FORCE_ISA through ctest on purpose
// and keeps GoogleTest's own main.)
#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  unsetenv("BITGATE_FORCE_ISA");
  unsetenv("GITHUB_STEP_SUMMARY");
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
