#include "sse_reference.h"

#include "cpu/cpu.h"

namespace rw::cputest::sse_reference {

uint32_t reciprocal(uint32_t x, uint32_t mxcsr, bool root) {
  // The host's own arithmetic under the case's rounding mode, DAZ and FTZ, every
  // exception masked; the host's MXCSR is put back afterwards. In assembly, so that
  // the compiler neither folds nor moves the arithmetic across the MXCSR loads.
  const uint32_t csr = (mxcsr | cpu::mxcsr::kMasks) & ~cpu::mxcsr::kFlags & cpu::mxcsr::kWritable;
  const float one = 1.0f;
  const uint32_t with_root = root;
  uint32_t saved, out;
  asm volatile(
      "stmxcsr %[saved]\n\t"
      "ldmxcsr %[csr]\n\t"
      "movd %[x], %%xmm0\n\t"
      "test %[root], %[root]\n\t"
      "jz 1f\n\t"
      "sqrtss %%xmm0, %%xmm0\n"
      "1:\n\t"
      "movss %[one], %%xmm1\n\t"
      "divss %%xmm0, %%xmm1\n\t"
      "movd %%xmm1, %[out]\n\t"
      "ldmxcsr %[saved]\n\t"
      : [saved] "=m"(saved), [out] "=r"(out)
      : [csr] "m"(csr), [x] "r"(x), [one] "m"(one), [root] "r"(with_root)
      : "xmm0", "xmm1", "cc");
  return out;
}

}  // namespace rw::cputest::sse_reference
