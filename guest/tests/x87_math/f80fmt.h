// Exact decimal printing of x87 80-bit extended-precision values in integer arithmetic only
// (so that what prints a result never depends on the FPU that computed it).
#pragma once
#include <stdint.h>

// An 80-bit value as the x87 stores it: the 64-bit significand (explicit integer bit 63)
// and sign:exponent (bias 16383).
struct f80 {
    uint64_t significand;
    uint16_t sign_exponent;
};

// Correctly rounded (half to even) decimal with `digits` significant digits (1-40), as a
// correct printf("%.*Le", digits - 1, value) prints it: "-1.2345e+03", "0.000e+00", "inf",
// "-nan". Denormals and pseudo-denormals print at their value (significand * 2^-16445),
// unnormals too; an exponent of all ones prints "inf" (significand 1 << 63 or 0) or "nan".
// buf needs digits + 12 bytes. Not reentrant (static work space for the widest values).
char* fmt_f80(char* buf, struct f80 v, int digits);

// Prints "3fff:8000000000000000 1.00000000000000000000e+00": the bits, then `digits`
// significant digits. No newline.
void print_f80(struct f80 v, int digits);
