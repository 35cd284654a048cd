// The FXSAVE image's legacy region (SDM vol. 1, tables 10-2 and 10-3), which XSAVE's first
// 512 bytes repeat: its x87 part and its SSE part, written to and read from a host buffer so
// that FXSAVE/FXRSTOR (fxsave.cpp) and XSAVE/XRSTOR (xsave.cpp) share them.
//
//   0 FCW   2 FSW   4 abridged FTW   6 FOP   8 FIP (32 bits) 12 FCS, or FIP (64 bits)
//  16 FDP (32 bits) 20 FDS, or FDP (64 bits)   24 MXCSR   28 MXCSR_MASK
//  32 + 16 * i: ST(i), 10 bytes   160 + 16 * i: XMMi
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace rw::cpu {

constexpr unsigned kLegacyRegionBytes = 416;  // 416-511: not the processor's

// Bytes 0-23 and 32-159 (reserved bytes among them zero). `wide`: the 64-bit pointer format
// (FXSAVE64, XSAVE64: REX.W).
void save_x87_region(const Cpu& c, uint8_t* img, bool wide);
void load_x87_region(Cpu& c, const uint8_t* img, bool wide);
// The x87 state's initial configuration (SDM vol. 1, 13.6), what XRSTOR puts in place of a
// component whose XSTATE_BV bit is clear: FCW 0x37F, FSW 0, every register tagged empty,
// FOP, FIP, FDP, FCS and FDS 0, ST0-ST7 all zero bits (xsave.cpp: the region of that state
// loaded with load_x87_region, so it follows however X87State represents it).
void init_x87(Cpu& c);

// MXCSR and MXCSR_MASK (bytes 24-31), and the XMM registers: xmm0-7 outside 64-bit mode,
// xmm0-15 in it, up to xmm_region_end().
unsigned xmm_region_end(const Cpu& c);
void save_mxcsr(const Cpu& c, uint8_t* img);
void save_xmm_region(const Cpu& c, uint8_t* img);
// Whether MXCSR's image (bytes 24-27) can be loaded (no reserved bit set).
bool mxcsr_loadable(const uint8_t* img);
void load_mxcsr(Cpu& c, const uint8_t* img);
void load_xmm_region(Cpu& c, const uint8_t* img);

// Guest memory <-> image, 8 bytes at a time over [from, to) of the image at `lin` (which the
// caller checked for alignment; writes: probed first, nothing written unless all can be).
void read_image(Cpu& c, uint64_t lin, uint8_t* img, unsigned from, unsigned to);
void write_image(Cpu& c, uint64_t lin, const uint8_t* img, unsigned from, unsigned to);

}  // namespace rw::cpu
