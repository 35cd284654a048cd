// rewind's results where the SSE instructions' results differ between Intel and AMD
// (docs/cpu.md, "Undefined and vendor-dependent results"), written again here,
// independently of the emulator, so that the tests can hold it to them.
#pragma once

#include <cstdint>

namespace rw::cputest::sse_reference {

// RCPSS/RCPPS (root = false) and RSQRTSS/RSQRTPS (root = true) of one single-precision
// lane under `mxcsr`: 1/x, or 1/sqrt(x) with the square root rounded to single precision
// first (as QEMU 7.2 computes them), each operation in single precision under MXCSR's
// rounding mode, DAZ and FTZ; no exception is raised and MXCSR's flags stay as they were
// (the tests compare MXCSR with the host, which changes nothing either). rewind's rule,
// docs/cpu.md's row.
uint32_t reciprocal(uint32_t x, uint32_t mxcsr, bool root);

// FXSAVE's MXCSR_MASK (bytes 28-31): the MXCSR bits rewind lets a guest set; LDMXCSR
// and FXRSTOR raise #GP(0) for any other. AMD hosts with misaligned SSE mode store
// 0x2FFFF and accept bit 17 (MM); Intel stores 0xFFFF.
constexpr uint32_t kMxcsrMask = 0xFFFF;

}  // namespace rw::cputest::sse_reference
