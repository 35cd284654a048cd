#include <gtest/gtest.h>

#include <stdexcept>

#include "cli/memory_size.h"

namespace rw::cli {
namespace {

TEST(MemorySize, AcceptsUnits) {
  EXPECT_EQ(parse_memory_size("128M"), 128ull << 20);
  EXPECT_EQ(parse_memory_size("64m"), 64ull << 20);
  EXPECT_EQ(parse_memory_size("1G"), 1ull << 30);
  EXPECT_EQ(parse_memory_size("3g"), 3ull << 30);
  EXPECT_EQ(parse_memory_size("65536K"), 64ull << 20);
  EXPECT_EQ(parse_memory_size("134217728"), 128ull << 20);
  EXPECT_EQ(parse_memory_size("2M"), 2ull << 20);
  EXPECT_EQ(parse_memory_size("256MiB"), 256ull << 20);
  EXPECT_EQ(parse_memory_size("256MB"), 256ull << 20);
}

TEST(MemorySize, RejectsBadValues) {
  for (const char* bad : {"", "M", "abc", "12X", "1.5G", "-1M", "1M", "4G", "3073M", "99999999999999999999999",
                          "18446744073709551615G", "2097153", " 128M", "128M "}) {
    EXPECT_THROW(parse_memory_size(bad), std::invalid_argument) << bad;
  }
}

TEST(MemorySize, MessagesNameTheValue) {
  try {
    parse_memory_size("1M");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "bad --memory value '1M': less than the minimum of 2M");
  }
}

TEST(Count, ParsesPlainNumbers) {
  EXPECT_EQ(parse_count("0"), 0u);
  EXPECT_EQ(parse_count("1000000"), 1000000u);
  EXPECT_THROW(parse_count("1e6"), std::invalid_argument);
  EXPECT_THROW(parse_count("-1"), std::invalid_argument);
  EXPECT_THROW(parse_count(""), std::invalid_argument);
}

}  // namespace
}  // namespace rw::cli
