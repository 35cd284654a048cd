// The XSAVE feature set as CPUID describes it (xsave.cpp): CPUID.1:ECX's XSAVE and OSXSAVE
// bits and leaf 0xD. The instructions themselves are handlers (handlers.h).
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace rw::cpu {

// The standard-format XSAVE area of the components rewind supports (x87 and SSE): the
// 512-byte legacy region and the 64-byte header. No extended region.
constexpr unsigned kXsaveHeader = 512;
constexpr unsigned kXsaveAreaBytes = 576;

// CPUID.1:ECX: XSAVE (bit 26) always, OSXSAVE (bit 27) while CR4.OSXSAVE is set.
uint32_t xsave_cpuid_ecx(const Cpu& c);

// CPUID leaf 0xD, sub-leaf `sub`. 0: the XCR0 bits supported (EAX, EDX), the area's size
// for the components XCR0 enables now (EBX) and for all supported ones (ECX); 1: XSAVEOPT
// only (no XSAVEC, XGETBV with ECX = 1, XSAVES); all others zero (no component 2 and up).
struct XsaveLeaf {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};
XsaveLeaf xsave_cpuid_leaf(const Cpu& c, uint32_t sub);

}  // namespace rw::cpu
