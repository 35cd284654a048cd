#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/io_bus.h"
#include "devices/cga.h"

namespace rw {
namespace {

class CgaTest : public ::testing::Test {
 protected:
  CgaTest() : cga_(GuestClock::of(now_)) {
    cga_.attach(io_);
    cga_.bios_setup();
  }
  void out(uint16_t port, uint8_t v) { io_.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io_.read(port, 1)); }
  void crtc(uint8_t reg, uint8_t v) { out(0x3D4, reg), out(0x3D5, v); }
  uint8_t crtc(uint8_t reg) { return out(0x3D4, reg), in(0x3D5); }
  void put(unsigned row, unsigned col, const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
      text_[(row * 80 + col + i) * 2] = static_cast<uint8_t>(s[i]);
      text_[(row * 80 + col + i) * 2 + 1] = 0x07;
    }
  }

  uint64_t now_ = 0;
  IoBus io_;
  Cga cga_;
  std::vector<uint8_t> text_ = std::vector<uint8_t>(Cga::kTextMemoryBytes, 0);
};

TEST_F(CgaTest, RegistersReadBack) {
  crtc(0x0E, 0x01);
  crtc(0x0F, 0x9A);
  EXPECT_EQ(crtc(0x0E), 0x01);
  EXPECT_EQ(crtc(0x0F), 0x9A);
  EXPECT_EQ(cga_.cursor(), 0x19Au);
  crtc(0x0C, 0x02);
  crtc(0x0D, 0x80);
  EXPECT_EQ(cga_.start_address(), 0x280u);
  EXPECT_EQ(crtc(0x0A), 0x06);  // mode 3's cursor shape
  EXPECT_EQ(crtc(0x01), 80);    // columns
  EXPECT_EQ(in(0x3D4), 0x01);   // the index reads back
  crtc(0x10, 0x55);             // light pen: read-only, reads 0
  EXPECT_EQ(crtc(0x10), 0x00);
  EXPECT_EQ(crtc(0x1F), 0x00);  // no such register
  EXPECT_EQ(in(0x3D8), 0xFF);   // write-only
}

TEST_F(CgaTest, RetraceBitsFollowTheInstructionCount) {
  now_ = 0;
  EXPECT_EQ(in(0x3DA), 0x00);  // drawing
  now_ = (1u << 16) - 1;
  EXPECT_EQ(in(0x3DA), 0x01);  // horizontal retrace
  now_ = (1u << 24) - 1;
  EXPECT_EQ(in(0x3DA), 0x09);  // vertical retrace
  now_ = 1u << 24;
  EXPECT_EQ(in(0x3DA), 0x00);  // the next frame
}

TEST_F(CgaTest, ScreenTextTrimsLinesAndMapsCodePage437) {
  put(0, 0, "hello   ");
  put(1, 2, "x");
  text_[(2 * 80) * 2] = 0xC9;   // box drawing: U+2554
  text_[(2 * 80 + 1) * 2] = 0x03;  // heart: U+2665
  put(24, 75, "end");
  const std::string s = cga_.screen_text(text_.data());
  std::string expected = "hello\n  x\n\u2554\u2665\n";
  for (int i = 3; i < 24; ++i) expected += "\n";
  expected += std::string(75, ' ') + "end\n";
  EXPECT_EQ(s, expected);
}

TEST_F(CgaTest, ScreenStartsAtTheStartAddress) {
  put(1, 0, "second line");
  crtc(0x0C, 0);
  crtc(0x0D, 80);
  const std::string s = cga_.screen_text(text_.data());
  EXPECT_EQ(s.substr(0, 12), "second line\n");
}

TEST(Cp437, Utf8) {
  EXPECT_EQ(cp437_to_utf8('A'), "A");
  EXPECT_EQ(cp437_to_utf8(0), " ");
  EXPECT_EQ(cp437_to_utf8(0xB0), "\u2591");
  EXPECT_EQ(cp437_to_utf8(0xE1), "\u00DF");
}

}  // namespace
}  // namespace rw
