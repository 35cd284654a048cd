#include "harness.h"

#include <sys/mman.h>
#include <signal.h>
#include <ucontext.h>

#include <algorithm>
#include <set>
#include <cmath>
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "cpu/code_cache.h"
#include "cpu/exec.h"
#include "cpu/operands.h"
#include "cpu/save_area.h"
#include "cpu/segments.h"

namespace rw::cputest {

// --- Rng ---

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) {
    seed += 0x9E3779B97F4A7C15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    s = z ^ (z >> 31);
  }
}

uint64_t Rng::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t test_seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("REWIND_CPU_SEED");
    uint64_t s = env ? std::strtoull(env, nullptr, 0) : 0x5EED2024ull;
    std::printf("cpu differential tests: seed 0x%llx (set REWIND_CPU_SEED to change)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

uint64_t edge_value(Rng& r) {
  uint64_t v = r.next();
  if (r.chance(5)) return v;
  static constexpr unsigned kWidths[] = {8, 16, 32, 64};
  const unsigned w = kWidths[r.below(4)];
  const uint64_t mask = w == 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1;
  const uint64_t sign = uint64_t{1} << (w - 1);
  uint64_t e;
  switch (r.below(10)) {
    case 0: e = 0; break;
    case 1: e = 1; break;
    case 2: e = ~uint64_t{0}; break;
    case 3: e = sign; break;
    case 4: e = sign - 1; break;
    case 5: e = sign + 1; break;
    case 6: e = r.below(72); break;
    case 7: e = uint64_t{1} << r.below(w); break;
    case 8: e = (uint64_t{1} << r.below(w)) - 1; break;
    default: e = ~uint64_t{0} - r.below(4); break;
  }
  if (r.chance(3)) v = r.chance(2) ? 0 : ~uint64_t{0};
  v = (v & ~mask) | (e & mask);
  // An edge byte where AH..BH live.
  if (r.chance(6)) {
    static constexpr uint8_t kBytes[] = {0, 1, 0x7F, 0x80, 0x81, 0xFF, 0xFE, 7, 8, 9};
    v = (v & ~uint64_t{0xFF00}) | uint64_t{kBytes[r.below(10)]} << 8;
  }
  return v;
}

Regs random_regs(Rng& r) {
  Regs s;
  fill_random_regs(s, r);
  return s;
}

void fill_random_regs(Regs& s, Rng& r) {
  for (auto& g : s.gpr) g = edge_value(r);
  // Equal operands: CMP equal, CMPXCHG success, SUB to zero.
  if (r.chance(4)) s.gpr[r.below(16)] = s.gpr[r.below(16)];
  s.rflags = (r.next() & cpu::rflags::kArith) | 0x202;
}

// --- SSE inputs ---

namespace {

// A float of `bits` total width: sign, `ebits` exponent bits, the rest mantissa.
struct FloatFormat {
  unsigned bits, ebits;
  unsigned mbits() const { return bits - 1 - ebits; }
  uint64_t sign() const { return uint64_t{1} << (bits - 1); }
  uint64_t mant_mask() const { return (uint64_t{1} << mbits()) - 1; }
  uint64_t emax() const { return (uint64_t{1} << ebits) - 1; }  // all ones: inf and NaN
  uint64_t bias() const { return emax() >> 1; }
  uint64_t make(uint64_t e, uint64_t m) const { return e << mbits() | (m & mant_mask()); }
};

uint64_t edge_float(Rng& r, const FloatFormat& f, int exponent) {
  const uint64_t sign = r.chance(2) ? f.sign() : 0;
  const uint64_t m = r.next() & f.mant_mask(), quiet = uint64_t{1} << (f.mbits() - 1);
  const uint64_t one = f.make(f.bias(), 0);
  switch (r.below(18)) {
    case 0: return sign;                                                             // ±0
    case 1: return sign | (m ? m : 1);                                               // denormal
    case 2: return sign | (r.chance(2) ? 1 : f.mant_mask());                         // smallest, largest denormal
    case 3: return sign | f.make(1, r.chance(2) ? 0 : r.below(4));                   // smallest normals
    case 4: return sign | (f.make(f.emax() - 1, f.mant_mask()) - r.below(4));         // largest normals
    case 5: return sign | f.make(f.emax(), 0);                                       // infinity
    case 6: return sign | f.make(f.emax(), quiet | (r.chance(3) ? 0 : m));           // QNaN
    case 7: return sign | f.make(f.emax(), (m & ~quiet) ? m & ~quiet : 1);           // SNaN
    case 8: return sign | (one + r.below(3) - 1);                                    // 1.0 and neighbours
    case 9: {
      // Where conversions round: halves, 2^(mbits) (spacing 1), 2^31 and 2^63.
      const uint64_t e = f.bias() + (r.chance(3) ? r.below(3) : r.chance(2) ? f.mbits() : r.chance(2) ? 31 : 63);
      const uint64_t frac = r.chance(2) ? uint64_t{1} << (f.mbits() - 1 - r.below(3)) : 0;
      return sign | (f.make(e, frac) + r.below(3) - 1);
    }
    case 10: case 11: case 12: {
      // The case's magnitude: operands near each other.
      const int64_t e = static_cast<int64_t>(f.bias()) + exponent + static_cast<int64_t>(r.below(5)) - 2;
      const uint64_t mm = r.chance(4) ? (r.chance(2) ? f.mant_mask() : 0) ^ r.below(8) : m;
      return sign | f.make(static_cast<uint64_t>(std::clamp<int64_t>(e, 1, static_cast<int64_t>(f.emax()) - 1)), mm);
    }
    case 13: return sign | f.make(1 + r.below(f.mbits() + 2), m);                    // tiny: products underflow
    case 14: return sign | f.make(f.emax() - 1 - r.below(f.mbits() + 2), m);         // huge: products overflow
    case 15: {
      // Short mantissas (exact products and sums), anywhere or at the case's magnitude.
      const int64_t e = r.chance(2) ? static_cast<int64_t>(1 + r.below(f.emax() - 1)) : static_cast<int64_t>(f.bias()) + exponent;
      return sign | f.make(static_cast<uint64_t>(std::clamp<int64_t>(e, 1, static_cast<int64_t>(f.emax()) - 1)),
                           r.chance(2) ? 0 : quiet | r.below(4));
    }
    default: return r.next() & (f.sign() | (f.sign() - 1));
  }
}

constexpr FloatFormat kF32{32, 8}, kF64{64, 11};

// An integer lane of `bits`, biased to the edges: saturation limits, signs, small values.
uint64_t edge_lane(Rng& r, unsigned bits) {
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1, sign = uint64_t{1} << (bits - 1);
  switch (r.below(10)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return mask;
    case 3: return sign;
    case 4: return sign - 1;
    case 5: return sign + 1;
    case 6: return r.below(bits + 2);
    case 7: return (mask - r.below(bits + 2)) & mask;
    default: return r.next() & mask;
  }
}

}  // namespace

uint32_t edge_f32(Rng& rng, int exponent) { return static_cast<uint32_t>(edge_float(rng, kF32, exponent)); }
uint64_t edge_f64(Rng& rng, int exponent) { return edge_float(rng, kF64, exponent); }

cpu::Xmm random_xmm(Rng& r, Lanes lanes, int exponent) {
  cpu::Xmm x;
  switch (lanes) {
    case Lanes::F32:
      for (unsigned k = 0; k < 4; ++k) x.q[k / 2] |= uint64_t{edge_f32(r, exponent)} << (32 * (k % 2));
      break;
    case Lanes::F64:
      for (uint64_t& q : x.q) q = edge_f64(r, exponent);
      break;
    case Lanes::Count:
      x = random_xmm(r, Lanes::Int, exponent);
      if (!r.chance(3)) x.q[0] = r.chance(4) ? uint64_t{1} << (7 + r.below(57)) | r.below(64) : r.below(70);
      break;
    case Lanes::Int: {
      if (r.chance(8)) {
        x.q[0] = x.q[1] = r.chance(2) ? ~uint64_t{0} : 0;
        break;
      }
      const unsigned bits = 8u << r.below(4);
      for (unsigned k = 0; k < 128 / bits; ++k) {
        const uint64_t v = edge_lane(r, bits);
        x.q[k * bits / 64] |= v << (k * bits % 64);
      }
      break;
    }
  }
  return x;
}

uint32_t random_mxcsr(Rng& r) {
  using namespace cpu::mxcsr;
  uint32_t m = static_cast<uint32_t>(r.below(4)) << 13;
  if (r.chance(3)) m |= FZ;
  if (r.chance(3)) m |= DAZ;
  if (r.chance(2)) m |= static_cast<uint32_t>(r.next()) & kFlags;
  uint32_t masks = kMasks;
  if (r.chance(5)) masks &= ~(static_cast<uint32_t>(r.next() & 0x3F) << 7);
  return m | masks;
}

void random_simd(Regs& s, Rng& r, Lanes lanes, uint16_t operands) {
  s.mxcsr = random_mxcsr(r);
  // The magnitude operands share (unbiased exponent): mostly near 1, sometimes anywhere.
  const int exponent = r.chance(2) ? static_cast<int>(r.below(9)) - 4 : static_cast<int>(r.below(300)) - 150;
  int first = -1, second = -1;
  for (unsigned x = 0; x < 16; ++x) {
    if (!((operands >> x) & 1)) {
      s.xmm[x].q[0] = r.next(), s.xmm[x].q[1] = r.next();
      continue;
    }
    (first < 0 ? first : second) = static_cast<int>(x);
    Lanes l = lanes;
    if (r.chance(6)) l = static_cast<Lanes>(r.below(4));
    s.xmm[x] = random_xmm(r, l, exponent);
  }
  // The two operands alike, or nearly (a few low bits apart in each 32-bit lane: sums
  // that cancel, exact tiny differences, comparisons on the edge).
  if (second >= 0 && r.chance(4)) {
    s.xmm[second] = s.xmm[first];
    if (r.chance(2))
      for (uint64_t& q : s.xmm[second].q) q ^= r.below(4) | r.below(4) << 32;
  }
}

// --- x87 inputs ---

namespace {

X87Regs::Reg f80(uint16_t sign_exponent, uint64_t significand) {
  X87Regs::Reg r;
  r.significand = significand;
  r.sign_exponent = sign_exponent;
  return r;
}

X87Regs::Reg from_long_double(long double v) {
  X87Regs::Reg r;
  std::memcpy(&r.significand, &v, 8);
  std::memcpy(&r.sign_exponent, reinterpret_cast<const uint8_t*>(&v) + 8, 2);
  return r;
}

constexpr uint64_t kJ = uint64_t{1} << 63, kQuiet = uint64_t{1} << 62;
constexpr int kBias80 = 16383;

uint16_t exp80(int64_t e) { return static_cast<uint16_t>(std::clamp<int64_t>(e, 1, 0x7FFE)); }

}  // namespace

X87Regs::Reg edge_f80(Rng& r, int exponent) {
  const uint16_t sign = r.chance(2) ? 0x8000 : 0;
  const uint64_t m = r.next();
  switch (r.below(24)) {
    case 0: return f80(sign, 0);                                              // ±0
    case 1: return f80(sign, (m & ~kJ) ? m & ~kJ : 1);                         // denormal
    case 2: return f80(sign, r.chance(2) ? 1 : kJ - 1 - r.below(2));           // smallest, largest denormals
    case 3: return f80(sign, kJ | (r.chance(3) ? 0 : m));                      // pseudo-denormal (exponent 0, J set)
    case 4: return f80(sign | 1, kJ | r.below(4));                             // smallest normals
    case 5: return f80(sign | 0x7FFE, ~uint64_t{0} - r.below(4));             // largest normals
    case 6: return f80(sign | 0x7FFF, kJ);                                     // infinity
    case 7:                                                                    // QNaN (the indefinite among them)
      return f80(sign | 0x7FFF, kJ | kQuiet | (r.chance(3) ? 0 : m & (kQuiet - 1)));
    case 8: return f80(sign | 0x7FFF, kJ | ((m & (kQuiet - 1)) ? m & (kQuiet - 1) : 1));  // SNaN
    case 9:
      // What the x87 refuses as an operand: unnormals (J clear with an exponent),
      // pseudo-NaNs and pseudo-infinities (exponent all ones, J clear).
      switch (r.below(3)) {
        case 0: return f80(sign | exp80(static_cast<int64_t>(r.below(0x7FFE)) + 1), m & ~kJ);
        case 1: return f80(sign | 0x7FFF, (m & ~kJ) ? m & ~kJ : 1);
        default: return f80(sign | 0x7FFF, 0);
      }
    case 10: {
      const unsigned k = static_cast<unsigned>(r.below(3));                    // 1.0 and its neighbours
      return k == 2 ? f80(sign | (kBias80 - 1), ~uint64_t{0}) : f80(sign | kBias80, kJ + k);
    }
    case 11: {
      // Integers and halves where FIST and FRNDINT round and overflow, and where single and
      // double precision stop holding every integer.
      static constexpr int kPowers[] = {0, 1, 2, 15, 16, 23, 24, 31, 32, 52, 53, 62, 63, 64};
      const int n = kPowers[r.below(std::size(kPowers))];
      long double v = std::ldexp(1.0L, n) + static_cast<long double>(static_cast<int>(r.below(5)) - 2);
      if (r.chance(2)) v += r.chance(2) ? 0.5L : -0.5L;
      if (r.chance(4)) v = r.chance(2) ? std::nextafter(v, 0.0L) : std::nextafter(v, 1e30L);
      X87Regs::Reg x = from_long_double(v);
      x.sign_exponent = static_cast<uint16_t>((x.sign_exponent & 0x7FFF) | sign);
      return x;
    }
    case 12: case 13: case 14: {
      // The case's magnitude: operands near each other.
      const uint64_t mm = r.chance(4) ? ((r.chance(2) ? ~uint64_t{0} : kJ) ^ r.below(8)) : m;
      return f80(sign | exp80(kBias80 + exponent + static_cast<int>(r.below(5)) - 2), mm | kJ);
    }
    case 15: return f80(sign | exp80(1 + static_cast<int64_t>(r.below(70))), m | kJ);        // tiny: products underflow
    case 16: return f80(sign | exp80(0x7FFE - static_cast<int64_t>(r.below(70))), m | kJ);   // huge: products overflow
    case 17: {
      // Short significands (exact products and sums), anywhere or at the case's magnitude.
      const uint16_t e = r.chance(2) ? exp80(static_cast<int64_t>(r.below(0x7FFE)) + 1) : exp80(kBias80 + exponent);
      return f80(sign | e, kJ | (r.chance(2) ? 0 : (m >> 56) << 56));
    }
    case 18: case 19: {
      // Exactly a single or a double, or half an ulp of one away (± the last bit): where
      // FST m32/m64 and precision control round.
      const unsigned keep = r.chance(2) ? 24 : 53;
      const uint64_t exact = (m | kJ) & ~((uint64_t{1} << (64 - keep)) - 1);
      const uint64_t half = uint64_t{1} << (63 - keep);
      uint64_t v = exact;
      if (!r.chance(3)) v = exact + half + r.below(3) - 1;
      const uint16_t e = r.chance(3) ? exp80(static_cast<int64_t>(r.below(0x7FFE)) + 1) : exp80(kBias80 + exponent);
      return f80(sign | e, v | kJ);
    }
    case 20: {
      // Where single and double precision overflow and become denormal or zero.
      const bool single = r.chance(2);
      const int emax = single ? 127 : 1023, emin = single ? -126 : -1022, mbits = single ? 23 : 52;
      int64_t e;
      switch (r.below(3)) {
        case 0: e = kBias80 + emax + static_cast<int>(r.below(3)) - 1; break;
        case 1: e = kBias80 + emin - static_cast<int64_t>(r.below(mbits + 3)); break;
        default: e = kBias80 + emin + static_cast<int>(r.below(3)) - 1; break;
      }
      const uint64_t mm = r.chance(3) ? ~uint64_t{0} - r.below(4) : r.chance(2) ? kJ : m | kJ;
      return f80(sign | exp80(e), mm);
    }
    default: return f80(static_cast<uint16_t>(r.next()), m);                 // random bits
  }
}

uint16_t x87_consistent_fsw(uint16_t fsw, uint16_t fcw) {
  if (fsw & ~fcw & x87b::kFlags) return static_cast<uint16_t>(fsw | x87b::ES | x87b::B);
  return static_cast<uint16_t>(fsw & ~(x87b::ES | x87b::B));
}

void random_x87(X87Regs& x, Rng& r, unsigned pending_one_in) {
  using namespace x87b;
  x = X87Regs{};
  static constexpr uint16_t kPcs[] = {0, 2, 3};  // precision control 1 is reserved
  auto fcw = static_cast<uint16_t>((r.next() & kRc) | kPcs[r.below(3)] << 8 | 0x40 | kFlags);
  if (r.chance(4)) fcw = static_cast<uint16_t>(fcw & ~(r.next() & kFlags));
  if (r.chance(8)) fcw |= 0x1000;  // infinity control: kept, meaningless since the 387
  auto fsw = static_cast<uint16_t>((r.next() & kCc) | r.below(8) << 11);
  if (r.chance(2)) fsw = static_cast<uint16_t>(fsw | (r.next() & fcw & kFlags));
  if ((fsw & IE) && r.chance(3)) fsw |= SF;
  const bool pending = pending_one_in && r.chance(pending_one_in);
  if (pending) {
    const auto bit = static_cast<uint16_t>(1u << r.below(6));
    fcw = static_cast<uint16_t>(fcw & ~bit);
    fsw |= bit;
    if (bit == IE && r.chance(2)) fsw |= SF;
  }
  x.fcw = fcw;
  x.fsw = x87_consistent_fsw(fsw, fcw);
  // Mostly a stack: ST(0)..ST(n-1) in use, the rest empty; now and then any tags.
  if (r.chance(5)) {
    x.ftw = static_cast<uint8_t>(r.next());
  } else {
    const unsigned n = r.chance(6) ? static_cast<unsigned>(r.below(9)) : 2 + static_cast<unsigned>(r.below(6));
    for (unsigned i = 0; i < 8; ++i) x.set_empty(i, i >= n);
  }
  const int exponent = r.chance(2) ? static_cast<int>(r.below(9)) - 4 : static_cast<int>(r.below(600)) - 300;
  for (auto& st : x.st) st = edge_f80(r, exponent);
  // ST(1) like ST(0), or a few low bits apart: sums that cancel, comparisons on the edge.
  if (r.chance(5)) {
    x.st[1] = x.st[0];
    if (r.chance(2)) x.st[1].significand ^= r.below(4);
    if (r.chance(4)) x.st[1].sign_exponent ^= 0x8000;
  }
  if (pending) {
    x.fop = static_cast<uint16_t>(r.next() & 0x7FF);
    x.fip = 0x00005A5A00000000ull | (r.next() & 0xFFFFFFF0ull);
    x.fdp = 0x00005B5B00000000ull | (r.next() & 0xFFFFFFFFull);
  }
}

// --- NativeRunner ---

namespace {

void emit(std::vector<uint8_t>& out, std::initializer_list<uint8_t> bytes) { out.insert(out.end(), bytes); }

// mov r64, [rdi + disp8] (load) or mov [rdi + disp8], r64 (store).
void emit_rdi_mov(std::vector<uint8_t>& out, bool store, unsigned r, uint8_t disp) {
  emit(out, {static_cast<uint8_t>(0x48 | (r >= 8 ? 4 : 0)), static_cast<uint8_t>(store ? 0x89 : 0x8B),
             static_cast<uint8_t>(0x47 | ((r & 7) << 3)), disp});
}

// movdqu xmm, [rdi + disp32] (load) or movdqu [rdi + disp32], xmm (store).
void emit_rdi_movdqu(std::vector<uint8_t>& out, bool store, unsigned x, uint32_t disp) {
  out.push_back(0xF3);
  if (x >= 8) out.push_back(0x44);
  emit(out, {0x0F, static_cast<uint8_t>(store ? 0x7F : 0x6F), static_cast<uint8_t>(0x87 | (x & 7) << 3)});
  for (unsigned k = 0; k < 4; ++k) out.push_back(static_cast<uint8_t>(disp >> (8 * k)));
}

// ldmxcsr [rdi + disp32] (digit 2) or stmxcsr (digit 3).
void emit_rdi_mxcsr(std::vector<uint8_t>& out, unsigned digit, uint32_t disp) {
  emit(out, {0x0F, 0xAE, static_cast<uint8_t>(0x87 | digit << 3)});
  for (unsigned k = 0; k < 4; ++k) out.push_back(static_cast<uint8_t>(disp >> (8 * k)));
}

// mov rax, imm64; fxsave64 [rax] (digit 0) or fxrstor64 [rax] (digit 1).
void emit_fx(std::vector<uint8_t>& out, unsigned digit, const void* area) {
  emit(out, {0x48, 0xB8});
  const uint64_t a = reinterpret_cast<uint64_t>(area);
  for (unsigned k = 0; k < 8; ++k) out.push_back(static_cast<uint8_t>(a >> (8 * k)));
  emit(out, {0x48, 0x0F, 0xAE, static_cast<uint8_t>(digit << 3)});
}

constexpr uint32_t kMxcsrOffset = offsetof(Regs, mxcsr);
constexpr uint32_t kXmmOffset = offsetof(Regs, xmm);

void save_host_state(uint8_t* area) { asm volatile("fxsave64 %0" : "=m"(*reinterpret_cast<uint8_t(*)[512]>(area))); }
void restore_host_state(const uint8_t* area) { asm volatile("fxrstor64 %0" : : "m"(*reinterpret_cast<const uint8_t(*)[512]>(area))); }

// --- catching the faults of the bytes under test ---

constexpr int kCaughtSignals[] = {SIGFPE, SIGSEGV, SIGBUS, SIGILL};

struct FaultCatch {
  bool installed = false;
  struct sigaction previous[std::size(kCaughtSignals)];
  sigjmp_buf* jump = nullptr;  // set while the bytes under test may run
  uint64_t begin = 0, end = 0;  // their addresses
  Regs* out = nullptr;
  bool simd = false;
  bool x87 = false;
  int vector = kNoFault;
  uint64_t rip = 0, error = 0;
};

FaultCatch g_catch;

void put_back_handlers() {
  if (!g_catch.installed) return;
  for (size_t k = 0; k < std::size(kCaughtSignals); ++k) sigaction(kCaughtSignals[k], &g_catch.previous[k], nullptr);
  g_catch.installed = false;
}

void on_fault(int signal, siginfo_t* info, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  const greg_t* g = uc->uc_mcontext.gregs;
  const auto rip = static_cast<uint64_t>(g[REG_RIP]);
  if (!g_catch.jump || rip < g_catch.begin || rip >= g_catch.end) {
    // Not the bytes under test: a fault happens again under the previous handlers when
    // this returns, a signal sent (kill, raise) is sent again now.
    put_back_handlers();
    if (info->si_code <= 0) raise(signal);
    return;
  }
  static constexpr int kOrder[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                     REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
  Regs& o = *g_catch.out;
  for (unsigned r = 0; r < 16; ++r) o.gpr[r] = static_cast<uint64_t>(g[kOrder[r]]);
  o.rflags = static_cast<uint64_t>(g[REG_EFL]);
  if (g_catch.simd && uc->uc_mcontext.fpregs) {
    o.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    for (unsigned x = 0; x < 16; ++x) std::memcpy(o.xmm[x].q, &uc->uc_mcontext.fpregs->_xmm[x], 16);
  }
  if (g_catch.x87 && uc->uc_mcontext.fpregs) {
    // The signal frame's FXSAVE-format area: the x87 state at the fault.
    std::memcpy(static_cast<void*>(&o.x87), uc->uc_mcontext.fpregs, sizeof o.x87);
    o.x87.unused[0] = o.x87.unused[1] = 0;
  }
  g_catch.vector = static_cast<int>(g[REG_TRAPNO]);
  g_catch.rip = rip;
  g_catch.error = static_cast<uint64_t>(g[REG_ERR]);
  siglongjmp(*g_catch.jump, 1);
}

}  // namespace

NativeFaultCatcher::NativeFaultCatcher() {
  if (g_catch.installed) throw std::logic_error("a NativeFaultCatcher is already alive");
  struct sigaction sa {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;  // the handler leaves by siglongjmp: nothing stays blocked
  sigemptyset(&sa.sa_mask);
  for (size_t k = 0; k < std::size(kCaughtSignals); ++k) sigaction(kCaughtSignals[k], &sa, &g_catch.previous[k]);
  g_catch.installed = true;
}

NativeFaultCatcher::~NativeFaultCatcher() { put_back_handlers(); }

NativeRunner::NativeRunner() {
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map an executable page");
  code_ = static_cast<uint8_t*>(p);
  void* d = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (d == MAP_FAILED) throw std::runtime_error("cannot map a data window below 4 GiB");
  data_ = static_cast<uint8_t*>(d);
  host_state_ = static_cast<uint8_t*>(std::aligned_alloc(64, 512));
  x87_in_ = static_cast<uint8_t*>(std::aligned_alloc(64, 512));
  x87_out_ = static_cast<uint8_t*>(std::aligned_alloc(64, 512));
  if (!host_state_ || !x87_in_ || !x87_out_) throw std::bad_alloc();
  std::memset(x87_in_, 0, 512);
  std::memset(x87_out_, 0, 512);
}

NativeRunner::~NativeRunner() {
  munmap(code_, 4096);
  munmap(data_, 8192);
  std::free(host_state_);
  std::free(x87_in_);
  std::free(x87_out_);
}

void NativeRunner::load(std::span<const uint8_t> code, bool simd, bool x87) {
  simd |= x87;
  std::vector<uint8_t> s;
  // Callee-saved registers, then the state pointer.
  emit(s, {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57});
  if (simd) {
    // The host's x87/SSE state aside, a clean x87 (FNINIT, as the emulator's), then
    // XMM0-15 and MXCSR.
    emit_fx(s, 0, host_state_);
    if (x87) {
      emit_fx(s, 1, x87_in_);  // the x87 state under test (its MXCSR and XMM replaced next)
    } else {
      // fninit, and the eight physical registers zeroed (FXSAVE stores them whatever their
      // tags; the emulator's are zero): fldz and fstp st(0) eight times each.
      emit(s, {0xDB, 0xE3});
      for (int k = 0; k < 8; ++k) emit(s, {0xD9, 0xEE});
      for (int k = 0; k < 8; ++k) emit(s, {0xDD, 0xD8});
      emit(s, {0xDB, 0xE3});
    }
    for (unsigned x = 0; x < 16; ++x) emit_rdi_movdqu(s, false, x, kXmmOffset + 16 * x);
    emit_rdi_mxcsr(s, 2, kMxcsrOffset);
  }
  emit(s, {0xFF, 0xB7, 0x80, 0x00, 0x00, 0x00});  // push qword [rdi+128]
  emit(s, {0x9D});                                // popfq
  for (unsigned r = 0; r < 16; ++r)
    if (r != cpu::RSP && r != cpu::RDI) emit_rdi_mov(s, false, r, static_cast<uint8_t>(8 * r));
  emit_rdi_mov(s, false, cpu::RDI, 8 * cpu::RDI);
  code_begin_ = static_cast<unsigned>(s.size());
  s.insert(s.end(), code.begin(), code.end());
  code_end_ = static_cast<unsigned>(s.size());
  emit(s, {0x57});                          // push rdi (the result)
  emit(s, {0x48, 0x8B, 0x7C, 0x24, 0x08});  // mov rdi, [rsp+8] (the state pointer)
  for (unsigned r = 0; r < 16; ++r)
    if (r != cpu::RSP && r != cpu::RDI) emit_rdi_mov(s, true, r, static_cast<uint8_t>(8 * r));
  emit(s, {0x58});  // pop rax
  emit_rdi_mov(s, true, cpu::RAX, 8 * cpu::RDI);
  emit(s, {0x9C, 0x58});                                // pushfq; pop rax
  emit(s, {0x48, 0x89, 0x87, 0x80, 0x00, 0x00, 0x00});  // mov [rdi+128], rax
  if (simd) {
    emit_rdi_mxcsr(s, 3, kMxcsrOffset);
    for (unsigned x = 0; x < 16; ++x) emit_rdi_movdqu(s, true, x, kXmmOffset + 16 * x);
    if (x87) emit_fx(s, 0, x87_out_);  // FXSAVE does not wait: a pending exception stays pending
    emit_fx(s, 1, host_state_);  // the host's own x87 state and MXCSR again
  }
  emit(s, {0x5F, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3});
  if (s.size() > 4096) throw std::runtime_error("native stub too long");
  std::memcpy(code_, s.data(), s.size());
  entry_ = reinterpret_cast<void (*)(Regs*)>(code_);
  simd_ = simd;
  x87_ = x87;
}

int NativeRunner::run(const Regs& in, Regs& out) {
  static_assert(offsetof(Regs, rflags) == 128 && kMxcsrOffset == 136 && kXmmOffset == 144);
  copy_regs(out, in, simd_);
  out.rflags = (in.rflags & cpu::rflags::kArith) | 0x202;
  if (x87_) {
    std::memcpy(x87_in_, &in.x87, sizeof in.x87);
    const uint32_t mxcsr = cpu::mxcsr::kReset, mask = 0;  // valid for FXRSTOR; LDMXCSR loads in.mxcsr after it
    std::memcpy(x87_in_ + 24, &mxcsr, 4);
    std::memcpy(x87_in_ + 28, &mask, 4);
  }
  auto x87_result = [&] {
    if (!x87_) return;
    std::memcpy(static_cast<void*>(&out.x87), x87_out_, sizeof out.x87);
    out.x87.unused[0] = out.x87.unused[1] = 0;
  };
  if (!g_catch.installed) {
    entry_(&out);
    x87_result();
    return kNoFault;
  }
  sigjmp_buf jump;
  g_catch.begin = reinterpret_cast<uint64_t>(code_) + code_begin_;
  g_catch.end = reinterpret_cast<uint64_t>(code_) + code_end_;
  g_catch.out = &out;
  g_catch.simd = simd_;
  g_catch.x87 = x87_;
  g_catch.vector = kNoFault;
  // The host's x87 state and MXCSR, which a signal resets: a SIMD stub keeps them itself.
  if (!simd_) save_host_state(host_state_);
  if (sigsetjmp(jump, 0) != 0) {
    // Left the stub at the fault: the host's x87 state and MXCSR are put back here.
    g_catch.jump = nullptr;
    restore_host_state(host_state_);
    fault_.offset = static_cast<unsigned>(g_catch.rip - g_catch.begin);
    fault_.error = g_catch.error;
    return g_catch.vector;
  }
  g_catch.jump = &jump;
  entry_(&out);
  g_catch.jump = nullptr;
  x87_result();
  return kNoFault;
}

// --- EmuRunner ---

namespace {
constexpr uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kGdt = 0x4000, kIdt = 0x5000;
constexpr uint64_t kCodeDescriptor = 0x00AF9B000000FFFFull;
constexpr uint64_t kDataDescriptor = 0x00CF93000000FFFFull;
}  // namespace

EmuRunner::EmuRunner() : memory_(4ull << 20), cache_(cpu::make_code_cache(cpu::default_engine())) {
  cpu_.mem = &memory_;
  cpu_.io = &io_;
  cpu_.code = cache_.get();
  if (cache_->translator()) {
    // Every form translated: each trace on its first run, and traces that end where the
    // code does (a breakpoint on the HLT after it ends the trace before it), so that
    // running `count` instructions runs the whole trace, which is what gets translated.
    cache_->set_hot_threshold(1);
    debug_.stop_on_fatal_exceptions = false;
    cpu_.debug = &debug_;
  }

  auto put64 = [&](uint64_t pa, uint64_t v) { memory_.write(pa, &v, 8); };
  // Identity map of the first 4 MiB with two 2 MiB pages.
  put64(kPml4, kPdpt | 3);
  put64(kPdpt, kPd | 3);
  put64(kPd, 0x000000 | 0x83);
  put64(kPd + 8, 0x200000 | 0x83);
  put64(kGdt, 0);
  put64(kGdt + 8, kCodeDescriptor);
  put64(kGdt + 16, kDataDescriptor);
  for (unsigned v = 0; v < 32; ++v) {
    const uint64_t handler = kHandlerBase + 16 * v;
    const uint64_t low = (handler & 0xFFFF) | uint64_t{0x08} << 16 | uint64_t{0x8E} << 40 |
                         ((handler >> 16) & 0xFFFF) << 48;
    put64(kIdt + 16 * v, low);
    put64(kIdt + 16 * v + 8, handler >> 32);
    const uint8_t hlt = 0xF4;
    memory_.write(handler, &hlt, 1);
  }

  cpu_.gdtr = cpu::TableRegister{kGdt, 23};
  cpu_.idtr = cpu::TableRegister{kIdt, 32 * 16 - 1};
  cpu_.cr3 = kPml4;
  cpu_.cr4 = cpu::cr4::PAE | cpu::cr4::OSFXSR | cpu::cr4::OSXMMEXCPT;
  cpu_.efer = cpu::efer::LME | cpu::efer::LMA | cpu::efer::NXE;
  cpu_.cr0 = cpu::cr0::PE | cpu::cr0::ET | cpu::cr0::NE | cpu::cr0::PG;
  for (unsigned s = cpu::ES; s <= cpu::GS; ++s) cpu_.seg[s] = cpu::segment_from_descriptor(0x10, kDataDescriptor);
  cpu_.tr.attr = 0x8B;
  cpu::set_code_segment(cpu_, 0x08, kCodeDescriptor, 0);
  cpu_.tlb.flush();
  cpu::update_mode(cpu_);
}

EmuRunner::~EmuRunner() = default;

uint64_t EmuRunner::place(std::span<const uint8_t> code, unsigned page_split) {
  if (code.size() + 1 > kSlotBytes) throw std::runtime_error("code too long for a slot");
  uint64_t rip = next_slot_;
  if (page_split) {
    rip = ((next_slot_ + page_split + 4095) & ~uint64_t{4095}) - page_split;
    next_slot_ = rip;
  }
  if (next_slot_ + kSlotBytes > kCodeEnd) throw std::runtime_error("out of code slots");
  next_slot_ = (next_slot_ + code.size() + 1 + kSlotBytes - 1) & ~(kSlotBytes - 1);
  memory_.write(rip, code.data(), code.size());
  const uint8_t hlt = 0xF4;
  memory_.write(rip + code.size(), &hlt, 1);
  code_end_[rip] = rip + code.size();
  return rip;
}

uint64_t EmuRunner::run(uint64_t rip, unsigned count, const Regs& in, Regs& out, bool simd, bool x87) {
  simd |= x87;
  for (unsigned r = 0; r < 16; ++r) cpu_.gpr[r] = in.gpr[r];
  cpu_.gpr[cpu::RSP] = kStackTop;
  cpu::set_rflags(cpu_, (in.rflags & cpu::rflags::kArith) | 0x2);
  if (simd) {
    for (unsigned x = 0; x < 16; ++x) cpu_.xmm[x] = in.xmm[x];
    cpu_.mxcsr = in.mxcsr;
    cpu_.x87 = cpu::X87State{};  // FNINIT's state, as the native stub's
    if (x87) {
      // As FXRSTOR64 loads an image (save_area.h: the emulator's own mapping of it).
      alignas(16) uint8_t image[512] = {};
      std::memcpy(image, &in.x87, sizeof in.x87);
      cpu::load_x87_region(cpu_, image, true);
    }
  }
  cpu_.rip = rip;
  cpu_.halted = false;
  if (cpu_.debug) {
    const auto end = code_end_.find(rip);
    std::set<uint64_t> want;
    if (end != code_end_.end()) want.insert(end->second);
    if (want != debug_.breakpoints) {
      debug_.breakpoints = std::move(want);
      debug_.changed = true;
    }
  }
  cpu::run(cpu_, cpu_.icount + count);
  for (unsigned r = 0; r < 16; ++r) out.gpr[r] = cpu_.gpr[r];
  out.rflags = cpu::get_rflags(cpu_);
  if (simd) {
    for (unsigned x = 0; x < 16; ++x) out.xmm[x] = cpu_.xmm[x];
    out.mxcsr = cpu_.mxcsr;
    if (x87) {
      alignas(16) uint8_t image[512] = {};
      cpu::save_x87_region(cpu_, image, true);
      std::memcpy(static_cast<void*>(&out.x87), image, sizeof out.x87);
      out.x87.unused[0] = out.x87.unused[1] = 0;
    }
  }
  return cpu_.rip;
}

NativeRunner::Fault EmuRunner::frame(int vector, const Regs& out, uint64_t rip) {
  // The handler's HLT ran on the frame: [RSP] is the error code if there is one, then RIP.
  NativeRunner::Fault f;
  uint64_t at = out.gpr[cpu::RSP];
  if (has_error_code(vector)) {
    memory_.read(at, &f.error, 8);
    at += 8;
  }
  uint64_t frame_rip = 0;
  memory_.read(at, &frame_rip, 8);
  f.offset = static_cast<unsigned>(frame_rip - rip);
  return f;
}

// --- formatting ---

std::string hex_bytes(std::span<const uint8_t> bytes) {
  std::string s;
  char b[4];
  for (uint8_t x : bytes) {
    std::snprintf(b, sizeof b, "%s%02x", s.empty() ? "" : " ", x);
    s += b;
  }
  return s;
}

std::string flags_string(uint64_t f) {
  std::string s;
  s += (f & cpu::rflags::OF) ? 'O' : '-';
  s += (f & cpu::rflags::SF) ? 'S' : '-';
  s += (f & cpu::rflags::ZF) ? 'Z' : '-';
  s += (f & cpu::rflags::AF) ? 'A' : '-';
  s += (f & cpu::rflags::PF) ? 'P' : '-';
  s += (f & cpu::rflags::CF) ? 'C' : '-';
  return s;
}

}  // namespace rw::cputest
