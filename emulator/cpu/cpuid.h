// What CPUID leaf 1 reports: the processor signature and the EDX feature bits, which the
// BIOS's MP table repeats (machine/mp_tables.h).
#pragma once

#include <cstdint>

namespace rw::cpu {

inline constexpr uint32_t kCpuidSignature = 0x000006F1;
// FPU, DE, PSE, TSC, MSR, CX8, APIC, SEP, PGE, CMOV (and FCMOV), PAT, PSE-36, CLFSH, FXSR, SSE,
// SSE2. No MMX.
inline constexpr uint32_t kCpuidFeaturesEdx = (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                                              (1u << 9) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) |
                                              (1u << 17) | (1u << 19) | (1u << 24) | (1u << 25) | (1u << 26);

}  // namespace rw::cpu
