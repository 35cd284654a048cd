// The CGA's text mode (IBM Color/Graphics Monitor Adapter, 80x25): its Motorola 6845 CRTC
// at 0x3D4 (index) / 0x3D5 (data), the mode and colour registers at 0x3D8 / 0x3D9 and the
// status register at 0x3DA.
//
// Text memory at 0xB8000 is ordinary guest RAM (one flat array: physical_memory.h): the
// guest writes character/attribute pairs there and nothing is drawn while it runs; the
// screen is read from RAM when someone asks (screen_text: `rewind run --screen FILE`).
// All 18 CRTC registers read back what was written (as VGA's CRTC and QEMU do; a 6845 of
// the first kind answered only the cursor and light pen registers); the light pen
// registers 0x10/0x11 read 0. The status register's retrace bits follow the instruction
// count (see cga.cpp), so polling them is deterministic.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/guest_clock.h"

namespace rw {

class IoBus;

class Cga {
 public:
  static constexpr uint16_t kIndexPort = 0x3D4, kDataPort = 0x3D5, kModePort = 0x3D8, kColourPort = 0x3D9,
                            kStatusPort = 0x3DA;
  static constexpr uint64_t kTextMemory = 0xB8000;
  static constexpr uint64_t kTextMemoryBytes = 16 * 1024;  // the CGA's 16 KiB; the screen wraps inside it
  static constexpr unsigned kColumns = 80, kRows = 25;
  static constexpr unsigned kRegisters = 18;
  enum : uint8_t { kCursorStart = 0x0A, kCursorEnd = 0x0B, kStartHigh = 0x0C, kStartLow = 0x0D, kCursorHigh = 0x0E,
                   kCursorLow = 0x0F, kLightPenHigh = 0x10, kLightPenLow = 0x11 };
  // Status bits: 0 set while the display is not drawing (either retrace), 3 in vertical retrace.
  static constexpr uint8_t kNotDrawing = 0x01, kVerticalRetrace = 0x08;
  // Guest time of the display, in instructions (one is a nanosecond of guest time): a frame
  // of 2^24 (59.6 Hz) in 256 lines of 2^16 (15.3 kHz); the last 2^13 of each line are the
  // horizontal retrace, the last 16 lines of each frame the vertical one.
  static constexpr unsigned kLineShift = 16, kFrameShift = 24;
  static constexpr uint64_t kHorizontalRetrace = 1u << 13, kVerticalRetraceLength = 16ull << kLineShift;

  explicit Cga(GuestClock clock) : clock_(clock) {}
  Cga(const Cga&) = delete;
  Cga& operator=(const Cga&) = delete;

  void attach(IoBus& io);
  // 80x25 text as the BIOS sets it up (mode 3's CRTC values, cursor at the top left).
  void bios_setup();

  uint8_t read_index() const { return index_; }
  void write_index(uint8_t value) { index_ = value & 0x1F; }
  uint8_t read_data() const;
  void write_data(uint8_t value);
  uint8_t read_status() const;
  void write_mode(uint8_t value) { mode_ = value; }
  void write_colour(uint8_t value) { colour_ = value; }

  uint8_t reg(uint8_t index) const { return index < kRegisters ? regs_[index] : 0; }
  // Cell offsets into text memory (characters, not bytes), as the CRTC holds them.
  unsigned cursor() const { return ((regs_[kCursorHigh] << 8) | regs_[kCursorLow]) & 0x3FFF; }
  unsigned start_address() const { return ((regs_[kStartHigh] << 8) | regs_[kStartLow]) & 0x3FFF; }

  // The screen as text: 25 lines of the characters from the start address on (attributes
  // left out), each with its trailing spaces trimmed and a newline; code page 437 glyphs
  // (the box drawing above 0x7F, the symbols below 0x20) as UTF-8, NUL as a space.
  // `text_memory`: the kTextMemoryBytes of guest RAM at kTextMemory.
  std::string screen_text(const uint8_t* text_memory) const;

  // Machine state save, restore and digests (machine/machine_state.cpp). Text memory is RAM.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(regs_, index_, mode_, colour_);
  }
  std::string check_state() const { return index_ < 32 ? std::string() : std::string("cga: CRTC index out of range"); }

 private:
  GuestClock clock_;
  std::array<uint8_t, kRegisters> regs_{};
  uint8_t index_ = 0;
  uint8_t mode_ = 0;
  uint8_t colour_ = 0;
};

// UTF-8 of a code page 437 byte as the screen shows it.
std::string cp437_to_utf8(uint8_t c);

}  // namespace rw
