#pragma once
// MPFR as the oracle for the x87 transcendentals (emulator/cpu/x87_math.h): the correctly
// rounded 80-bit result of an exact function under each rounding mode, with the x87's masked
// responses to overflow and underflow (tininess after rounding, SDM vol. 1 4.9.1.5), and the
// error of a given result in ulps. Used by tests/cpu/x87_math_test.cpp and
// bench/x87_math_accuracy.cpp.
#include <mpfr.h>

#include <cstdint>
#include <functional>
#include <random>

#include "cpu/cpu.h"

namespace rw::cpu::x87::oracle {

// f(out, rnd): the exact function's value correctly rounded to out's precision under rnd, in
// MPFR's (unbounded) default exponent range, returning the ternary value. Must be callable
// at any precision.
using Fn = std::function<int(mpfr_ptr, mpfr_rnd_t)>;

inline mpfr_rnd_t to_mpfr(unsigned rc) {
  static constexpr mpfr_rnd_t kModes[4] = {MPFR_RNDN, MPFR_RNDD, MPFR_RNDU, MPFR_RNDZ};
  return kModes[rc & 3];
}

constexpr int kBias = 16383;
constexpr long kMinNormalExp = -16381;  // MPFR's exponent (0.1b * 2^e) of 2^-16382
constexpr long kMaxExp = 16384;         // of the largest finite value, (1 - 2^-64) 2^16384
constexpr long kDenormalUlp = -16445;   // log2 of the smallest denormal

// An F80 that is zero, finite or infinite (no NaN, no unsupported encoding) into r (precision
// >= 64: exact).
inline void set_f80(mpfr_ptr r, F80 v) {
  bool neg = (v.sign_exponent >> 15) != 0;
  int be = v.sign_exponent & 0x7FFF;
  if (be == 0x7FFF) {
    mpfr_set_inf(r, neg ? -1 : 1);
    return;
  }
  mpfr_set_ui_2exp(r, v.significand, (be == 0 ? 1 : be) - kBias - 63, MPFR_RNDN);
  if (neg) mpfr_neg(r, r, MPFR_RNDN);
  if (mpfr_zero_p(r) && neg) mpfr_set_zero(r, -1);
}

// r, already representable as an F80 (at most 64 significant bits, within range, on the
// denormal grid), as an F80.
inline F80 get_f80(mpfr_srcptr r) {
  bool neg = mpfr_signbit(r) != 0;
  uint16_t s = neg ? 0x8000 : 0;
  if (mpfr_inf_p(r)) return F80{1ull << 63, uint16_t(s | 0x7FFF)};
  if (mpfr_zero_p(r)) return F80{0, s};
  long e = mpfr_get_exp(r);  // |r| in [2^(e-1), 2^e)
  mpfr_t t;
  mpfr_init2(t, 64);
  mpfr_abs(t, r, MPFR_RNDN);
  F80 out;
  if (e >= kMinNormalExp) {
    mpfr_mul_2si(t, t, 64 - e, MPFR_RNDN);
    out = F80{mpfr_get_ui(t, MPFR_RNDN), uint16_t(s | (e - 1 + kBias))};
  } else {
    mpfr_mul_2si(t, t, -kDenormalUlp, MPFR_RNDN);
    out = F80{mpfr_get_ui(t, MPFR_RNDN), s};
  }
  mpfr_clear(t);
  return out;
}

struct Expected {
  F80 value;
  bool inexact = false;
  bool rounded_up = false;  // |value| > |exact|: C1
  bool tiny = false;        // nonzero and below 2^-16382 after rounding with unbounded exponent
  bool overflow = false;
  bool underflow() const { return tiny && inexact; }  // UE, masked
};

// The x87 result of f under rc.
inline Expected expect(const Fn& f, unsigned rc) {
  mpfr_rnd_t rnd = to_mpfr(rc);
  Expected o;
  mpfr_t v;
  mpfr_init2(v, 64);
  int t = f(v, rnd);
  bool neg = mpfr_signbit(v) != 0;
  auto up_of = [&](int ternary) { return neg ? ternary < 0 : ternary > 0; };
  if (mpfr_zero_p(v) || mpfr_inf_p(v)) {  // exact zero or infinity
    o.value = get_f80(v);
    o.inexact = t != 0;
    o.rounded_up = up_of(t);
  } else if (mpfr_get_exp(v) > kMaxExp) {
    o.overflow = o.inexact = true;
    bool to_inf = rnd == MPFR_RNDN || (rnd == MPFR_RNDD && neg) || (rnd == MPFR_RNDU && !neg);
    o.rounded_up = to_inf;
    uint16_t s = neg ? 0x8000 : 0;
    o.value = to_inf ? F80{1ull << 63, uint16_t(s | 0x7FFF)} : F80{~0ull, uint16_t(s | 0x7FFE)};
  } else if (mpfr_get_exp(v) >= kMinNormalExp) {
    o.value = get_f80(v);
    o.inexact = t != 0;
    o.rounded_up = up_of(t);
  } else {
    // Tiny: round the exact value to the denormal grid, precision = its exponent + 16445.
    o.tiny = true;
    mpfr_t z;
    mpfr_init2(z, 256);
    int tz = f(z, MPFR_RNDZ);  // same binade as the exact value
    long ex = mpfr_get_exp(z);
    long p = ex - kDenormalUlp;
    if (p >= 1) {
      mpfr_t d;
      mpfr_init2(d, p);
      int td = f(d, rnd);
      o.value = get_f80(d);
      o.inexact = td != 0;
      o.rounded_up = up_of(td);
      mpfr_clear(d);
    } else {
      // Below the smallest denormal: 0 or the smallest denormal.
      bool away = rnd == MPFR_RNDN ? (p == 0 && !(tz == 0 && mpfr_cmp_si_2exp(z, neg ? -1 : 1, kDenormalUlp - 1) == 0))
                                   : (rnd == MPFR_RNDD && neg) || (rnd == MPFR_RNDU && !neg);
      uint16_t s = neg ? 0x8000 : 0;
      o.value = F80{away ? 1ull : 0ull, s};
      o.inexact = true;
      o.rounded_up = away;
    }
    mpfr_clear(z);
  }
  mpfr_clear(v);
  return o;
}

// |got - exact| in ulps of the 64-bit significand at the exact value (the denormal grid's
// spacing below 2^-16382). got finite, the exact value finite.
inline double ulp_error(const Fn& f, F80 got) {
  mpfr_t e, g, d;
  mpfr_inits2(320, e, g, d, static_cast<mpfr_ptr>(nullptr));
  f(e, MPFR_RNDN);
  set_f80(g, got);
  mpfr_sub(d, g, e, MPFR_RNDN);
  mpfr_abs(d, d, MPFR_RNDN);
  long ulp = kDenormalUlp;
  if (!mpfr_zero_p(e) && mpfr_get_exp(e) - 64 > ulp) ulp = mpfr_get_exp(e) - 64;
  mpfr_mul_2si(d, d, -ulp, MPFR_RNDN);
  double r = mpfr_get_d(d, MPFR_RNDN);
  mpfr_clears(e, g, d, static_cast<mpfr_ptr>(nullptr));
  return r;
}

// Whether |got| > |exact| (got finite, exact finite).
inline bool above_in_magnitude(const Fn& f, F80 got) {
  mpfr_t e, g;
  mpfr_inits2(320, e, g, static_cast<mpfr_ptr>(nullptr));
  int t = f(e, MPFR_RNDN);
  set_f80(g, got);
  int c = mpfr_cmpabs(g, e);
  // e rounded: when g equals it, the exact value is on the other side of the ternary.
  bool above = c > 0 || (c == 0 && (mpfr_signbit(e) ? t < 0 : t > 0));
  mpfr_clears(e, g, static_cast<mpfr_ptr>(nullptr));
  return above;
}

// y * log2(x) (x > 0 finite, y finite nonzero) and y * log2(1 + x) (x > -1, nonzero), by
// Ziv's strategy: the logarithm and the product at increasing precision until the result
// rounds the same at the error's two ends.
inline int ylog2_generic(mpfr_ptr out, mpfr_srcptr x, mpfr_srcptr y, mpfr_rnd_t rnd, bool plus1) {
  mpfr_prec_t prec = mpfr_get_prec(out);
  for (mpfr_prec_t p = prec + 64;; p *= 2) {
    mpfr_t l, z;
    mpfr_inits2(p, l, z, static_cast<mpfr_ptr>(nullptr));
    int tl = plus1 ? mpfr_log2p1(l, x, MPFR_RNDN) : mpfr_log2(l, x, MPFR_RNDN);
    int r = 0;
    bool done = false;
    if (tl == 0) {  // an exact logarithm: a single rounding of the product
      r = mpfr_mul(out, l, y, rnd);
      done = true;
    } else {
      mpfr_mul(z, l, y, MPFR_RNDN);
      if (mpfr_can_round(z, p - 3, MPFR_RNDN, MPFR_RNDZ, prec + (rnd == MPFR_RNDN))) {
        r = mpfr_set(out, z, rnd);
        done = true;
      }
    }
    mpfr_clears(l, z, static_cast<mpfr_ptr>(nullptr));
    if (done) return r;
  }
}

// Random operands, for the test and the accuracy tool alike.
struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  uint64_t bits() { return g(); }
  int range(int lo, int hi) { return lo + int(g() % uint64_t(hi - lo + 1)); }
  bool coin() { return g() & 1; }
  unsigned rc() { return unsigned(g() & 3); }
};

// A finite nonzero value with unbiased exponent in [emin, emax] (below -16382: a denormal).
inline F80 rand_finite(Rng& r, int emin, int emax, bool negative) {
  int e = r.range(emin, emax);
  uint64_t sig = r.bits() | (1ull << 63);
  if (r.range(0, 7) == 0) sig &= ~((1ull << r.range(1, 62)) - 1) | (1ull << 63);  // short significands
  if (e < -16382) {
    int shift = -16382 - e;
    sig = shift >= 64 ? 1 : sig >> shift;
    return F80{sig ? sig : 1, uint16_t(negative ? 0x8000 : 0)};
  }
  return F80{sig, uint16_t((negative ? 0x8000 : 0) | (e + 16383))};
}

// The F80 nearest to k * pi/2 (k > 0), moved by delta ulps.
inline F80 near_pi_multiple(uint64_t k, int delta) {
  mpfr_t z;
  mpfr_init2(z, 64);
  mpfr_const_pi(z, MPFR_RNDN);
  mpfr_t p;
  mpfr_init2(p, 256);
  mpfr_const_pi(p, MPFR_RNDN);
  mpfr_mul_ui(p, p, k, MPFR_RNDN);
  mpfr_div_2ui(p, p, 1, MPFR_RNDN);
  mpfr_set(z, p, MPFR_RNDN);
  F80 v = get_f80(z);
  mpfr_clears(z, p, static_cast<mpfr_ptr>(nullptr));
  uint64_t s = v.significand + uint64_t(int64_t(delta));
  if (s >> 63) v.significand = s;
  return v;
}

}  // namespace rw::cpu::x87::oracle
