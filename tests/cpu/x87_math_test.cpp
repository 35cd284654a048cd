// The x87 transcendental and partial-remainder instructions (emulator/cpu/x87_math.h)
// against MPFR: every class of operand for each instruction, then tens of thousands of
// random arguments per function, biased to the hard places, in all four rounding modes,
// each compared with MPFR's correctly rounded result (within 1 ulp, and correctly rounded
// in all but a tiny share) with its flags; FSCALE, FPREM and FPREM1 compared exactly.
#include <gtest/gtest.h>

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

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  uint64_t bits() { return g(); }
  int range(int lo, int hi) { return lo + int(g() % uint64_t(hi - lo + 1)); }
  bool coin() { return g() & 1; }
  unsigned rc() { return unsigned(g() & 3); }
};

// A finite nonzero value with unbiased exponent in [emin, emax] (below -16382: a denormal).
F80 rand_finite(Rng& r, int emin, int emax, bool negative) {
  int e = r.range(emin, emax);
  uint64_t sig = r.bits() | (1ull << 63);
  if (r.range(0, 7) == 0) sig &= ~((1ull << r.range(1, 62)) - 1) | (1ull << 63);  // short significands
  if (e < -16382) {
    int shift = -16382 - e;
    sig = shift >= 64 ? 1 : sig >> shift;
    return make(negative, 0, sig ? sig : 1);
  }
  return make(negative, unsigned(e + 16383), sig);
}

// The F80 nearest to k * pi/2 * 2^-shift (k > 0), moved by delta ulps.
F80 near_pi_multiple(uint64_t k, int delta) {
  mpfr_t z;
  mpfr_init2(z, 64);
  mpfr_const_pi(z, MPFR_RNDN);
  mpfr_t p;
  mpfr_init2(p, 256);
  mpfr_const_pi(p, MPFR_RNDN);
  mpfr_mul_ui(p, p, k, MPFR_RNDN);
  mpfr_div_2ui(p, p, 1, MPFR_RNDN);
  mpfr_set(z, p, MPFR_RNDN);
  F80 v = oracle::get_f80(z);
  mpfr_clears(z, p, static_cast<mpfr_ptr>(nullptr));
  uint64_t s = v.significand + uint64_t(int64_t(delta));
  if (s >> 63) v.significand = s;
  return v;
}

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

}  // namespace
}  // namespace rw::cpu::x87
