// The x87 transcendental and partial-remainder instructions (emulator/cpu/x87_math.h)
// against MPFR: every class of operand for each instruction, then tens of thousands of
// random arguments per function, biased to the hard places, in all four rounding modes,
// each compared with MPFR's correctly rounded result (within 1 ulp, and correctly rounded
// in all but a tiny share) with its flags; FSCALE, FPREM and FPREM1 compared exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/x87_math.h"
#include "x87_math_oracle.h"

namespace rw::cpu::x87 {
namespace {

using oracle::Expected;
using oracle::Fn;

// ---------------------------------------------------------------------------------------
// Values.

constexpr F80 make(bool neg, unsigned biased, uint64_t sig) {
  return F80{sig, uint16_t((neg ? 0x8000 : 0) | biased)};
}
F80 ld(long double v) {  // the host's long double is the 80-bit format
  F80 f;
  std::memcpy(&f.significand, &v, 8);
  std::memcpy(&f.sign_exponent, reinterpret_cast<const char*>(&v) + 8, 2);
  return f;
}
F80 neg(F80 v) { return F80{v.significand, uint16_t(v.sign_exponent ^ 0x8000)}; }
F80 quiet_of(F80 v) { return F80{v.significand | (1ull << 62), v.sign_exponent}; }
bool same(F80 a, F80 b) { return a.significand == b.significand && a.sign_exponent == b.sign_exponent; }
std::string hex(F80 v) {
  char b[40];
  std::snprintf(b, sizeof b, "%04x:%016" PRIx64, v.sign_exponent, v.significand);
  return b;
}
bool is_denormal(F80 v) { return (v.sign_exponent & 0x7FFF) == 0 && v.significand != 0; }

const F80 kPZero = make(false, 0, 0), kNZero = make(true, 0, 0);
const F80 kPInf = make(false, 0x7FFF, 1ull << 63), kNInf = make(true, 0x7FFF, 1ull << 63);
const F80 kQNaN = make(false, 0x7FFF, 0xC000000000001234ull);  // a QNaN with a payload
const F80 kSNaN = make(false, 0x7FFF, 0x8000000000005678ull);  // an SNaN with a payload
const F80 kQuietedSNaN = make(false, 0x7FFF, 0xC000000000005678ull);
const F80 kPseudoInf = make(false, 0x7FFF, 0);
const F80 kPseudoNaN = make(false, 0x7FFF, 0x4000000000000001ull);
const F80 kUnnormal = make(false, 0x3FFF, 0x4000000000000000ull);
const F80 kDenormal = make(false, 0, 0x0000000012345678ull);
const F80 kPseudoDenormal = make(false, 0, 0x8000000000000001ull);  // valid: a denormal operand (DE)
const F80 kOne = make(false, 0x3FFF, 1ull << 63), kTwo = make(false, 0x4000, 1ull << 63);
const F80 kHalf = make(false, 0x3FFE, 1ull << 63);

// ---------------------------------------------------------------------------------------
// Comparing with MPFR.

// An MPFR number holding an F80 operand.
struct M {
  mpfr_t v;
  explicit M(F80 x) {
    mpfr_init2(v, 64);
    oracle::set_f80(v, x);
  }
  M(const M&) = delete;
  ~M() { mpfr_clear(v); }
};

struct Stats {
  int cases = 0, correctly_rounded = 0, failures = 0;
};

// got (the library's value and status) against f's correctly rounded result under rc.
// operands_denormal: DE expected.
void compare(const char* what, const std::string& args, unsigned rc, F80 got, uint16_t status,
             const Fn& f, bool operands_denormal, Stats& stats, bool must_be_exact = false) {
  ++stats.cases;
  Expected e = oracle::expect(f, rc);
  bool equal = same(got, e.value);
  std::string problem;
  auto fail = [&](const std::string& p) { problem += p + "; "; };
  if (equal) {
    ++stats.correctly_rounded;
  } else if (must_be_exact) {
    fail("not the exact result " + hex(e.value));
  } else {
    bool finite = (got.sign_exponent & 0x7FFF) != 0x7FFF && (e.value.sign_exponent & 0x7FFF) != 0x7FFF;
    double err = finite ? oracle::ulp_error(f, got) : 1e9;
    if (!(err <= 1.0)) fail("error " + std::to_string(err) + " ulp, correctly rounded " + hex(e.value));
  }
  bool up = equal ? e.rounded_up : ((got.sign_exponent & 0x7FFF) != 0x7FFF && oracle::above_in_magnitude(f, got));
  if (((status & kPE) != 0) != e.inexact) fail("PE");
  if (((status & kC1) != 0) != up) fail("C1 (rounded up: " + std::to_string(up) + ")");
  if (((status & kUE) != 0) != e.underflow()) fail("UE");
  if (((status & kOE) != 0) != e.overflow) fail("OE");
  if (((status & kDE) != 0) != operands_denormal) fail("DE");
  if (status & (kIE | kZE)) fail("IE/ZE");
  if (!problem.empty() && ++stats.failures <= 8) {
    ADD_FAILURE() << what << "(" << args << ") rc " << rc << ": got " << hex(got) << " status "
                  << std::hex << status << std::dec << ": " << problem;
  }
}

// Correctly rounded in all but a tiny share of the cases, and never an error above 1 ulp
// (compare fails for that).
void expect_stats(const char* what, const Stats& s) {
  std::printf("[   info   ] %s: %d cases, %d correctly rounded\n", what, s.cases, s.correctly_rounded);
  EXPECT_EQ(s.failures, 0) << what;
  EXPECT_GE(s.correctly_rounded, s.cases - s.cases / 10000) << what;
}

// ---------------------------------------------------------------------------------------
// Random operands.

using oracle::near_pi_multiple;
using oracle::rand_finite;
using oracle::Rng;

// ---------------------------------------------------------------------------------------
// FSIN FCOS FSINCOS FPTAN

enum class TrigFn { kSin, kCos, kTan };

Fn trig_fn(const M& x, TrigFn which) {
  return [&x, which](mpfr_ptr out, mpfr_rnd_t rnd) {
    switch (which) {
      case TrigFn::kSin: return mpfr_sin(out, x.v, rnd);
      case TrigFn::kCos: return mpfr_cos(out, x.v, rnd);
      default: return mpfr_tan(out, x.v, rnd);
    }
  };
}

TEST(X87Math, TrigSpecialOperands) {
  for (unsigned rc = 0; rc < 4; ++rc) {
    // Zeros: sin and tan keep the zero, cos is 1; FPTAN pushes 1, FSINCOS the cosine 1.
    for (F80 z : {kPZero, kNZero}) {
      Result s = fsin(z, rc), c = fcos(z, rc), sc = fsincos(z, rc), t = fptan(z, rc);
      EXPECT_TRUE(same(s.value, z) && same(c.value, kOne) && same(sc.value, z) && same(sc.value2, kOne) &&
                  same(t.value, z) && same(t.value2, kOne));
      for (const Result& r : {s, c, sc, t}) {
        EXPECT_EQ(r.status, 0);
        EXPECT_TRUE(r.changed);
        EXPECT_EQ(r.cc_mask, kC1 | kC2);
      }
    }
    for (auto fn : {fsin, fcos, fsincos, fptan}) {
      // Infinities and unsupported encodings: invalid, the indefinite.
      for (F80 bad : {kPInf, kNInf, kPseudoInf, kPseudoNaN, kUnnormal}) {
        Result r = fn(bad, rc);
        EXPECT_EQ(r.status, kIE) << hex(bad);
        EXPECT_TRUE(same(r.value, kIndefinite) && same(r.value2, kIndefinite)) << hex(bad);
      }
      // NaNs: the QNaN passes, the SNaN is quieted with IE; FSINCOS and FPTAN give it twice.
      Result q = fn(kQNaN, rc), s = fn(kSNaN, rc);
      EXPECT_TRUE(same(q.value, kQNaN) && same(q.value2, kQNaN) && q.status == 0);
      EXPECT_TRUE(same(s.value, kQuietedSNaN) && same(s.value2, kQuietedSNaN) && s.status == kIE);
      EXPECT_TRUE(same(fn(neg(kQNaN), rc).value, neg(kQNaN)));
      // |x| >= 2^63: C2, nothing changes; just below: a result.
      for (F80 big : {make(false, 0x3FFF + 63, 1ull << 63), make(true, 0x3FFF + 63, ~0ull),
                      make(false, 0x7FFE, ~0ull)}) {
        Result r = fn(big, rc);
        EXPECT_FALSE(r.changed);
        EXPECT_EQ(r.status, kC2);
      }
      Result below = fn(make(false, 0x3FFF + 62, ~0ull), rc);
      EXPECT_TRUE(below.changed);
      EXPECT_EQ(below.status & (kC2 | kIE), 0);
      EXPECT_TRUE(below.status & kPE);
    }
  }
  // A denormal: DE, and the result is tiny and inexact: UE PE. sin x just below x: to
  // nearest, x (rounded up: C1).
  Result s = fsin(kDenormal, 0);
  EXPECT_EQ(s.status, kDE | kUE | kPE | kC1);
  EXPECT_TRUE(same(s.value, kDenormal));
  Result sz = fsin(kDenormal, 3);  // toward zero: one denormal ulp below
  EXPECT_TRUE(same(sz.value, make(false, 0, kDenormal.significand - 1)));
  EXPECT_EQ(sz.status, kDE | kUE | kPE);
  Result t = fptan(kDenormal, 2);  // up: tan x just above x
  EXPECT_TRUE(same(t.value, make(false, 0, kDenormal.significand + 1)));
  EXPECT_EQ(t.status, kDE | kUE | kPE | kC1);
  Result c = fcos(kDenormal, 0);
  EXPECT_TRUE(same(c.value, kOne));
  EXPECT_EQ(c.status, kDE | kPE | kC1);
  EXPECT_TRUE(same(fcos(kDenormal, 1).value, make(false, 0x3FFE, ~0ull)));
  // A pseudo-denormal is a denormal operand too.
  EXPECT_EQ(fsin(kPseudoDenormal, 0).status & kDE, kDE);
  // FSINCOS: C1 follows the cosine (the value pushed last).
  Result sc = fsincos(ld(1.0L), 0);
  EXPECT_EQ(sc.status & kC1, fcos(ld(1.0L), 0).status & kC1);
  EXPECT_TRUE(same(sc.value, fsin(ld(1.0L), 0).value) && same(sc.value2, fcos(ld(1.0L), 0).value));
}

void trig_random(TrigFn which, const char* name, int n, uint64_t seed) {
  Rng r(seed);
  Stats stats;
  for (int i = 0; i < n; ++i) {
    F80 x;
    switch (i % 8) {
      case 0: case 1: x = rand_finite(r, -3, 62, r.coin()); break;    // everywhere
      case 2: x = rand_finite(r, -70, 3, r.coin()); break;             // small
      case 3: x = rand_finite(r, -16445, -30, r.coin()); break;        // tiny, denormal
      default: {                                                       // near multiples of pi/2
        uint64_t k = (r.bits() >> r.range(1, 63)) | 1;
        if (r.range(0, 3) == 0) k = uint64_t(r.range(1, 64));
        x = near_pi_multiple(k, r.range(-3, 3));
        if (r.coin()) x = neg(x);
        if ((x.sign_exponent & 0x7FFF) >= 0x3FFF + 63) continue;
        break;
      }
    }
    unsigned rc = r.rc();
    M mx(x);
    Result res = which == TrigFn::kSin ? fsin(x, rc) : which == TrigFn::kCos ? fcos(x, rc) : fptan(x, rc);
    ASSERT_TRUE(res.changed);
    EXPECT_EQ(res.status & kC2, 0);
    compare(name, hex(x), rc, res.value, res.status & ~kC2, trig_fn(mx, which), is_denormal(x), stats);
    if (which == TrigFn::kTan) {
      EXPECT_TRUE(same(res.value2, kOne));
    }
    if (which != TrigFn::kTan && i % 4 == 0) {  // FSINCOS: both values as FSIN's and FCOS's
      Result sc = fsincos(x, rc), s = fsin(x, rc), c = fcos(x, rc);
      EXPECT_TRUE(same(sc.value, s.value) && same(sc.value2, c.value)) << hex(x);
      EXPECT_EQ(sc.status, uint16_t(((s.status | c.status) & kExceptions) | (c.status & kC1))) << hex(x);
    }
  }
  expect_stats(name, stats);
}

TEST(X87Math, FsinRandom) { trig_random(TrigFn::kSin, "fsin", 24000, 1); }
TEST(X87Math, FcosRandom) { trig_random(TrigFn::kCos, "fcos", 24000, 2); }
TEST(X87Math, FptanRandom) { trig_random(TrigFn::kTan, "fptan", 24000, 3); }

// ---------------------------------------------------------------------------------------
// NaNs and unsupported encodings with two operands (SDM vol. 1 table 4-7), through FSCALE,
// FPATAN, FYL2X, FYL2XP1, FPREM and FPREM1 alike.

using Binary = Result (*)(F80, F80, unsigned);
Result fpatan_xy(F80 x, F80 y, unsigned rc) { return fpatan(y, x, rc); }  // all as (ST(0), ST(1))
Result fprem_rc(F80 x, F80 y, unsigned) { return fprem(x, y); }
Result fprem1_rc(F80 x, F80 y, unsigned) { return fprem1(x, y); }
const Binary kBinaries[] = {fscale, fpatan_xy, fyl2x, fyl2xp1, fprem_rc, fprem1_rc};

TEST(X87Math, TwoOperandNaNs) {
  const F80 big_q = make(false, 0x7FFF, 0xC000000000009999ull);
  const F80 big_s = make(true, 0x7FFF, 0x8000000000009999ull);
  const F80 finite = kHalf;
  for (Binary fn : kBinaries) {
    for (unsigned rc = 0; rc < 4; ++rc) {
      auto check = [&](F80 a, F80 b, F80 want, uint16_t status) {
        Result r = fn(a, b, rc);
        EXPECT_TRUE(same(r.value, want)) << hex(a) << " " << hex(b) << ": " << hex(r.value);
        EXPECT_EQ(r.status & ~kConditionCodes, status) << hex(a) << " " << hex(b);
        Result s = fn(b, a, rc);  // the rules are symmetric
        EXPECT_TRUE(same(s.value, want)) << hex(b) << " " << hex(a) << ": " << hex(s.value);
        EXPECT_EQ(s.status & ~kConditionCodes, status) << hex(b) << " " << hex(a);
      };
      check(kQNaN, finite, kQNaN, 0);                     // a QNaN and a number: the QNaN
      check(kSNaN, finite, kQuietedSNaN, kIE);            // an SNaN: quieted, IE
      check(kQNaN, big_q, big_q, 0);                      // two QNaNs: the larger significand
      check(kSNaN, big_s, quiet_of(big_s), kIE);          // two SNaNs: the larger, quieted
      check(big_s, kQNaN, kQNaN, kIE);                    // an SNaN and a QNaN: the QNaN
      check(kQNaN, neg(kQNaN), kQNaN, 0);                 // the same significand: the positive one
      check(kQNaN, kPInf, kQNaN, 0);
      check(kQNaN, kPZero, kQNaN, 0);
      check(kQNaN, kDenormal, kQNaN, 0);                  // no DE beside a NaN
      for (F80 bad : {kPseudoInf, kPseudoNaN, kUnnormal}) {  // unsupported: the indefinite
        check(bad, finite, kIndefinite, kIE);
        check(bad, kQNaN, kIndefinite, kIE);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// FPATAN

Fn atan2_fn(const M& y, const M& x) {
  return [&y, &x](mpfr_ptr out, mpfr_rnd_t rnd) { return mpfr_atan2(out, y.v, x.v, rnd); };
}

TEST(X87Math, FpatanSpecialOperands) {
  // Every pair of classes, against MPFR's atan2 (whose special values are the SDM's table:
  // atan2(+-0, -0) = +-pi, atan2(+-inf, -inf) = +-3pi/4, ... and no IE for 0/0 or inf/inf).
  const F80 classes[] = {kNInf, ld(-3.0L), kNZero, kPZero, ld(0.75L), kPInf, neg(kDenormal), kDenormal};
  Stats stats;
  for (unsigned rc = 0; rc < 4; ++rc) {
    for (F80 y : classes) {
      for (F80 x : classes) {
        M my(y), mx(x);
        Result r = fpatan(y, x, rc);
        EXPECT_EQ(r.cc_mask, kC1);
        compare("fpatan", hex(y) + ", " + hex(x), rc, r.value, r.status, atan2_fn(my, mx),
                is_denormal(x) || is_denormal(y), stats);
      }
    }
  }
  EXPECT_EQ(stats.correctly_rounded, stats.cases);
  // pi/2 to nearest: rounded up.
  Result r = fpatan(kOne, kPZero, 0);
  EXPECT_TRUE(same(r.value, make(false, 0x3FFF, 0xC90FDAA22168C235ull)));
  EXPECT_EQ(r.status, kPE | kC1);
  EXPECT_TRUE(same(fpatan(kOne, kPZero, 3).value, make(false, 0x3FFF, 0xC90FDAA22168C234ull)));
}

TEST(X87Math, FpatanRandom) {
  Rng r(4);
  Stats stats;
  for (int i = 0; i < 30000; ++i) {
    F80 y, x;
    int ex = r.range(-70, 70);
    switch (i % 7) {
      case 0: case 1:  // comparable magnitudes
        y = rand_finite(r, ex - 3, ex + 3, r.coin());
        x = rand_finite(r, ex, ex, r.coin());
        break;
      case 2:  // far apart: tiny ratios, near pi/2 and pi
        y = rand_finite(r, ex - 140, ex - 40, r.coin());
        x = rand_finite(r, ex, ex, r.coin());
        if (r.coin()) std::swap(x, y);
        break;
      case 3: {  // |y| close to |x|, or to x j/16
        x = rand_finite(r, ex, ex, r.coin());
        y = make(r.coin(), x.sign_exponent & 0x7FFF, x.significand + uint64_t(r.range(-4, 4)));
        if (!(y.significand >> 63)) y.significand |= 1ull << 63;
        break;
      }
      case 4:  // anywhere, denormals too
        y = rand_finite(r, -16445, 16383, r.coin());
        x = rand_finite(r, -16445, 16383, r.coin());
        break;
      case 5:  // results that underflow
        y = rand_finite(r, -16445, -16000, r.coin());
        x = rand_finite(r, -100, 100, false);
        break;
      default: {  // exact small ratios (x a power of two, or 1.5 times one): arctan just below
        F80 q = rand_finite(r, -70, -4, r.coin());
        bool three = r.coin();
        if (three) q.significand = (q.significand >> 3) | (1ull << 63);  // below 2^64 / 1.5
        int k = r.range(-40, 40);
        x = make(false, unsigned(0x3FFF + k), three ? 0xC000000000000000ull : 1ull << 63);
        // y = q x exactly: q's significand (times 1.5) at q's exponent plus k.
        uint64_t ys = three ? q.significand + (q.significand >> 1) : q.significand;
        y = make((q.sign_exponent & 0x8000) != 0, unsigned((q.sign_exponent & 0x7FFF) + k), ys);
        break;
      }
    }
    unsigned rc = r.rc();
    M my(y), mx(x);
    Result res = fpatan(y, x, rc);
    compare("fpatan", hex(y) + ", " + hex(x), rc, res.value, res.status, atan2_fn(my, mx),
            is_denormal(x) || is_denormal(y), stats);
  }
  expect_stats("fpatan", stats);
}

Fn exp2m1_fn(const M& x) {
  return [&x](mpfr_ptr out, mpfr_rnd_t rnd) { return mpfr_exp2m1(out, x.v, rnd); };
}

TEST(X87Math, PowersOfTwo) {
  // Powers of two and their neighbours: where exact arithmetic puts results at, or next to,
  // rounding boundaries (sin, tan, cos and arctan beside x or 1, ...).
  Stats sin_s, cos_s, tan_s, atan_s, exp_s;
  for (int k = -90; k <= 62; ++k) {
    for (int delta : {-1, 0, 1}) {
      for (bool negative : {false, true}) {
        F80 x = make(negative, unsigned(0x3FFF + k), (1ull << 63) + uint64_t(delta));
        if (delta < 0) x = make(negative, unsigned(0x3FFF + k - 1), ~0ull);
        M mx(x);
        for (unsigned rc = 0; rc < 4; ++rc) {
          Result s = fsin(x, rc), c = fcos(x, rc), t = fptan(x, rc);
          compare("fsin", hex(x), rc, s.value, s.status, trig_fn(mx, TrigFn::kSin), false, sin_s);
          compare("fcos", hex(x), rc, c.value, c.status, trig_fn(mx, TrigFn::kCos), false, cos_s);
          compare("fptan", hex(x), rc, t.value, t.status, trig_fn(mx, TrigFn::kTan), false, tan_s);
          for (int j : {0, 1, 5, 40}) {  // arctan(x / 2^j), arctan(2^j / x)
            F80 p = make(false, unsigned(0x3FFF + j), 1ull << 63);
            M mp(p);
            Result a = fpatan(x, p, rc), b = fpatan(p, x, rc);
            compare("fpatan", hex(x) + ", " + hex(p), rc, a.value, a.status, atan2_fn(mx, mp), false, atan_s);
            compare("fpatan", hex(p) + ", " + hex(x), rc, b.value, b.status, atan2_fn(mp, mx), false, atan_s);
          }
          if (k < 0 || (k == 0 && delta <= 0)) {
            Result e = f2xm1(x, rc);
            compare("f2xm1", hex(x), rc, e.value, e.status, exp2m1_fn(mx), false, exp_s);
          }
        }
      }
    }
  }
  for (const Stats* s : {&sin_s, &cos_s, &tan_s, &atan_s, &exp_s}) {
    EXPECT_EQ(s->failures, 0);
    EXPECT_EQ(s->correctly_rounded, s->cases);
  }
}

// ---------------------------------------------------------------------------------------
// F2XM1


TEST(X87Math, F2xm1SpecialOperands) {
  for (unsigned rc = 0; rc < 4; ++rc) {
    for (F80 z : {kPZero, kNZero}) {
      Result r = f2xm1(z, rc);
      EXPECT_TRUE(same(r.value, z));
      EXPECT_EQ(r.status, 0);
    }
    Result one = f2xm1(kOne, rc), minus_one = f2xm1(neg(kOne), rc);
    EXPECT_TRUE(same(one.value, kOne) && one.status == 0);
    EXPECT_TRUE(same(minus_one.value, neg(kHalf)) && minus_one.status == 0);
    // Outside -1..1, infinities too: invalid (as QEMU).
    for (F80 bad : {make(false, 0x3FFF, 0x8000000000000001ull), make(true, 0x3FFF, 0x8000000000000001ull), kTwo,
                    kPInf, kNInf, kPseudoInf, kPseudoNaN, kUnnormal}) {
      Result r = f2xm1(bad, rc);
      EXPECT_TRUE(same(r.value, kIndefinite)) << hex(bad);
      EXPECT_EQ(r.status, kIE) << hex(bad);
    }
    EXPECT_TRUE(same(f2xm1(kQNaN, rc).value, kQNaN));
    EXPECT_EQ(f2xm1(kSNaN, rc).status, kIE);
    EXPECT_TRUE(same(f2xm1(kSNaN, rc).value, kQuietedSNaN));
  }
  // A denormal: DE, and 2^x - 1 = x ln 2 (1 + ...) is tiny: UE PE.
  Result d = f2xm1(kDenormal, 0);
  EXPECT_EQ(d.status & (kDE | kUE | kPE | kIE), kDE | kUE | kPE);
  EXPECT_EQ(d.cc_mask, kC1);
}

TEST(X87Math, F2xm1Random) {
  Rng r(5);
  Stats stats;
  for (int i = 0; i < 30000; ++i) {
    F80 x;
    switch (i % 5) {
      case 0: case 1: x = rand_finite(r, -8, -1, r.coin()); break;   // the bulk of -1..1
      case 2: x = rand_finite(r, -80, -8, r.coin()); break;          // small
      case 3: x = rand_finite(r, -16445, -80, r.coin()); break;      // tiny, denormal
      default: {                                                     // near j/16 and near +-1
        int j = r.range(1, 16);
        long double v = (long double)j / 16;
        x = ld(v);
        x.significand += uint64_t(r.range(-3, 3));
        if (!(x.significand >> 63) || (j == 16 && x.significand != (1ull << 63) && r.range(-3, 3) > 0)) x = ld(v);
        if ((x.sign_exponent & 0x7FFF) == 0x3FFF && x.significand != (1ull << 63)) x = ld(v);
        if (r.coin()) x = neg(x);
        break;
      }
    }
    unsigned rc = r.rc();
    M mx(x);
    Result res = f2xm1(x, rc);
    compare("f2xm1", hex(x), rc, res.value, res.status, exp2m1_fn(mx), is_denormal(x), stats);
  }
  expect_stats("f2xm1", stats);
}

// ---------------------------------------------------------------------------------------
// FYL2X FYL2XP1

Fn ylog2_fn(const M& x, const M& y, bool plus1) {
  return [&x, &y, plus1](mpfr_ptr out, mpfr_rnd_t rnd) { return oracle::ylog2_generic(out, x.v, y.v, rnd, plus1); };
}

TEST(X87Math, Fyl2xSpecialOperands) {
  const F80 f = ld(3.0L), small = ld(0.25L);
  const F80 inf = kPInf;
  struct Case {
    F80 x, y, want;
    uint16_t status;
  };
  const Case cases[] = {
      // Negative x (-0 is a zero): invalid.
      {ld(-2.0L), f, kIndefinite, kIE},
      {kNInf, f, kIndefinite, kIE},
      {neg(kDenormal), f, kIndefinite, kIE},
      {ld(-2.0L), kPZero, kIndefinite, kIE},
      // x = +-0: y = +-0 invalid; y finite: -+inf with ZE; y = +-inf: -+inf.
      {kPZero, kPZero, kIndefinite, kIE},
      {kNZero, kNZero, kIndefinite, kIE},
      {kPZero, f, kNInf, kZE},
      {kNZero, neg(f), kPInf, kZE},
      {kPZero, inf, kNInf, 0},
      {kNZero, kNInf, kPInf, 0},
      // 0 < x < 1: y = +-inf gives -+inf, y = +-0 gives -+0.
      {small, inf, kNInf, 0},
      {small, kNInf, kPInf, 0},
      {small, kPZero, kNZero, 0},
      {small, kNZero, kPZero, 0},
      // x = 1: y = +-inf invalid, else a zero with y's sign.
      {kOne, inf, kIndefinite, kIE},
      {kOne, f, kPZero, 0},
      {kOne, neg(f), kNZero, 0},
      {kOne, kNZero, kNZero, 0},
      // x > 1: y's class.
      {kTwo, inf, kPInf, 0},
      {kTwo, kNInf, kNInf, 0},
      {kTwo, kNZero, kNZero, 0},
      // x = +inf: y = +-0 invalid, else +-inf.
      {inf, kPZero, kIndefinite, kIE},
      {inf, f, kPInf, 0},
      {inf, neg(f), kNInf, 0},
      {inf, kNInf, kNInf, 0},
      // Exact: log2 of a power of two.
      {ld(8.0L), f, ld(9.0L), 0},
      {small, f, ld(-6.0L), 0},
      // A denormal operand: DE (here with an exact result).
      {kOne, kDenormal, kPZero, kDE},
  };
  for (unsigned rc = 0; rc < 4; ++rc) {
    for (const Case& c : cases) {
      Result r = fyl2x(c.x, c.y, rc);
      EXPECT_TRUE(same(r.value, c.want)) << hex(c.x) << " " << hex(c.y) << ": " << hex(r.value);
      EXPECT_EQ(r.status, c.status) << hex(c.x) << " " << hex(c.y);
      EXPECT_EQ(r.cc_mask, kC1);
    }
  }
  // log2(2^-16445) * y: exact product, rounded.
  Result r = fyl2x(make(false, 0, 1), ld(1.0L / 3), 0);
  EXPECT_EQ(r.status & (kIE | kDE | kPE), kDE | kPE);
}

TEST(X87Math, Fyl2xRandom) {
  Rng r(6);
  Stats stats;
  for (int i = 0; i < 24000; ++i) {
    F80 x, y = rand_finite(r, -40, 40, r.coin());
    switch (i % 6) {
      case 0: case 1: x = rand_finite(r, -100, 100, false); break;
      case 2: {  // near 1
        x = r.coin() ? make(false, 0x3FFF, (1ull << 63) + (r.bits() >> r.range(1, 63)))
                     : make(false, 0x3FFE, ~0ull - (r.bits() >> r.range(1, 63)));
        break;
      }
      case 3: x = rand_finite(r, -16445, 16383, false); break;  // anywhere, denormals too
      case 4: x = make(false, unsigned(r.range(1, 0x7FFE)), 1ull << 63); break;  // powers of two: exact logarithms
      default:  // results that overflow or underflow
        x = rand_finite(r, -16445, 16383, false);
        y = r.coin() ? rand_finite(r, 16370, 16383, r.coin()) : rand_finite(r, -16445, -16300, r.coin());
        break;
    }
    if (same(x, kOne)) continue;
    unsigned rc = r.rc();
    M mx(x), my(y);
    Result res = fyl2x(x, y, rc);
    compare("fyl2x", hex(x) + ", " + hex(y), rc, res.value, res.status, ylog2_fn(mx, my, false),
            is_denormal(x) || is_denormal(y), stats);
  }
  expect_stats("fyl2x", stats);
}

TEST(X87Math, Fyl2xp1SpecialOperands) {
  const F80 f = ld(3.0L), x = ld(0.125L);
  struct Case {
    F80 x, y, want;
    uint16_t status;
  };
  const Case cases[] = {
      {kPZero, f, kPZero, 0},           {kNZero, f, kNZero, 0},
      {kPZero, neg(f), kNZero, 0},      {kNZero, neg(f), kPZero, 0},
      {kPZero, kPInf, kIndefinite, kIE}, {kNZero, kNInf, kIndefinite, kIE},
      {x, kPInf, kPInf, 0},             {neg(x), kPInf, kNInf, 0},
      {x, kNZero, kNZero, 0},           {neg(x), kNZero, kPZero, 0},
      {kPZero, kDenormal, kPZero, kDE},
      // The range: 1 - sqrt(2)/2 below, sqrt(2) - 1 above (rounded toward zero); beyond, and
      // infinities: invalid.
      {make(true, 0x3FFD, 0x95F619980C4336F8ull), f, kIndefinite, kIE},
      {make(false, 0x3FFD, 0xD413CCCFE7799212ull), f, kIndefinite, kIE},
      {kHalf, f, kIndefinite, kIE},
      {kPInf, f, kIndefinite, kIE},
      {kNInf, kPZero, kIndefinite, kIE},
  };
  for (unsigned rc = 0; rc < 4; ++rc) {
    for (const Case& c : cases) {
      Result r = fyl2xp1(c.x, c.y, rc);
      EXPECT_TRUE(same(r.value, c.want)) << hex(c.x) << " " << hex(c.y) << ": " << hex(r.value);
      EXPECT_EQ(r.status, c.status) << hex(c.x) << " " << hex(c.y);
    }
    // The bounds themselves are in range.
    EXPECT_EQ(fyl2xp1(make(true, 0x3FFD, 0x95F619980C4336F7ull), f, rc).status & kIE, 0);
    EXPECT_EQ(fyl2xp1(make(false, 0x3FFD, 0xD413CCCFE7799211ull), f, rc).status & kIE, 0);
  }
}

TEST(X87Math, Fyl2xp1Random) {
  Rng r(7);
  Stats stats;
  for (int i = 0; i < 24000; ++i) {
    F80 x, y = rand_finite(r, -40, 40, r.coin());
    switch (i % 5) {
      case 0: case 1: x = rand_finite(r, -10, -3, r.coin()); break;
      case 2: x = rand_finite(r, -100, -10, r.coin()); break;
      case 3: {  // near the bounds, and the bulk of the top binade
        bool n = r.coin();
        uint64_t bound = n ? 0x95F619980C4336F7ull : 0xD413CCCFE7799211ull;
        x = make(n, 0x3FFD, r.coin() ? bound - uint64_t(r.range(0, 1000)) : ((r.bits() % (bound - (1ull << 63))) | (1ull << 63)));
        break;
      }
      default:  // tiny x, and results that overflow or underflow
        x = rand_finite(r, -16445, -100, r.coin());
        if (r.coin()) y = r.coin() ? rand_finite(r, 16370, 16383, r.coin()) : rand_finite(r, -16445, -16300, r.coin());
        break;
    }
    unsigned rc = r.rc();
    M mx(x), my(y);
    Result res = fyl2xp1(x, y, rc);
    compare("fyl2xp1", hex(x) + ", " + hex(y), rc, res.value, res.status, ylog2_fn(mx, my, true),
            is_denormal(x) || is_denormal(y), stats);
  }
  expect_stats("fyl2xp1", stats);
}

// ---------------------------------------------------------------------------------------
// FSCALE

TEST(X87Math, FscaleSpecialOperands) {
  const F80 f = ld(3.0L), s = ld(2.5L);
  struct Case {
    F80 x, y, want;
    uint16_t status;
  };
  const Case cases[] = {
      {f, kNInf, kPZero, 0},          {neg(f), kNInf, kNZero, 0},
      {kPInf, kNInf, kIndefinite, kIE}, {kNInf, kNInf, kIndefinite, kIE},
      {kNZero, kNInf, kNZero, 0},
      {f, kPInf, kPInf, 0},           {neg(f), kPInf, kNInf, 0},
      {kPZero, kPInf, kIndefinite, kIE}, {kNZero, kPInf, kIndefinite, kIE},
      {kNInf, kPInf, kNInf, 0},
      {kPZero, s, kPZero, 0},         {kNInf, neg(s), kNInf, 0},
      {f, s, ld(12.0L), 0},           {f, neg(s), ld(0.75L), 0},   // trunc(+-2.5) = +-2
      {f, ld(0.75L), f, 0},           {f, ld(-0.75L), f, 0},       // trunc: 0
      {kDenormal, kPZero, kDenormal, kDE},
      {kDenormal, ld(64.0L), make(false, 0x3FFF - 16382 + 64 - 35, 0x12345678ull << 35), kDE},
      {kPseudoDenormal, kPZero, make(false, 1, 0x8000000000000001ull), kDE},
      {f, ld(1e9L), kPInf, kOE | kPE | kC1},                       // overflow
      {f, ld(-1e9L), kPZero, kUE | kPE},                           // underflow to zero
      {ld(1.5L), ld(-16383.0L), make(false, 0, 3ull << 61), 0},    // an exact denormal: no UE
      {ld(1.5L), ld(-16445.0L), make(false, 0, 2), kUE | kPE | kC1},  // 1.5 denormal ulps: to even, up
  };
  for (const Case& c : cases) {
    Result r = fscale(c.x, c.y, 0);
    EXPECT_TRUE(same(r.value, c.want)) << hex(c.x) << " " << hex(c.y) << ": " << hex(r.value);
    EXPECT_EQ(r.status, c.status) << hex(c.x) << " " << hex(c.y);
    EXPECT_EQ(r.cc_mask, kC1);
  }
  // Overflow toward zero: the largest finite value; underflow up: the smallest denormal.
  EXPECT_TRUE(same(fscale(f, ld(1e9L), 3).value, make(false, 0x7FFE, ~0ull)));
  EXPECT_EQ(fscale(f, ld(1e9L), 3).status, kOE | kPE);
  EXPECT_TRUE(same(fscale(f, ld(-1e9L), 2).value, make(false, 0, 1)));
  EXPECT_EQ(fscale(f, ld(-1e9L), 2).status, kUE | kPE | kC1);
}

TEST(X87Math, FscaleAtTheDenormalBoundary) {
  // Results around 2^-16382, the smallest normal: (2 - 2^-63) 2^-16383 rounds to it to
  // nearest (tiny all the same: tininess is decided before the denormalization's rounding,
  // on the 64-bit result with unbounded exponent, which is exact here), and so on.
  Stats stats;
  for (uint64_t sig : {~0ull, ~0ull - 1, (1ull << 63) | 1, 1ull << 63, 0xC000000000000001ull}) {
    for (int n = -16385; n <= -16380; ++n) {
      for (unsigned rc = 0; rc < 4; ++rc) {
        for (bool negative : {false, true}) {
          F80 x = make(negative, 0x3FFF, sig), y = ld((long double)n);
          M mx(x);
          Result r = fscale(x, y, rc);
          Fn f = [&mx, n](mpfr_ptr out, mpfr_rnd_t rnd) { return mpfr_mul_2si(out, mx.v, n, rnd); };
          compare("fscale", hex(x) + ", " + hex(y), rc, r.value, r.status, f, false, stats, true);
        }
      }
    }
  }
  EXPECT_EQ(stats.correctly_rounded, stats.cases);
  Result r = fscale(make(false, 0x3FFF, ~0ull), ld(-16383.0L), 0);
  EXPECT_TRUE(same(r.value, make(false, 1, 1ull << 63))) << hex(r.value);
  EXPECT_EQ(r.status, kUE | kPE | kC1);
}

TEST(X87Math, FscaleRandom) {
  Rng r(8);
  Stats stats;
  for (int i = 0; i < 30000; ++i) {
    F80 x = rand_finite(r, -16445, 16383, r.coin());
    long double yv = (long double)r.range(-33000, 33000);
    if (r.coin()) yv = (long double)r.range(-70, 70);
    if (r.coin()) yv += (long double)(r.bits() % 1000) / 1000;  // a fraction, truncated away
    F80 y = ld(yv);
    long n = long(yv);  // truncates
    unsigned rc = r.rc();
    M mx(x);
    Result res = fscale(x, y, rc);
    Fn f = [&mx, n](mpfr_ptr out, mpfr_rnd_t rnd) { return mpfr_mul_2si(out, mx.v, n, rnd); };
    compare("fscale", hex(x) + ", " + hex(y), rc, res.value, res.status, f, is_denormal(x), stats, true);
  }
  expect_stats("fscale", stats);
}

// ---------------------------------------------------------------------------------------
// FPREM FPREM1

TEST(X87Math, RemainderSpecialOperands) {
  const F80 f = ld(7.0L);
  for (bool ieee : {false, true}) {
    auto fn = ieee ? fprem1 : fprem;
    for (F80 bad_x : {kPInf, kNInf})
      for (F80 y : {f, kPInf, kPZero}) {
        EXPECT_TRUE(same(fn(bad_x, y).value, kIndefinite));
        EXPECT_EQ(fn(bad_x, y).status, kIE);
      }
    for (F80 x : {f, kPZero, kNZero, kDenormal}) {
      EXPECT_TRUE(same(fn(x, kPZero).value, kIndefinite));  // the SDM's table says #Z, its exception list #IA
      EXPECT_EQ(fn(x, kNZero).status, kIE);
    }
    // A zero dividend, or an infinite modulus: the dividend, quotient 0.
    for (F80 x : {kPZero, kNZero, f, neg(f)}) {
      Result r = fn(x, x.significand ? kNInf : f);
      EXPECT_TRUE(same(r.value, x));
      EXPECT_EQ(r.status, 0);
      EXPECT_EQ(r.cc_mask, kConditionCodes);
    }
    Result d = fn(kDenormal, kPInf);
    EXPECT_TRUE(same(d.value, kDenormal));
    EXPECT_EQ(d.status, kDE);
  }
  // 7 rem 2: FPREM 1 (quotient 3: C3 C1), FPREM1 -1 (quotient 4: C0).
  Result a = fprem(f, kTwo), b = fprem1(f, kTwo);
  EXPECT_TRUE(same(a.value, kOne));
  EXPECT_EQ(a.status, kC3 | kC1);
  EXPECT_TRUE(same(b.value, neg(kOne)));
  EXPECT_EQ(b.status, kC0);
  // A zero remainder has the dividend's sign.
  EXPECT_TRUE(same(fprem(neg(ld(6.0L)), kTwo).value, kNZero));
  EXPECT_TRUE(same(fprem1(ld(6.0L), neg(kTwo)).value, kPZero));
  // Ties go to the even quotient: 5 rem1 2 = 1 (quotient 2), 3 rem1 2 = -1 (quotient 2).
  EXPECT_TRUE(same(fprem1(ld(5.0L), kTwo).value, kOne));
  EXPECT_TRUE(same(fprem1(ld(3.0L), kTwo).value, neg(kOne)));
  EXPECT_TRUE(same(fprem1(kOne, kTwo).value, kOne));             // |x| = |y|/2: quotient 0
  EXPECT_TRUE(same(fprem1(ld(1.5L), kTwo).value, ld(-0.5L)));     // |x| > |y|/2: quotient 1
  EXPECT_EQ(fprem1(ld(1.5L), kTwo).status, kC1);
  // A partial remainder: exponent difference 100, reduced by y 2^(100 - (32 + 100 % 32)) = y 2^64:
  Result p = fprem(make(false, 0x3FFF + 100, 0xFFFFFFFFFFFFFFFFull), kOne);
  EXPECT_EQ(p.status, kC2);
  // (2^101 - 2^37) mod 2^64 = 2^64 - 2^37.
  EXPECT_TRUE(same(p.value, make(false, 0x3FFF + 63, 0xFFFFFFE000000000ull))) << hex(p.value);
}

void remainder_random(bool ieee, uint64_t seed) {
  const char* name = ieee ? "fprem1" : "fprem";
  Rng r(seed);
  Stats stats;
  for (int i = 0; i < 20000; ++i) {
    F80 y = rand_finite(r, -16445, 16383, r.coin());
    int ey = (y.sign_exponent & 0x7FFF) - 16383;
    int d = i % 4 == 0 ? r.range(-3, 3) : i % 4 == 1 ? r.range(0, 63) : r.range(0, 400);
    int ex = std::clamp(ey + d, -16445, 16383);
    F80 x = rand_finite(r, ex, ex, r.coin());
    M mx(x), my(y);
    // Loop as software does until the reduction is complete; check each step.
    F80 cur = x;
    Result res;
    for (int step = 0;; ++step) {
      ASSERT_LT(step, 600) << hex(x) << " " << hex(y);
      res = ieee ? fprem1(cur, y) : fprem(cur, y);
      if (!(res.status & kC2)) break;
      // A partial step: C0 C1 C3 clear, the exponent down by at least 32, and the value
      // exactly cur mod y 2^(D - n), n = 32 + D mod 32 (truncating).
      EXPECT_EQ(res.status & ~kDE, kC2);
      M mc(cur), mn(res.value);
      long dexp = mpfr_get_exp(mc.v) - mpfr_get_exp(my.v);
      long n = 32 + dexp % 32;
      mpfr_t ys, want;
      mpfr_inits2(64, ys, want, static_cast<mpfr_ptr>(nullptr));
      mpfr_mul_2si(ys, my.v, dexp - n, MPFR_RNDN);
      mpfr_fmod(want, mc.v, ys, MPFR_RNDN);
      EXPECT_TRUE(mpfr_equal_p(want, mn.v)) << name << " partial step " << hex(cur) << " " << hex(y);
      EXPECT_LE(mpfr_get_exp(mn.v), mpfr_get_exp(mc.v) - 32);
      mpfr_clears(ys, want, static_cast<mpfr_ptr>(nullptr));
      cur = res.value;
    }
    long q = 0;
    Fn f = [&](mpfr_ptr out, mpfr_rnd_t rnd) {
      return ieee ? mpfr_remquo(out, &q, mx.v, my.v, rnd) : mpfr_fmodquo(out, &q, mx.v, my.v, rnd);
    };
    compare(name, hex(x) + ", " + hex(y), 0, res.value, res.status & ~kConditionCodes, f,
            is_denormal(x) || is_denormal(y), stats, true);
    unsigned qb = unsigned(q < 0 ? -q : q) & 7;
    uint16_t codes = uint16_t(((qb & 4) ? kC0 : 0) | ((qb & 2) ? kC3 : 0) | ((qb & 1) ? kC1 : 0));
    EXPECT_EQ(res.status & kConditionCodes, codes) << name << " " << hex(x) << " " << hex(y);
  }
  expect_stats(name, stats);
}

TEST(X87Math, FpremRandom) { remainder_random(false, 9); }
TEST(X87Math, Fprem1Random) { remainder_random(true, 10); }

// ---------------------------------------------------------------------------------------
// The constant tables, against MPFR.

TEST(X87Math, ConstantTables) {
  detail::Tables t = detail::tables();
  mpfr_t v, w, pi;
  mpfr_inits2(1024, v, w, pi, static_cast<mpfr_ptr>(nullptr));
  mpfr_const_pi(pi, MPFR_RNDN);
  // 2/pi: the 384-bit integer floor(2/pi 2^384).
  mpfr_ui_div(v, 2, pi, MPFR_RNDN);
  mpfr_mul_2ui(v, v, 384, MPFR_RNDN);
  mpfr_floor(v, v);
  mpfr_set_ui(w, 0, MPFR_RNDN);
  for (int i = 0; i < 6; ++i) {
    mpfr_mul_2ui(w, w, 64, MPFR_RNDN);
    mpfr_add_ui(w, w, t.two_over_pi[i], MPFR_RNDN);
  }
  EXPECT_TRUE(mpfr_equal_p(v, w));
  // A 128-bit entry: the value rounded to nearest at 128 bits.
  auto check = [&](const detail::XConst& c, mpfr_srcptr exact, const std::string& name) {
    mpfr_t r, e;
    mpfr_inits2(128, r, e, static_cast<mpfr_ptr>(nullptr));
    mpfr_set(e, exact, MPFR_RNDN);
    if (c.hi == 0 && c.lo == 0) {
      mpfr_set_ui(r, 0, MPFR_RNDN);
    } else {
      mpfr_set_ui(r, c.hi, MPFR_RNDN);
      mpfr_mul_2ui(r, r, 64, MPFR_RNDN);
      mpfr_add_ui(r, r, c.lo, MPFR_RNDN);
      mpfr_mul_2si(r, r, c.exp - 127, MPFR_RNDN);
      if (c.negative) mpfr_neg(r, r, MPFR_RNDN);
      EXPECT_TRUE(c.hi >> 63) << name;
    }
    EXPECT_TRUE(mpfr_equal_p(r, e)) << name;
    mpfr_clears(r, e, static_cast<mpfr_ptr>(nullptr));
  };
  mpfr_div_2ui(v, pi, 1, MPFR_RNDN);
  check(t.pi_over_2, v, "pi/2");
  mpfr_const_log2(v, MPFR_RNDN);
  check(t.ln2, v, "ln 2");
  mpfr_ui_div(v, 1, v, MPFR_RNDN);
  check(t.log2e, v, "log2 e");
  for (int j = 0; j <= 16; ++j) {
    mpfr_set_ui(w, j, MPFR_RNDN);
    mpfr_div_2ui(w, w, 4, MPFR_RNDN);
    mpfr_atan(v, w, MPFR_RNDN);
    check(t.atan[j], v, "atan " + std::to_string(j));
  }
  for (int j = -16; j <= 16; ++j) {
    mpfr_set_si(w, j, MPFR_RNDN);
    mpfr_div_2ui(w, w, 4, MPFR_RNDN);
    mpfr_exp2m1(v, w, MPFR_RNDN);
    check(t.exp2m1[j + 16], v, "exp2m1 " + std::to_string(j));
  }
  for (int n = 0; n <= 40; ++n) {
    mpfr_fac_ui(w, n, MPFR_RNDN);
    mpfr_ui_div(v, 1, w, MPFR_RNDN);
    check(t.inv_factorial[n], v, "1/n! " + std::to_string(n));
    mpfr_set_ui(v, 1, MPFR_RNDN);
    mpfr_div_ui(v, v, 2 * n + 1, MPFR_RNDN);
    check(t.inv_odd[n], v, "1/(2n+1) " + std::to_string(n));
  }
  mpfr_clears(v, w, pi, static_cast<mpfr_ptr>(nullptr));
}

}  // namespace
}  // namespace rw::cpu::x87
