// The CPU test binary: GoogleTest, plus a capture mode that records this host's native
// results for the vendor fixture (see vendor_cases.h and docs/cpu.md):
//   rewind_cpu_tests --capture-vendor-results tests/cpu/vendor_results.csv
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "vendor_cases.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--capture-vendor-results") == 0) {
    if (argc != 3) {
      std::fprintf(stderr, "usage: %s --capture-vendor-results FILE\n", argv[0]);
      return 2;
    }
    if (!rw::cputest::capture_vendor_results(argv[2])) {
      std::fprintf(stderr, "cannot write %s\n", argv[2]);
      return 1;
    }
    std::printf("%s: %s rows rewritten (%s)\n", argv[2], rw::cputest::host_vendor().c_str(),
                rw::cputest::host_cpu_name().c_str());
    return 0;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
