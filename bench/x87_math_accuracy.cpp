// The x87 transcendentals (emulator/cpu/x87_math.h) against MPFR over many random
// arguments per function: the largest and mean error in ulps of the 64-bit significand (to
// nearest, and in all four rounding modes), the share of results correctly rounded, and the
// time per call. Figures in docs/PERFORMANCE.md ("Issue 16: x87 transcendental accuracy").
//   x87_math_accuracy [--count N] [--seed S] [--only NAME] [--show]
// N arguments per function (default 1000000), spread over the four rounding modes and biased
// to the hard places as tests/cpu/x87_math_test.cpp is (near multiples of pi/2, near 1 for
// the logarithms, tiny and huge values, denormals). FSINCOS is FSIN and FCOS together (the
// tests check that it gives their bits); FPREM and FPREM1 are timed one instruction at a
// time and compared after the loop that completes the reduction. The time per call is CPU
// time; the MPFR comparison takes most of the run (about 2 minutes per million arguments for
// all ten functions).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "cpu/x87_math.h"
#include "x87_math_oracle.h"

namespace {

using namespace rw::cpu;
using namespace rw::cpu::x87;
using oracle::Fn;
using oracle::Rng;
using oracle::rand_finite;

struct Case {
  F80 a, b;  // the operands in the interface's order: (x) or (ST(0), ST(1)); FPATAN (y, x)
  unsigned rc;
};

struct Spec {
  const char* name;
  bool exact;  // FSCALE FPREM FPREM1: must equal MPFR's result
  bool remainder;  // FPREM FPREM1: compared after the loop that completes the reduction
  std::function<Case(Rng&)> gen;
  std::function<Result(const Case&)> run;
  // The exact function of the two operands (as MPFR numbers of 64 bits).
  std::function<int(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t)> fn;
};

double thread_cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e9 + double(t.tv_nsec);
}

F80 neg_if(F80 v, bool n) { return n ? F80{v.significand, uint16_t(v.sign_exponent ^ 0x8000)} : v; }

F80 trig_arg(Rng& r) {
  switch (r.range(0, 7)) {
    case 0: case 1: case 2: return rand_finite(r, -3, 62, r.coin());
    case 3: return rand_finite(r, -70, 3, r.coin());
    case 4: return rand_finite(r, -16445, -30, r.coin());
    default: {
      uint64_t k = (r.bits() >> r.range(1, 63)) | 1;
      F80 x = oracle::near_pi_multiple(k, r.range(-3, 3));
      if ((x.sign_exponent & 0x7FFF) >= 0x3FFF + 63) x = rand_finite(r, -3, 62, false);
      return neg_if(x, r.coin());
    }
  }
}

std::vector<Spec> specs() {
  std::vector<Spec> s;
  s.push_back({"fsin", false, false, [](Rng& r) { return Case{trig_arg(r), {}, r.rc()}; },
               [](const Case& c) { return fsin(c.a, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr a, mpfr_srcptr, mpfr_rnd_t m) { return mpfr_sin(o, a, m); }});
  s.push_back({"fcos", false, false, [](Rng& r) { return Case{trig_arg(r), {}, r.rc()}; },
               [](const Case& c) { return fcos(c.a, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr a, mpfr_srcptr, mpfr_rnd_t m) { return mpfr_cos(o, a, m); }});
  s.push_back({"fptan", false, false, [](Rng& r) { return Case{trig_arg(r), {}, r.rc()}; },
               [](const Case& c) { return fptan(c.a, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr a, mpfr_srcptr, mpfr_rnd_t m) { return mpfr_tan(o, a, m); }});
  s.push_back({"fpatan", false, false,
               [](Rng& r) {
                 int e = r.range(-70, 70);
                 F80 y, x;
                 switch (r.range(0, 5)) {
                   case 0: case 1: case 2:
                     y = rand_finite(r, e - 3, e + 3, r.coin());
                     x = rand_finite(r, e, e, r.coin());
                     break;
                   case 3:
                     y = rand_finite(r, e - 140, e - 40, r.coin());
                     x = rand_finite(r, e, e, r.coin());
                     if (r.coin()) std::swap(x, y);
                     break;
                   case 4:
                     x = rand_finite(r, e, e, r.coin());
                     y = F80{x.significand + uint64_t(r.range(-4, 4)), uint16_t((x.sign_exponent & 0x7FFF) | (r.coin() ? 0x8000 : 0))};
                     y.significand |= 1ull << 63;
                     break;
                   default:
                     y = rand_finite(r, -16445, 16383, r.coin());
                     x = rand_finite(r, -16445, 16383, r.coin());
                     break;
                 }
                 return Case{y, x, r.rc()};
               },
               [](const Case& c) { return fpatan(c.a, c.b, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr y, mpfr_srcptr x, mpfr_rnd_t m) { return mpfr_atan2(o, y, x, m); }});
  s.push_back({"f2xm1", false, false,
               [](Rng& r) {
                 F80 x;
                 switch (r.range(0, 4)) {
                   case 0: case 1: case 2: x = rand_finite(r, -8, -1, r.coin()); break;
                   case 3: x = rand_finite(r, -80, -8, r.coin()); break;
                   default: x = rand_finite(r, -16445, -80, r.coin()); break;
                 }
                 return Case{x, {}, r.rc()};
               },
               [](const Case& c) { return f2xm1(c.a, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr a, mpfr_srcptr, mpfr_rnd_t m) { return mpfr_exp2m1(o, a, m); }});
  s.push_back({"fyl2x", false, false,
               [](Rng& r) {
                 F80 x, y = rand_finite(r, -40, 40, r.coin());
                 switch (r.range(0, 5)) {
                   case 0: case 1: case 2: x = rand_finite(r, -100, 100, false); break;
                   case 3:
                     x = r.coin() ? F80{(1ull << 63) + (r.bits() >> r.range(1, 63)), 0x3FFF}
                                  : F80{~0ull - (r.bits() >> r.range(1, 63)), 0x3FFE};
                     break;
                   case 4: x = rand_finite(r, -16445, 16383, false); break;
                   default:
                     x = rand_finite(r, -16445, 16383, false);
                     y = r.coin() ? rand_finite(r, 16370, 16383, r.coin()) : rand_finite(r, -16445, -16300, r.coin());
                     break;
                 }
                 if (x.sign_exponent == 0x3FFF && x.significand == 1ull << 63) x.significand |= 1;
                 return Case{x, y, r.rc()};
               },
               [](const Case& c) { return fyl2x(c.a, c.b, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr x, mpfr_srcptr y, mpfr_rnd_t m) {
                 return oracle::ylog2_generic(o, x, y, m, false);
               }});
  s.push_back({"fyl2xp1", false, false,
               [](Rng& r) {
                 F80 x, y = rand_finite(r, -40, 40, r.coin());
                 switch (r.range(0, 4)) {
                   case 0: case 1: case 2: x = rand_finite(r, -10, -3, r.coin()); break;
                   case 3: {
                     bool n = r.coin();
                     uint64_t bound = n ? 0x95F619980C4336F7ull : 0xD413CCCFE7799211ull;
                     x = F80{(r.bits() % (bound - (1ull << 63))) | (1ull << 63), uint16_t(0x3FFD | (n ? 0x8000 : 0))};
                     break;
                   }
                   default: x = rand_finite(r, -16445, -10, r.coin()); break;
                 }
                 return Case{x, y, r.rc()};
               },
               [](const Case& c) { return fyl2xp1(c.a, c.b, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr x, mpfr_srcptr y, mpfr_rnd_t m) {
                 return oracle::ylog2_generic(o, x, y, m, true);
               }});
  s.push_back({"fscale", true, false,
               [](Rng& r) {
                 F80 x = rand_finite(r, -16445, 16383, r.coin());
                 int n = r.coin() ? r.range(-33000, 33000) : r.range(-70, 70);
                 F80 y{0, 0};
                 if (n) {
                   uint64_t m = uint64_t(n < 0 ? -n : n);
                   int lz = __builtin_clzll(m);
                   y = F80{m << lz, uint16_t((n < 0 ? 0x8000 : 0) | (0x3FFF + 63 - lz))};
                 }
                 return Case{x, y, r.rc()};
               },
               [](const Case& c) { return fscale(c.a, c.b, c.rc); },
               [](mpfr_ptr o, mpfr_srcptr x, mpfr_srcptr y, mpfr_rnd_t m) {
                 return mpfr_mul_2si(o, x, mpfr_get_si(y, MPFR_RNDZ), m);
               }});
  auto rem_gen = [](Rng& r) {
    F80 y = rand_finite(r, -16445, 16383, r.coin());
    int e = std::max(-16445, std::min(16383, (y.sign_exponent & 0x7FFF) - 16383 + r.range(-3, 100)));
    return Case{rand_finite(r, e, e, r.coin()), y, 0};
  };
  s.push_back({"fprem", true, true, rem_gen, [](const Case& c) { return fprem(c.a, c.b); },
               [](mpfr_ptr o, mpfr_srcptr x, mpfr_srcptr y, mpfr_rnd_t m) { return mpfr_fmod(o, x, y, m); }});
  s.push_back({"fprem1", true, true, rem_gen, [](const Case& c) { return fprem1(c.a, c.b); },
               [](mpfr_ptr o, mpfr_srcptr x, mpfr_srcptr y, mpfr_rnd_t m) { return mpfr_remainder(o, x, y, m); }});
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long count = 1000000;
  unsigned long seed = 1;
  std::string only;
  bool show = false;  // print the arguments of every result not correctly rounded
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--count") && i + 1 < argc) count = std::atol(argv[++i]);
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoul(argv[++i], nullptr, 0);
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--show")) show = true;
    else {
      std::fprintf(stderr, "usage: %s [--count N] [--seed S] [--only NAME] [--show]\n", argv[0]);
      return 2;
    }
  }
  std::printf("x87_math_accuracy: %ld arguments per function, seed %lu\n\n", count, seed);
  std::printf("| function | arguments | max error, to nearest (ulp) | max error, all modes (ulp) | mean error (ulp) | correctly rounded | ns per call |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  int status = 0;
  for (const Spec& spec : specs()) {
    if (!only.empty() && only != spec.name) continue;
    Rng rng(seed ^ std::hash<std::string>{}(spec.name));
    std::vector<Case> cases(static_cast<size_t>(count));
    for (Case& c : cases) c = spec.gen(rng);
    // Time: the library alone, over all the arguments, in this thread's CPU time (the
    // machine may be shared: time spent descheduled does not count).
    std::vector<Result> results(cases.size());
    double t0 = thread_cpu_ns();
    for (size_t i = 0; i < cases.size(); ++i) results[i] = spec.run(cases[i]);
    double ns = (thread_cpu_ns() - t0) / double(cases.size());
    // Accuracy.
    long correct = 0, measured = 0;
    double max_rn = 0, max_all = 0, sum = 0;
    mpfr_t a, b;
    mpfr_inits2(64, a, b, static_cast<mpfr_ptr>(nullptr));
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const Result& r = results[i];
      oracle::set_f80(a, c.a);
      oracle::set_f80(b, c.b);
      Fn f = [&](mpfr_ptr out, mpfr_rnd_t m) { return spec.fn(out, a, b, m); };
      oracle::Expected e = oracle::expect(f, c.rc);
      F80 got = r.value;
      if (spec.remainder) {  // FPREM FPREM1: to the end of the reduction, as software loops
        Result step = r;
        while (step.status & kC2) step = spec.run(Case{step.value, c.b, 0});
        got = step.value;
      }
      bool equal = got.significand == e.value.significand && got.sign_exponent == e.value.sign_exponent;
      correct += equal;
      if (!equal && show)
        std::printf("  %s(%04x:%016lx, %04x:%016lx) rc %u: %04x:%016lx, correctly rounded %04x:%016lx\n", spec.name,
                    c.a.sign_exponent, c.a.significand, c.b.sign_exponent, c.b.significand, c.rc, got.sign_exponent,
                    got.significand, e.value.sign_exponent, e.value.significand);
      if (e.overflow || (got.sign_exponent & 0x7FFF) == 0x7FFF || (e.value.sign_exponent & 0x7FFF) == 0x7FFF) {
        if (!equal) ++status;  // the masked overflow response, an infinity: no error in ulps
        continue;
      }
      double err = oracle::ulp_error(f, got);
      ++measured;
      sum += err;
      if (err > max_all) max_all = err;
      if (c.rc == 0 && err > max_rn) max_rn = err;
      if (err > 1 || (spec.exact && !equal)) ++status;
    }
    mpfr_clears(a, b, static_cast<mpfr_ptr>(nullptr));
    std::printf("| %s | %ld | %.4f | %.4f | %.4f | %.6f%% | %.0f |\n", spec.name, count, max_rn, max_all,
                measured ? sum / double(measured) : 0.0, 100.0 * double(correct) / double(count), ns);
    std::fflush(stdout);
  }
  mpfr_free_cache();
  if (status) std::printf("\n%d results beyond 1 ulp (or not exact where they must be)\n", status);
  return status ? 1 : 0;
}
