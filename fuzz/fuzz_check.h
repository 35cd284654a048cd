// What every fuzz target shares: the libFuzzer entry point and a check that stays on in
// release builds (NDEBUG turns assert() off, and a fuzzer that checks nothing only finds crashes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

// libFuzzer's entry point; the standalone driver (fuzz/driver/) calls the same function.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

// A property the code under test promised and broke: say which, then crash so that both
// libFuzzer and the standalone driver keep the input.
#define FUZZ_CHECK(condition)                                                                   \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "fuzz check failed: %s at %s:%d\n", #condition, __FILE__, __LINE__); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)
