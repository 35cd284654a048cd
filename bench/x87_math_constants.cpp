// Prints the constant tables of emulator/cpu/x87_math.cpp (docs/cpu.md, "x87 transcendentals"),
// computed with MPFR: the bits of 2/pi for the reduction of FSIN's argument, and the 128-bit
// values (round to nearest) of pi/2, ln 2, log2(e), arctan(j/16), 2^(j/16) - 1 and the series
// coefficients. Run once; its output was pasted into x87_math.cpp, and x87_math_test.cpp
// checks every entry against MPFR again.
//   x87_math_constants > tables.inc
#include <mpfr.h>

#include <cstdint>
#include <cstdio>

namespace {

// A value as the library stores it: significand hi:lo (bit 127 set), value = sig * 2^(e - 127).
void print_xf(mpfr_t v, const char* comment, const char* end = ",") {
  if (mpfr_zero_p(v)) {
    std::printf("    {0, 0, 0, false}%s  // %s\n", end, comment);
    return;
  }
  mpfr_t r;
  mpfr_init2(r, 128);
  mpfr_set(r, v, MPFR_RNDN);
  long e = mpfr_get_exp(r) - 1;  // r = 1.xxx * 2^e
  bool neg = mpfr_sgn(r) < 0;
  mpfr_abs(r, r, MPFR_RNDN);
  mpfr_mul_2si(r, r, 127 - e, MPFR_RNDN);  // integer in [2^127, 2^128)
  mpfr_t hi, lo;
  mpfr_inits2(128, hi, lo, static_cast<mpfr_ptr>(nullptr));
  mpfr_div_2ui(hi, r, 64, MPFR_RNDN);
  mpfr_floor(hi, hi);
  mpfr_mul_2ui(lo, hi, 64, MPFR_RNDN);
  mpfr_sub(lo, r, lo, MPFR_RNDN);
  std::printf("    {0x%016lxull, 0x%016lxull, %ld, %s}%s  // %s\n", mpfr_get_ui(hi, MPFR_RNDN),
              mpfr_get_ui(lo, MPFR_RNDN), e, neg ? "true" : "false", end, comment);
  mpfr_clears(r, hi, lo, static_cast<mpfr_ptr>(nullptr));
}

}  // namespace

int main() {
  const mpfr_prec_t p = 1024;
  mpfr_t v, t;
  mpfr_inits2(p, v, t, static_cast<mpfr_ptr>(nullptr));

  // floor(2/pi * 2^384), six words, most significant first.
  mpfr_const_pi(t, MPFR_RNDN);
  mpfr_ui_div(v, 2, t, MPFR_RNDN);
  mpfr_mul_2ui(v, v, 384, MPFR_RNDN);
  mpfr_floor(v, v);
  std::printf("// floor(2/pi * 2^384), most significant word first.\n");
  std::printf("constexpr uint64_t kTwoOverPi[6] = {\n");
  for (int i = 0; i < 6; ++i) {
    mpfr_div_2ui(t, v, 64 * (5 - i), MPFR_RNDN);
    mpfr_floor(t, t);
    mpfr_t w;
    mpfr_init2(w, p);
    mpfr_div_2ui(w, t, 64, MPFR_RNDN);
    mpfr_floor(w, w);
    mpfr_mul_2ui(w, w, 64, MPFR_RNDN);
    mpfr_sub(t, t, w, MPFR_RNDN);
    std::printf("    0x%016lxull,\n", mpfr_get_ui(t, MPFR_RNDN));
    mpfr_clear(w);
  }
  std::printf("};\n\n");

  std::printf("// 128-bit values, rounded to nearest: {significand high, low, exponent, negative}.\n");
  std::printf("constexpr XConst kPiOver2 =\n");
  mpfr_const_pi(v, MPFR_RNDN);
  mpfr_div_2ui(v, v, 1, MPFR_RNDN);
  print_xf(v, "pi/2", ";");
  std::printf("constexpr XConst kLn2 =\n");
  mpfr_const_log2(v, MPFR_RNDN);
  print_xf(v, "ln 2", ";");
  std::printf("constexpr XConst kLog2E =\n");
  mpfr_const_log2(t, MPFR_RNDN);
  mpfr_ui_div(v, 1, t, MPFR_RNDN);
  print_xf(v, "log2(e)", ";");
  std::printf("\n// arctan(j/16), j = 0..16.\nconstexpr XConst kAtanTable[17] = {\n");
  char c[64];
  for (int j = 0; j <= 16; ++j) {
    mpfr_set_ui(t, j, MPFR_RNDN);
    mpfr_div_ui(t, t, 16, MPFR_RNDN);
    mpfr_atan(v, t, MPFR_RNDN);
    std::snprintf(c, sizeof c, "arctan(%d/16)", j);
    print_xf(v, c);
  }
  std::printf("};\n\n// 2^(j/16) - 1, j = -16..16.\nconstexpr XConst kExp2Table[33] = {\n");
  for (int j = -16; j <= 16; ++j) {
    mpfr_set_si(t, j, MPFR_RNDN);
    mpfr_div_ui(t, t, 16, MPFR_RNDN);
    mpfr_exp2(v, t, MPFR_RNDN);
    mpfr_sub_ui(v, v, 1, MPFR_RNDN);
    std::snprintf(c, sizeof c, "2^(%d/16) - 1", j);
    print_xf(v, c);
  }
  std::printf("};\n\n// 1/n!, n = 0..40.\nconstexpr XConst kInvFactorial[41] = {\n");
  for (int n = 0; n <= 40; ++n) {
    mpfr_fac_ui(t, n, MPFR_RNDN);
    mpfr_ui_div(v, 1, t, MPFR_RNDN);
    std::snprintf(c, sizeof c, "1/%d!", n);
    print_xf(v, c);
  }
  std::printf("};\n\n// 1/(2k + 1), k = 0..40.\nconstexpr XConst kInvOdd[41] = {\n");
  for (int k = 0; k <= 40; ++k) {
    mpfr_set_ui(v, 1, MPFR_RNDN);
    mpfr_div_ui(v, v, 2 * k + 1, MPFR_RNDN);
    std::snprintf(c, sizeof c, "1/%d", 2 * k + 1);
    print_xf(v, c);
  }
  std::printf("};\n");
  mpfr_clears(v, t, static_cast<mpfr_ptr>(nullptr));
  mpfr_free_cache();
  return 0;
}
