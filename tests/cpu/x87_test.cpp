// Differential tests of the x87 FPU (issue 16): every x87 instruction whose result Intel and
// AMD define alike runs on the host CPU and on the emulator with the same inputs, and the
// whole state must agree bit for bit afterwards: the x87 state (FCW, FSW with TOP and the
// condition codes, the tag word, all eight registers, and FOP/FIP/FDP where an exception is
// pending, harness.h), the GPRs, RFLAGS, XMM0-15, MXCSR and the data window.
//
// Inputs (harness.h: random_x87, edge_f80): every rounding mode and the three precision
// controls, exceptions masked in most cases and some unmasked, sticky flags, now and then an
// exception already pending; stacks of any depth (so overflow and underflow), registers and
// memory operands biased to the edges: zeros, denormals, pseudo-denormals, unnormals,
// pseudo-NaNs and pseudo-infinities (invalid operands), infinities, QNaNs and SNaNs with
// payloads, values near rounding boundaries of every precision, integers near the limits,
// valid packed BCD; memory operands anywhere around a page boundary, with every addressing
// form.
//
// Every form ends with FWAIT: an unmasked exception does not fault at its instruction, it
// sets FSW.ES and B, and the next waiting instruction raises #MF (vector 16, CR0.NE set).
// Natively that is a SIGFPE at the FWAIT (trap number 16, the state from the signal frame),
// in the emulator a delivery through the IDT: the vector, where the frame points and the
// state must agree. A pending exception on input faults at the instruction itself unless it
// does not wait (FNSTSW, FNSTCW, FNCLEX, FNINIT, FNSTENV, FNSAVE).
//
// Not here: the transcendental instructions (FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X
// FYL2XP1), whose results differ between vendors (x87_math_test.cpp); FPREM and FPREM1 with
// exponents 64 or more apart (a partial remainder whose size the vendors choose); FBLD of
// invalid BCD digits (undefined); FNSTENV's and FNSAVE's instruction and data pointers and
// selectors unless an exception was pending on input (they hold the host's addresses).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "cpu/cpu.h"
#include "cpu/exec.h"
#include "cpu/fault.h"
#include "forms.h"

namespace rw::cputest {
namespace {

// Iterations per form (about a million cases, 2 s for the X87Diff tests on a 2-core machine).
constexpr unsigned kIters = 2000;

constexpr uint64_t kJ = uint64_t{1} << 63;
constexpr uint8_t kFwait = 0x9B;

// What a memory operand holds.
enum class Kind : uint8_t { None, F32, F64, F80, I16, I32, I64, Bcd, Cw, Env32, Env16, Save32, Save16 };

unsigned kind_bytes(Kind k) {
  switch (k) {
    case Kind::F32: case Kind::I32: return 4;
    case Kind::F64: case Kind::I64: return 8;
    case Kind::F80: case Kind::Bcd: return 10;
    case Kind::I16: case Kind::Cw: return 2;
    case Kind::Env32: return 28;
    case Kind::Env16: return 14;
    case Kind::Save32: return 108;
    case Kind::Save16: return 94;
    case Kind::None: break;
  }
  return 8;
}

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

// A single or double (mbits, ebits) widened exactly to 80 bits, NaN payloads kept.
X87Regs::Reg widen(uint64_t bits, unsigned mbits, unsigned ebits) {
  const uint64_t emax = (uint64_t{1} << ebits) - 1, bias = emax >> 1;
  const auto sign = static_cast<uint16_t>(((bits >> (mbits + ebits)) & 1) << 15);
  const uint64_t e = (bits >> mbits) & emax, m = bits & ((uint64_t{1} << mbits) - 1);
  if (e == emax) return f80(sign | 0x7FFF, kJ | m << (63 - mbits));
  if (e == 0) {
    if (m == 0) return f80(sign, 0);
    const int lz = std::countl_zero(m);
    const int64_t exp = 64 - static_cast<int64_t>(bias) - static_cast<int64_t>(mbits) - lz;
    return f80(static_cast<uint16_t>(sign | (16383 + exp)), m << lz);
  }
  return f80(static_cast<uint16_t>(sign | (e - bias + 16383)), kJ | m << (63 - mbits));
}

// An integer of `bits` biased to the edges: 0, ±1, the limits and around them, powers of two.
uint64_t edge_int(Rng& r, unsigned bits) {
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1, sign = uint64_t{1} << (bits - 1);
  switch (r.below(9)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return mask;  // -1
    case 3: return sign;  // the most negative: the integer indefinite's pattern
    case 4: return sign - 1 - r.below(3);
    case 5: return sign + 1 + r.below(3);
    case 6: return (uint64_t{1} << r.below(bits)) & mask;
    case 7: return r.below(1000);
    default: return r.next() & mask;
  }
}

// Valid packed BCD: 18 digits, sign byte 0x00 or 0x80 (bits 0-6 of it are zero).
void put_bcd(uint8_t* p, Rng& r) {
  unsigned digits[18];
  const unsigned mode = static_cast<unsigned>(r.below(5));
  for (unsigned i = 0; i < 18; ++i) {
    switch (mode) {
      case 0: digits[i] = 0; break;                                          // ±0
      case 1: digits[i] = 9; break;                                          // 10^18 - 1
      case 2: digits[i] = i < 1 + r.below(4) ? static_cast<unsigned>(r.below(10)) : 0; break;  // small
      default: digits[i] = static_cast<unsigned>(r.below(10)); break;
    }
  }
  for (unsigned b = 0; b < 9; ++b) p[b] = static_cast<uint8_t>(digits[2 * b] | digits[2 * b + 1] << 4);
  p[9] = r.chance(2) ? 0x80 : 0;
}

// A control word both vendors keep as written: bits 0-5, 8-12 (precision control not the
// reserved 1), bit 6 set (it reads as 1), 7 and 13-15 clear.
uint16_t random_fcw(Rng& r) {
  static constexpr uint16_t kPcs[] = {0, 2, 3};
  auto cw = static_cast<uint16_t>((r.next() & 0x1C3F) | kPcs[r.below(3)] << 8 | 0x40);
  if (r.chance(2)) cw |= 0x3F;
  return cw;
}

// An FLDENV/FRSTOR image (32-bit format unless `narrow`): a random x87 state whose FSW agrees
// with its FCW (ES and B set exactly when an unmasked flag is), tags 11 (empty) or any
// other value for the registers in use (the processor recomputes those), random pointers and
// selectors, garbage in the reserved halves; with `regs`, the eight registers in stack order.
void env_image(uint8_t* p, Rng& r, bool narrow, bool regs) {
  X87Regs x;
  random_x87(x, r, 6);
  uint16_t tags = 0;
  for (unsigned phys = 0; phys < 8; ++phys) {
    const bool empty = !((x.ftw >> phys) & 1);
    tags |= static_cast<uint16_t>((empty ? 3u : static_cast<unsigned>(r.below(3))) << (2 * phys));
  }
  auto put16 = [&](unsigned at, uint16_t v) { std::memcpy(p + at, &v, 2); };
  auto put32 = [&](unsigned at, uint32_t v) { std::memcpy(p + at, &v, 4); };
  if (narrow) {
    put16(0, x.fcw), put16(2, x.fsw), put16(4, tags);
    put16(6, static_cast<uint16_t>(r.next())), put16(8, static_cast<uint16_t>(r.next()));
    put16(10, static_cast<uint16_t>(r.next())), put16(12, static_cast<uint16_t>(r.next()));
  } else {
    put32(0, x.fcw | static_cast<uint32_t>(r.next()) << 16);
    put32(4, x.fsw | static_cast<uint32_t>(r.next()) << 16);
    put32(8, tags | static_cast<uint32_t>(r.next()) << 16);
    put32(12, static_cast<uint32_t>(r.next()));                                   // FIP
    put32(16, static_cast<uint32_t>(r.next() & 0x07FFFFFF));                      // FCS, FOP
    put32(20, static_cast<uint32_t>(r.next()));                                   // FDP
    put32(24, static_cast<uint32_t>(r.next()));                                   // FDS
  }
  if (regs) {
    uint8_t* at = p + (narrow ? 14 : 28);
    for (unsigned i = 0; i < 8; ++i, at += 10) {
      const X87Regs::Reg v = edge_f80(r, 0);
      std::memcpy(at, &v.significand, 8);
      std::memcpy(at + 8, &v.sign_exponent, 2);
    }
  }
}

void write_operand(Kind k, uint8_t* p, Rng& r) {
  const int exponent = r.chance(2) ? static_cast<int>(r.below(9)) - 4 : static_cast<int>(r.below(600)) - 300;
  switch (k) {
    case Kind::F32: { const uint32_t v = edge_f32(r, exponent); std::memcpy(p, &v, 4); break; }
    case Kind::F64: { const uint64_t v = edge_f64(r, exponent); std::memcpy(p, &v, 8); break; }
    case Kind::F80: {
      const X87Regs::Reg v = edge_f80(r, exponent);
      std::memcpy(p, &v.significand, 8);
      std::memcpy(p + 8, &v.sign_exponent, 2);
      break;
    }
    case Kind::I16: { const auto v = static_cast<uint16_t>(edge_int(r, 16)); std::memcpy(p, &v, 2); break; }
    case Kind::I32: { const auto v = static_cast<uint32_t>(edge_int(r, 32)); std::memcpy(p, &v, 4); break; }
    case Kind::I64: { const uint64_t v = edge_int(r, 64); std::memcpy(p, &v, 8); break; }
    case Kind::Bcd: put_bcd(p, r); break;
    case Kind::Cw: { const uint16_t v = random_fcw(r); std::memcpy(p, &v, 2); break; }
    case Kind::Env32: env_image(p, r, false, false); break;
    case Kind::Env16: env_image(p, r, true, false); break;
    case Kind::Save32: env_image(p, r, false, true); break;
    case Kind::Save16: env_image(p, r, true, true); break;
    case Kind::None: break;
  }
}

// The operand's value in 80 bits (numeric kinds), to put in ST(0) now and then: comparisons
// of equal values, sums that cancel.
bool operand_value(Kind k, const uint8_t* p, X87Regs::Reg& out) {
  uint64_t q = 0;
  switch (k) {
    case Kind::F32: std::memcpy(&q, p, 4); out = widen(q, 23, 8); return true;
    case Kind::F64: std::memcpy(&q, p, 8); out = widen(q, 52, 11); return true;
    case Kind::F80: std::memcpy(&out.significand, p, 8); std::memcpy(&out.sign_exponent, p + 8, 2); return true;
    case Kind::I16: { int16_t v; std::memcpy(&v, p, 2); out = from_long_double(v); return true; }
    case Kind::I32: { int32_t v; std::memcpy(&v, p, 4); out = from_long_double(v); return true; }
    case Kind::I64: { int64_t v; std::memcpy(&v, p, 8); out = from_long_double(static_cast<long double>(v)); return true; }
    default: return false;
  }
}

// --- forms ---

Form x87_form(std::string name, Bytes bytes) {
  Form f;
  f.name = std::move(name);
  f.bytes = std::move(bytes);
  f.bytes.push_back(kFwait);
  f.count = 2;
  f.simd = true;
  f.x87 = true;
  return f;
}

// A register form: the opcode bytes, ST(i) in the last byte's low bits.
Form reg_form(const std::string& name, uint8_t op, uint8_t modrm, unsigned i = 8) {
  Bytes b = {op, static_cast<uint8_t>(modrm + (i < 8 ? i : 0))};
  return x87_form(i < 8 ? name + " st" + std::to_string(i) : name, b);
}

// Forms that name ST(i): ST(i) like ST(0) (or nearly) in one case in five.
void like_st0(Form& f, unsigned i) {
  if (i == 0 || i >= 8) return;
  f.fixup = [i](Regs& s, Rng& r) {
    if (!r.chance(5)) return;
    s.x87.st[i] = s.x87.st[0];
    if (r.chance(2)) s.x87.st[i].significand ^= r.below(4);
    if (r.chance(4)) s.x87.st[i].sign_exponent ^= 0x8000;
  };
}

// Builds memory forms with random addressing (some with a 32-bit address size).
class Builder {
 public:
  explicit Builder(const char* group) : r_(group_seed(group)) {}
  unsigned mem_variants = 2;

  // `op` /digit with an operand of `kind`; `load`: the operand is an input (written with
  // edge values of its kind; a numeric one copied to ST(0) now and then). `prefix`: bytes
  // before the opcode (66 for the 16-bit environment formats).
  void mem(const std::string& name, uint8_t op, unsigned digit, Kind kind, bool load, Bytes prefix = {}) {
    for (unsigned k = 0; k < mem_variants; ++k) {
      const bool a32 = r_.chance(6);
      Mem m = random_operand_address(r_, a32, 1u << cpu::RSP, false);
      Enc e;
      e.opcode = {op};
      e.reg = static_cast<int>(digit);
      e.reg_digit = true;
      e.mem = &m;
      e.addr32 = a32;
      if (k == 1 && r_.chance(3)) e.size = 8;  // a REX.W the instruction ignores
      Bytes b = encode(e);
      b.insert(b.begin(), prefix.begin(), prefix.end());
      Form f = x87_form(name + (a32 ? " a32" : "") + (e.size == 8 ? " rex.w" : ""), b);
      f.mem = m;
      f.mem_bytes = kind_bytes(kind);
      f.addr32 = a32;
      if (load) {
        f.operand_fixup = [kind](uint8_t* p, Rng& r) { write_operand(kind, p, r); };
        f.mem_fixup = [kind](Regs& s, const uint8_t* p, uint64_t random) {
          X87Regs::Reg v;
          if (random % 5 == 0 && operand_value(kind, p, v)) {
            s.x87.st[0] = v;
            if ((random >> 8) % 2) s.x87.st[0].significand ^= (random >> 16) % 4;
          }
        };
      }
      v_.push_back(std::move(f));
    }
  }

  Rng& rng() { return r_; }
  std::vector<Form>& forms() { return v_; }

 private:
  Rng r_;
  std::vector<Form> v_;
};

// --- loads and stores ---

std::vector<Form> load_forms() {
  Builder b("x87-loads");
  b.mem("FLD m32", 0xD9, 0, Kind::F32, true);
  b.mem("FLD m64", 0xDD, 0, Kind::F64, true);
  b.mem("FLD m80", 0xDB, 5, Kind::F80, true);
  b.mem("FILD m16", 0xDF, 0, Kind::I16, true);
  b.mem("FILD m32", 0xDB, 0, Kind::I32, true);
  b.mem("FILD m64", 0xDF, 5, Kind::I64, true);
  b.mem("FBLD", 0xDF, 4, Kind::Bcd, true);
  std::vector<Form>& v = b.forms();
  for (unsigned i = 0; i < 8; ++i) v.push_back(reg_form("FLD", 0xD9, 0xC0, i));
  return std::move(v);
}

// The constants, under every rounding mode (the host rounds them by RC, see
// X87Constants below).
std::vector<Form> constant_forms() {
  const std::pair<const char*, uint8_t> k[] = {{"FLD1", 0xE8},  {"FLDL2T", 0xE9}, {"FLDL2E", 0xEA}, {"FLDPI", 0xEB},
                                               {"FLDLG2", 0xEC}, {"FLDLN2", 0xED}, {"FLDZ", 0xEE}};
  std::vector<Form> v;
  for (const auto& [name, modrm] : k) v.push_back(reg_form(name, 0xD9, modrm));
  return v;
}

// FBSTP's inputs: integers of up to 18 digits, halves, and just beyond 10^18 - 1.
void bcd_range(Regs& s, Rng& r) {
  if (!r.chance(2)) return;
  long double v;
  switch (r.below(4)) {
    case 0: v = static_cast<long double>(r.below(1000000000000000000ull)); break;
    case 1: v = 999999999999999999.0L + static_cast<long double>(static_cast<int>(r.below(5)) - 2); break;
    case 2: v = static_cast<long double>(r.below(100000)) + 0.5L; break;
    default: v = static_cast<long double>(r.below(1000)) + static_cast<long double>(r.below(8)) / 8.0L; break;
  }
  if (r.chance(2)) v = -v;
  s.x87.st[0] = from_long_double(v);
}

std::vector<Form> store_forms() {
  Builder b("x87-stores");
  b.mem("FST m32", 0xD9, 2, Kind::F32, false);
  b.mem("FSTP m32", 0xD9, 3, Kind::F32, false);
  b.mem("FST m64", 0xDD, 2, Kind::F64, false);
  b.mem("FSTP m64", 0xDD, 3, Kind::F64, false);
  b.mem("FSTP m80", 0xDB, 7, Kind::F80, false);
  b.mem("FIST m16", 0xDF, 2, Kind::I16, false);
  b.mem("FIST m32", 0xDB, 2, Kind::I32, false);
  b.mem("FISTP m16", 0xDF, 3, Kind::I16, false);
  b.mem("FISTP m32", 0xDB, 3, Kind::I32, false);
  b.mem("FISTP m64", 0xDF, 7, Kind::I64, false);
  b.mem("FISTTP m16", 0xDF, 1, Kind::I16, false);
  b.mem("FISTTP m32", 0xDB, 1, Kind::I32, false);
  b.mem("FISTTP m64", 0xDD, 1, Kind::I64, false);
  b.mem("FBSTP", 0xDF, 6, Kind::Bcd, false);
  std::vector<Form>& v = b.forms();
  for (Form& f : v)
    if (f.name.rfind("FBSTP", 0) == 0) f.fixup = bcd_range;
  for (unsigned i = 0; i < 8; ++i) {
    v.push_back(reg_form("FST", 0xDD, 0xD0, i));
    v.push_back(reg_form("FSTP", 0xDD, 0xD8, i));
  }
  return std::move(v);
}

// --- arithmetic ---

std::vector<Form> arithmetic_forms() {
  Builder b("x87-arith");
  struct Op {
    const char* name;
    unsigned digit;
  };
  const Op ops[] = {{"FADD", 0}, {"FMUL", 1}, {"FSUB", 4}, {"FSUBR", 5}, {"FDIV", 6}, {"FDIVR", 7}};
  for (const Op& op : ops) {
    b.mem(std::string(op.name) + " m32", 0xD8, op.digit, Kind::F32, true);
    b.mem(std::string(op.name) + " m64", 0xDC, op.digit, Kind::F64, true);
    b.mem(std::string("FI") + (op.name + 1) + " m32", 0xDA, op.digit, Kind::I32, true);
    b.mem(std::string("FI") + (op.name + 1) + " m16", 0xDE, op.digit, Kind::I16, true);
  }
  std::vector<Form>& v = b.forms();
  // D8: ST(0) = ST(0) op ST(i). DC and DE (the P forms pop): ST(i) = ST(i) op ST(0), where
  // the encodings of SUB/SUBR and DIV/DIVR are swapped (DC E0+i is FSUBR ST(i), ST(0)).
  const char* const kDc[] = {"FADD", "FMUL", nullptr, nullptr, "FSUBR", "FSUB", "FDIVR", "FDIV"};
  for (const Op& op : ops)
    for (unsigned i = 0; i < 8; ++i) {
      const auto modrm = static_cast<uint8_t>(0xC0 | op.digit << 3);
      Form a = reg_form(std::string(op.name) + " st0,", 0xD8, modrm, i);
      like_st0(a, i);
      v.push_back(std::move(a));
      Form c = reg_form(std::string(kDc[op.digit]) + " (to st(i)) st0,", 0xDC, modrm, i);
      like_st0(c, i);
      v.push_back(std::move(c));
      Form p = reg_form(std::string(kDc[op.digit]) + "P st(i),st0:", 0xDE, modrm, i);
      like_st0(p, i);
      v.push_back(std::move(p));
    }
  return std::move(v);
}

// --- comparisons ---

std::vector<Form> compare_forms() {
  Builder b("x87-compare");
  b.mem("FCOM m32", 0xD8, 2, Kind::F32, true);
  b.mem("FCOMP m32", 0xD8, 3, Kind::F32, true);
  b.mem("FCOM m64", 0xDC, 2, Kind::F64, true);
  b.mem("FCOMP m64", 0xDC, 3, Kind::F64, true);
  b.mem("FICOM m32", 0xDA, 2, Kind::I32, true);
  b.mem("FICOMP m32", 0xDA, 3, Kind::I32, true);
  b.mem("FICOM m16", 0xDE, 2, Kind::I16, true);
  b.mem("FICOMP m16", 0xDE, 3, Kind::I16, true);
  std::vector<Form>& v = b.forms();
  struct Op {
    const char* name;
    uint8_t op, modrm;
  };
  const Op ops[] = {{"FCOM", 0xD8, 0xD0},   {"FCOMP", 0xD8, 0xD8},  {"FUCOM", 0xDD, 0xE0},  {"FUCOMP", 0xDD, 0xE8},
                    {"FCOMI", 0xDB, 0xF0},  {"FCOMIP", 0xDF, 0xF0}, {"FUCOMI", 0xDB, 0xE8}, {"FUCOMIP", 0xDF, 0xE8}};
  for (const Op& op : ops)
    for (unsigned i = 0; i < 8; ++i) {
      Form f = reg_form(op.name, op.op, op.modrm, i);
      like_st0(f, i);
      v.push_back(std::move(f));
    }
  v.push_back(reg_form("FCOMPP", 0xDE, 0xD9));
  v.push_back(reg_form("FUCOMPP", 0xDA, 0xE9));
  v.push_back(reg_form("FTST", 0xD9, 0xE4));
  v.push_back(reg_form("FXAM", 0xD9, 0xE5));
  return std::move(v);
}

// --- the rest of D9's register forms, FXCH, FFREE, FCMOVcc ---

// The exponent of a finite nonzero value as the x87 sees it (denormals and pseudo-denormals
// at their true magnitude); INT32_MIN for zeros, infinities, NaNs and invalid encodings.
int true_exponent(const X87Regs::Reg& v) {
  const int e = v.sign_exponent & 0x7FFF;
  if (e == 0x7FFF || v.significand == 0) return INT32_MIN;
  if (e == 0) return -16382 - std::countl_zero(v.significand);
  if (!(v.significand & kJ)) return INT32_MIN;  // unnormal
  return e - 16383;
}

// FPREM and FPREM1: ST(0)'s exponent at most 63 above ST(1)'s (a full remainder in one step;
// beyond, the size of the partial remainder is the vendor's).
void prem_range(Regs& s, Rng& r) {
  X87Regs::Reg &a = s.x87.st[0], &b = s.x87.st[1];
  if (r.chance(3)) {
    // Nearby magnitudes: quotients of a few bits, remainders that round to half.
    a.sign_exponent = static_cast<uint16_t>((a.sign_exponent & 0x8000) | ((b.sign_exponent & 0x7FFF) + r.below(8)));
    if ((b.sign_exponent & 0x7FFF) == 0 || (b.sign_exponent & 0x7FFF) > 0x7FF0) a.sign_exponent = 0x3FFF;
    a.significand |= kJ;
  }
  const int ea = true_exponent(a), eb = true_exponent(b);
  if (ea == INT32_MIN || eb == INT32_MIN || ea - eb < 64) return;
  // Bring ST(0) down to 63 above ST(1) at most (ST(1) is then normal: its exponent is above
  // ST(0)'s lowest).
  const int target = eb + static_cast<int>(r.below(64));
  a = f80(static_cast<uint16_t>((a.sign_exponent & 0x8000) | (16383 + target)), a.significand | kJ);
}

// FSCALE: ST(1) a scale factor now and then (small integers, fractions, the exponent range).
void scale_range(Regs& s, Rng& r) {
  if (!r.chance(2)) return;
  long double v;
  switch (r.below(4)) {
    case 0: v = static_cast<long double>(r.below(70)); break;
    case 1: v = static_cast<long double>(16300 + r.below(200)); break;
    case 2: v = static_cast<long double>(32700 + r.below(200)); break;
    default: v = static_cast<long double>(r.below(64)) + static_cast<long double>(1 + r.below(7)) / 8.0L; break;
  }
  if (r.chance(2)) v = -v;
  s.x87.st[1] = from_long_double(v);
}

std::vector<Form> misc_forms() {
  std::vector<Form> v;
  const std::pair<const char*, uint8_t> unary[] = {{"FCHS", 0xE0}, {"FABS", 0xE1}, {"FSQRT", 0xFA}, {"FRNDINT", 0xFC},
                                                   {"FXTRACT", 0xF4}, {"FDECSTP", 0xF6}, {"FINCSTP", 0xF7}, {"FNOP", 0xD0}};
  for (const auto& [name, modrm] : unary) v.push_back(reg_form(name, 0xD9, modrm));
  for (unsigned k = 0; k < 3; ++k) {  // more inputs for these: three forms each
    Form p = reg_form("FPREM", 0xD9, 0xF8);
    p.fixup = prem_range;
    v.push_back(std::move(p));
    Form p1 = reg_form("FPREM1", 0xD9, 0xF5);
    p1.fixup = prem_range;
    v.push_back(std::move(p1));
    Form sc = reg_form("FSCALE", 0xD9, 0xFD);
    sc.fixup = scale_range;
    v.push_back(std::move(sc));
  }
  for (unsigned i = 0; i < 8; ++i) {
    v.push_back(reg_form("FXCH", 0xD9, 0xC8, i));
    v.push_back(reg_form("FFREE", 0xDD, 0xC0, i));
  }
  // FCMOVcc: the condition from RFLAGS (random arithmetic flags).
  const std::pair<const char*, uint16_t> cmov[] = {{"FCMOVB", 0xDAC0},  {"FCMOVE", 0xDAC8},  {"FCMOVBE", 0xDAD0},
                                                   {"FCMOVU", 0xDAD8},  {"FCMOVNB", 0xDBC0}, {"FCMOVNE", 0xDBC8},
                                                   {"FCMOVNBE", 0xDBD0}, {"FCMOVNU", 0xDBD8}};
  for (const auto& [name, op] : cmov)
    for (unsigned i = 0; i < 8; ++i) v.push_back(reg_form(name, static_cast<uint8_t>(op >> 8), static_cast<uint8_t>(op), i));
  return v;
}

// --- control: FLDCW FNSTCW FNSTSW FNCLEX FNINIT FNSTENV FLDENV FNSAVE FRSTOR ---

// FNSTENV's (and FNSAVE's) pointers and selectors: FCS and FDS always hold the host's
// selectors; FIP, FOP and FDP are the state's only where an exception was pending on input
// (only then are they loaded alike on every vendor: harness.h). The 32-bit format's reserved
// upper halves of the control, status and tag words and of FDS are the vendor's (AMD: 0xFFFF)
// and rewind's own (0, as QEMU 7.2): the host's are replaced with rewind's.
constexpr uint16_t kRewindEnvReserved = 0;

std::function<void(const Regs&, uint8_t*, bool)> env_unchecked(bool narrow) {
  return [narrow](const Regs& in, uint8_t* p, bool native) {
    const bool pending = in.x87.fsw & x87b::ES;
    if (native && !narrow)
      for (unsigned at : {2u, 6u, 10u, 26u}) std::memcpy(p + at, &kRewindEnvReserved, 2);
    if (narrow) {
      std::memset(p + 8, 0, 2);   // CS
      std::memset(p + 12, 0, 2);  // DS
      if (!pending) std::memset(p + 6, 0, 2), std::memset(p + 10, 0, 2);
    } else {
      std::memset(p + 16, 0, 2);  // FCS
      std::memset(p + 24, 0, 2);  // FDS
      if (!pending) std::memset(p + 12, 0, 4), std::memset(p + 18, 0, 2), std::memset(p + 20, 0, 4);
    }
  };
}

std::vector<Form> control_forms() {
  Builder b("x87-control");
  b.mem_variants = 3;
  b.mem("FLDCW", 0xD9, 5, Kind::Cw, true);
  b.mem("FNSTCW", 0xD9, 7, Kind::Cw, false);
  b.mem("FNSTSW m16", 0xDD, 7, Kind::I16, false);
  b.mem("FNSTENV", 0xD9, 6, Kind::Env32, false);
  b.mem("FLDENV", 0xD9, 4, Kind::Env32, true);
  b.mem("FNSAVE", 0xDD, 6, Kind::Save32, false);
  b.mem("FRSTOR", 0xDD, 4, Kind::Save32, true);
  b.mem_variants = 1;
  b.mem("FNSTENV 16-bit format", 0xD9, 6, Kind::Env16, false, {0x66});
  b.mem("FLDENV 16-bit format", 0xD9, 4, Kind::Env16, true, {0x66});
  b.mem("FNSAVE 16-bit format", 0xDD, 6, Kind::Save16, false, {0x66});
  b.mem("FRSTOR 16-bit format", 0xDD, 4, Kind::Save16, true, {0x66});
  // The waiting forms: FWAIT, then the FN instruction.
  b.mem("FSTCW (9B D9 /7)", 0xD9, 7, Kind::Cw, false, {kFwait});
  b.mem("FSTSW m16 (9B DD /7)", 0xDD, 7, Kind::I16, false, {kFwait});
  b.mem("FSTENV (9B D9 /6)", 0xD9, 6, Kind::Env32, false, {kFwait});
  b.mem("FSAVE (9B DD /6)", 0xDD, 6, Kind::Save32, false, {kFwait});
  std::vector<Form>& v = b.forms();
  for (Form& f : v) {
    const bool narrow = f.name.find("16-bit") != std::string::npos;
    if (f.name.find("ENV") != std::string::npos && f.name.find("FLD") != 0) f.unchecked_operand = env_unchecked(narrow);
    if (f.name.find("SAVE") != std::string::npos) f.unchecked_operand = env_unchecked(narrow);
    if (f.bytes.front() == kFwait) f.count = 3;
  }
  v.push_back(reg_form("FNSTSW AX", 0xDF, 0xE0));
  v.push_back(reg_form("FNCLEX", 0xDB, 0xE2));
  v.push_back(reg_form("FNINIT", 0xDB, 0xE3));
  Form wait = x87_form("FWAIT", {});
  wait.count = 1;
  v.push_back(std::move(wait));
  const std::pair<const char*, Bytes> waiting[] = {
      {"FSTSW AX (9B DF E0)", {kFwait, 0xDF, 0xE0}}, {"FCLEX (9B DB E2)", {kFwait, 0xDB, 0xE2}}, {"FINIT (9B DB E3)", {kFwait, 0xDB, 0xE3}}};
  for (const auto& [name, bytes] : waiting) {
    Form f = x87_form(name, bytes);
    f.count = 3;
    v.push_back(std::move(f));
  }
  return std::move(v);
}

// --- encodings the SDM does not list, which both vendors (and QEMU) run ---

std::vector<Form> alias_forms() {
  std::vector<Form> v;
  struct Op {
    const char* name;
    uint8_t op, modrm;
  };
  const Op ops[] = {{"FSTP1 (D9 D8+i)", 0xD9, 0xD8},  {"FCOM2 (DC D0+i)", 0xDC, 0xD0}, {"FCOMP3 (DC D8+i)", 0xDC, 0xD8},
                    {"FXCH4 (DD C8+i)", 0xDD, 0xC8},  {"FCOMP5 (DE D0+i)", 0xDE, 0xD0}, {"FFREEP (DF C0+i)", 0xDF, 0xC0},
                    {"FXCH7 (DF C8+i)", 0xDF, 0xC8},  {"FSTP8 (DF D0+i)", 0xDF, 0xD0},  {"FSTP9 (DF D8+i)", 0xDF, 0xD8}};
  for (const Op& op : ops)
    for (unsigned i = 0; i < 8; i += 3) {
      Form f = reg_form(op.name, op.op, op.modrm, i);
      // The FSTP aliases with ST(0) empty: AMD signals no stack underflow, stores nothing and
      // pops (QEMU, and rewind, take them for FSTP: IE, SF, the indefinite stored); Intel's
      // behaviour is not recorded. Not compared: ST(0) is never empty for them here.
      if (std::string(op.name).rfind("FSTP", 0) == 0)
        f.fixup = [](Regs& s, Rng&) { s.x87.set_empty(0, false); };
      v.push_back(std::move(f));
    }
  // The 8087's FENI and FDISI and the 287's FSETPM do nothing since the 387.
  v.push_back(reg_form("FNENI (DB E0)", 0xDB, 0xE0));
  v.push_back(reg_form("FNDISI (DB E1)", 0xDB, 0xE1));
  v.push_back(reg_form("FNSETPM (DB E4)", 0xDB, 0xE4));
  return v;
}

// --- what the SDM leaves undefined and where Intel and AMD differ: rewind's column ---
//
// The condition codes the SDM calls undefined after an instruction are rewind's own: left as
// they were, but for FCMOVcc, whose C1 rewind clears (the SDM defines it only for a stack
// underflow: 0). Undefined: C0 C2 C3 after the arithmetic, loads, stores, conversions,
// FCHS FABS FSQRT FRNDINT FSCALE FXTRACT FXCH FINCSTP FDECSTP and FCMOVcc; all four after
// FFREE FNOP FWAIT FLDCW FNSTCW FNSTSW FNSTENV FNCLEX and the 8087/287 no-ops (AMD clears C1
// after FFREE).
//
// rewind follows the SDM's text where this AMD host does otherwise (Intel not measured yet):
//  1. FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP FICOM FICOMP FTST FCOMI FCOMIP FUCOMI FUCOMIP
//     raising an unmasked invalid-operation (or denormal-operand) exception: the SDM: "the
//     condition code flags are not set" (C3 C2 C0, or ZF PF CF and OF SF AF for FCOMI), C1
//     cleared; AMD sets them (unordered, or the comparison's result).
//  2. FCOMI FCOMIP FUCOMI FUCOMIP: C1 cleared (the SDM); AMD leaves it.
//  3. A stack overflow with IM masked (a push onto a full stack): C1 = 1 (SDM); AMD clears it.
//  4. FLD m32/m64 of a denormal with DM clear: not executed, as any pre-computation exception
//     (SDM vol. 1, 8.5.2); AMD loads the value (TOP decremented) and then reports it.
//  5. FPREM and FPREM1 with an unmasked denormal operand: not executed, the condition codes
//     unchanged; AMD clears C0 C1 C2 C3.
//  6. FPREM and FPREM1 with no quotient (a NaN result: NaN or invalid operands, a stack
//     underflow): C0 and C3 cleared (the SDM gives no quotient bits then); AMD leaves them.
//     C1 and C2 are compared with the host (cleared: complete, no Q0).
// These cells of the host's result are replaced with rewind's before the comparison.
enum Family : unsigned {
  kCompare = 1, kCompareFlags = 2, kPush = 4, kLoadFloat = 8, kPrem = 16,
  kCcArith = 32,  // C0 C2 C3 undefined
  kCcAll = 64,    // C0 C1 C2 C3 undefined
  kCcFcmov = 128, // C0 C2 C3 undefined, C1 cleared
};

bool starts(const std::string& name, const char* prefix) { return name.rfind(prefix, 0) == 0; }

unsigned family_of(const std::string& name) {
  for (const char* p : {"FCOMI", "FUCOMI"})
    if (starts(name, p)) return kCompare | kCompareFlags;
  for (const char* p : {"FCOM", "FUCOM", "FICOM", "FTST"})
    if (starts(name, p)) return kCompare;
  if (starts(name, "FXAM") || starts(name, "FNINIT") || starts(name, "FINIT") || starts(name, "FNSAVE") ||
      starts(name, "FSAVE") || starts(name, "FLDENV") || starts(name, "FRSTOR"))
    return 0;
  if (starts(name, "FPREM")) return kPrem;
  for (const char* p : {"FFREE", "FNOP", "FWAIT", "FLDCW", "FNSTCW", "FSTCW", "FNSTSW", "FSTSW", "FNSTENV", "FSTENV",
                        "FNCLEX", "FCLEX", "FNENI", "FNDISI", "FNSETPM"})
    if (starts(name, p)) return kCcAll;
  if (starts(name, "FCMOV")) return kCcFcmov;
  unsigned f = kCcArith;
  for (const char* p : {"FLD", "FILD", "FBLD", "FXTRACT"})
    if (starts(name, p)) f |= kPush;
  if (starts(name, "FLD m32") || starts(name, "FLD m64")) f |= kLoadFloat;
  return f;
}

void vendor_table(std::vector<Form>& forms) {
  for (Form& f : forms) {
    const unsigned family = family_of(f.name);
    if (!family) continue;
    // The register a push reads (FLD ST(i), FXTRACT ST(0)): when it is empty, the stack
    // underflows (C1 = 0) and rule 3 does not apply.
    const int source = starts(f.name, "FLD st") ? f.name[6] - '0' : starts(f.name, "FXTRACT") ? 0 : -1;
    f.vendor_state = [family, source](const Regs& in, Regs& out, int vector, unsigned offset) {
      using namespace x87b;
      if (vector != kNoFault && offset == 0) return;  // faulted before the instruction ran
      const X87Regs& x = in.x87;
      uint16_t& fsw = out.x87.fsw;
      auto keep = [&](uint16_t bits) { fsw = static_cast<uint16_t>((fsw & ~bits) | (x.fsw & bits)); };
      // The unmasked exceptions the instruction raised (nothing was pending on input).
      const uint16_t raised = vector == 16 ? static_cast<uint16_t>(fsw & ~x.fcw & kFlags) : 0;
      if (family & kCcArith) keep(C0 | C2 | C3);
      if (family & kCcAll) keep(kCc);
      if (family & kCcFcmov) keep(C0 | C2 | C3), fsw &= ~C1;
      if (family & kCompareFlags) fsw &= ~C1;
      if ((family & kCompare) && (raised & (IE | DE))) {
        keep(C0 | C2 | C3);
        fsw &= ~C1;
        if (family & kCompareFlags) out.rflags = (out.rflags & ~fl::kAll) | (in.rflags & fl::kAll);
      }
      if ((family & kPush) && (x.fcw & IE) && !x.empty(7) && !(x.fsw & ES) && (source < 0 || !x.empty(source)))
        fsw |= C1;
      if ((family & kLoadFloat) && (raised & DE)) {
        fsw = static_cast<uint16_t>((fsw & ~kTop) | (x.fsw & kTop));
        out.x87.ftw = x.ftw;
        for (unsigned i = 0; i < 8; ++i) out.x87.st[i] = x.st[i];
      }
      if ((family & kPrem) && (raised & DE)) keep(kCc);
      if ((family & kPrem) && !(raised & DE) && (out.x87.st[0].sign_exponent & 0x7FFF) == 0x7FFF &&
          (out.x87.st[0].significand << 1) != 0)
        fsw &= ~(C0 | C3);
    };
  }
}

// A group with rewind's column applied.
void run_x87(const char* group, std::vector<Form> forms, unsigned iterations) {
  vendor_table(forms);
  run_group(group, forms, iterations);
}

TEST(X87Diff, Loads) { run_x87("x87 loads", load_forms(), kIters); }
TEST(X87Diff, Constants) { run_x87("x87 constants", constant_forms(), kIters); }
TEST(X87Diff, Stores) { run_x87("x87 stores", store_forms(), kIters); }
TEST(X87Diff, Arithmetic) { run_x87("x87 arithmetic", arithmetic_forms(), kIters); }
TEST(X87Diff, Compare) { run_x87("x87 comparisons", compare_forms(), kIters); }
TEST(X87Diff, Misc) { run_x87("x87 FCHS FABS FSQRT FRNDINT FXTRACT FSCALE FPREM FXCH FFREE FCMOVcc ...", misc_forms(), kIters); }
TEST(X87Diff, Control) { run_x87("x87 control", control_forms(), kIters); }
TEST(X87Diff, UndocumentedAliases) { run_x87("x87 aliases", alias_forms(), kIters / 2); }

// --- what the host cannot show: the x87 unavailable ---

// With CR0.EM or CR0.TS set every x87 instruction raises #NM (vector 7) before anything else:
// no memory access (the address registers are wild here), no pending #MF first (an exception
// is pending in some cases), nothing changed. FWAIT alone is different: #NM only with CR0.TS
// and CR0.MP both set (CR0.EM does not concern it); otherwise it reports the pending
// exception (#MF) or does nothing. The forms' trailing FWAIT is left out here.
TEST(X87Exception, UnavailableX87StateFaultsFirst) {
  std::vector<Form> forms;
  for (auto make : {load_forms, constant_forms, store_forms, arithmetic_forms, compare_forms, misc_forms, control_forms,
                    alias_forms}) {
    std::vector<Form> v = make();
    for (Form& f : v)
      if (f.name != "FWAIT") forms.push_back(std::move(f));
  }
  struct Setting {
    const char* what;
    uint64_t cr0_set;
  };
  const Setting settings[] = {{"CR0.TS", cpu::cr0::TS}, {"CR0.EM", cpu::cr0::EM}, {"CR0.TS and CR0.MP", cpu::cr0::TS | cpu::cr0::MP},
                              {"CR0.EM and CR0.TS", cpu::cr0::EM | cpu::cr0::TS}};
  EmuRunner emu;
  const uint64_t cr0 = emu.cpu().cr0;
  Rng r(group_seed("x87-unavailable"));
  unsigned tried = 0, failed = 0;
  auto fail = [&](const std::string& what) {
    if (++failed <= 10) ADD_FAILURE() << what;
  };
  for (const Setting& st : settings)
    for (const Form& f : forms) {
      // The instruction alone (a waiting form keeps its leading FWAIT: that one faults first
      // with TS and MP, the FN instruction after it otherwise).
      Bytes bytes(f.bytes.begin(), f.bytes.end() - 1);
      const bool leading_wait = bytes.front() == 0x9B;
      emu.cpu().cr0 = cr0 | st.cr0_set;
      Regs in = random_regs(r), out;
      random_simd(in, r, Lanes::F64, 0xFFFF);
      random_x87(in.x87, r, 4);
      const uint64_t rip = emu.place(bytes);
      const uint64_t end = emu.run(rip, 1, in, out, true, true);
      const int got = EmuRunner::vector_at(end);
      ++tried;
      bool same = std::memcmp(&out.x87, &in.x87, sizeof in.x87) == 0 && out.mxcsr == in.mxcsr &&
                  ((out.rflags ^ in.rflags) & cpu::rflags::kArith) == 0;
      for (unsigned k = 0; k < 16; ++k) same &= (k == cpu::RSP || out.gpr[k] == in.gpr[k]) && out.xmm[k] == in.xmm[k];
      // A leading FWAIT with EM alone: it runs (#MF if an exception is pending), and the run's
      // one instruction ends there; the FN instruction is not reached.
      const bool wait_runs = leading_wait && !((st.cr0_set & cpu::cr0::TS) && (st.cr0_set & cpu::cr0::MP));
      const int want = !wait_runs ? cpu::vec::NM : (in.x87.fsw & x87b::ES) ? cpu::vec::MF : kNoFault;
      if (got != want || !same)
        fail(std::string(st.what) + ": " + f.name + " [" + hex_bytes(bytes) + "]: vector " + std::to_string(got) + ", expected " +
             std::to_string(want) + (same ? "" : "; the state changed"));
      else if (want == cpu::vec::NM && emu.frame(want, out, rip).offset != 0)
        fail(std::string(st.what) + ": " + f.name + ": the #NM frame does not point at the instruction");
    }
  // FWAIT alone.
  struct Wait {
    uint64_t cr0_set;
    bool pending;
    int want;
  };
  const Wait waits[] = {{cpu::cr0::TS, false, kNoFault},          {cpu::cr0::TS, true, cpu::vec::MF},
                        {cpu::cr0::TS | cpu::cr0::MP, true, cpu::vec::NM}, {cpu::cr0::EM, true, cpu::vec::MF},
                        {cpu::cr0::EM, false, kNoFault},          {cpu::cr0::EM | cpu::cr0::MP | cpu::cr0::TS, false, cpu::vec::NM},
                        {cpu::cr0::MP, true, cpu::vec::MF}};
  for (const Wait& w : waits) {
    emu.cpu().cr0 = cr0 | w.cr0_set;
    Regs in = random_regs(r), out;
    random_x87(in.x87, r, 0);
    if (w.pending) {
      in.x87.fcw &= static_cast<uint16_t>(~x87b::ZE);
      in.x87.fsw = x87_consistent_fsw(static_cast<uint16_t>(in.x87.fsw | x87b::ZE), in.x87.fcw);
    }
    const uint64_t rip = emu.place(Bytes{kFwait});
    const int got = EmuRunner::vector_at(emu.run(rip, 1, in, out, true, true));
    ++tried;
    if (got != w.want)
      fail("FWAIT with CR0 " + std::to_string(w.cr0_set) + (w.pending ? ", an exception pending" : "") + ": vector " +
           std::to_string(got) + ", expected " + std::to_string(w.want));
  }
  emu.cpu().cr0 = cr0;
  std::printf("  %u cases, %u wrong\n", tried, failed);
  EXPECT_EQ(failed, 0u);
}

}  // namespace
}  // namespace rw::cputest
