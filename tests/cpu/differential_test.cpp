// Differential tests: each integer instruction form runs on the host CPU and on the
// emulator with the same random (edge-biased) inputs; all GPRs and the arithmetic
// flags the SDM defines must agree.
//
// Defined flags per form (SDM vol. 2; a flag an instruction leaves unchanged is
// defined: it must keep its input value):
//
//   ADD ADC SUB SBB CMP NEG XADD CMPXCHG    OF SF ZF AF PF CF
//   AND OR XOR TEST                         OF SF ZF PF CF        (AF undefined)
//   INC DEC                                 all (CF unchanged)
//   NOT, MOV*, LEA, XCHG, BSWAP, CMOVcc,
//   SETcc, CBW..CQO                         all (none affected)
//   SHL SAL SHR SAR, masked count 0         all (unchanged)
//                    masked count 1         OF SF ZF PF CF        (AF undefined)
//                    masked count > 1       SF ZF PF CF           (OF, AF undefined)
//     SHL/SHR with masked count >= width (8/16-bit): CF undefined as well
//   ROL ROR RCL RCR, masked count 0         all (unchanged)
//                    masked count 1         all (SF ZF AF PF unchanged)
//                    masked count > 1       all but OF
//   SHLD SHRD, masked count 0               all, and the destination
//              count 1                      OF SF ZF PF CF        (AF undefined)
//              1 < count <= width           SF ZF PF CF
//              count > width (16-bit)       none, destination undefined
//   MUL IMUL (1, 2, 3 operands)             OF CF                 (SF ZF AF PF undefined)
//   DIV IDIV                                none; inputs that raise #DE are skipped here
//   BT BTS BTR BTC                          CF, ZF (unchanged)    (OF SF AF PF undefined)
//   BSF BSR                                 ZF; destination only when the source is nonzero
//   LZCNT                                   ZF CF
//   POPCNT                                  all
//
// Masked count: count & 31, or & 63 for 64-bit operands.
//
// What the SDM leaves undefined, and what the vendors do differently (the REP count
// register with a 32-bit address size and a zero count), is compared with rewind's
// table instead of the host (undefined_table.h, docs/cpu.md).
#include <gtest/gtest.h>

#include <cstring>

#include "forms.h"
#include "undefined_table.h"

namespace rw::cputest {
namespace {

using namespace fl;
constexpr unsigned kSizes[] = {1, 2, 4, 8};

// Iterations per form; forms with an immediate get fewer (there are more of them).
constexpr unsigned kIters = 4000;
constexpr unsigned kImmIters = 1200;

struct Pair {
  int a, b;
};

// Register pairs for a two-register form: legacy, two with REX registers, one with
// the same register twice.
std::vector<Pair> pairs(Rng& r, unsigned size, unsigned n = 4) {
  std::vector<Pair> v;
  v.push_back({pick(r, size, true), pick(r, size, true)});
  for (unsigned k = 1; k + 1 < n; ++k) v.push_back({pick(r, size, false), pick(r, size, false)});
  if (n > 1) {
    const bool legacy = r.chance(2);
    const int x = pick(r, size, legacy);
    v.push_back({x, x});
  }
  return v;
}

// An immediate of `bytes` bytes, biased to the edges.
uint64_t edge_imm(Rng& r, unsigned bytes) {
  const uint64_t mask = size_mask(bytes);
  const uint64_t sign = uint64_t{1} << (8 * bytes - 1);
  switch (r.below(8)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return mask;
    case 3: return sign;
    case 4: return sign - 1;
    case 5: return r.below(40);
    default: return r.next() & mask;
  }
}

std::string sz(unsigned size) { return "/" + std::to_string(8 * size); }

Enc rr(unsigned size, Bytes opcode, int reg, int rm, Bytes imm = {}) {
  Enc e;
  e.size = size;
  e.opcode = std::move(opcode);
  e.reg = reg;
  e.rm = rm;
  e.reg_byte = e.rm_byte = size == 1;
  e.imm = std::move(imm);
  return e;
}

Enc dr(unsigned size, Bytes opcode, unsigned digit, int rm, Bytes imm = {}) {
  Enc e = rr(size, std::move(opcode), static_cast<int>(digit), rm, std::move(imm));
  e.reg_digit = true;
  return e;
}

Form form(std::string name, const Enc& e) {
  Form f;
  f.name = std::move(name);
  f.bytes = encode(e);
  return f;
}

Check flags_only(uint64_t f) { return Check{f}; }

// --- rewind's table for the undefined parts (Form::table) ---

using Table = std::function<void(const Regs& in, uint64_t operand, Regs& expect)>;
constexpr int kMemOperand = -1;  // an operand spec: the memory operand

uint64_t operand_value(const Regs& s, int spec, unsigned size, uint64_t operand) {
  return spec == kMemOperand ? operand & size_mask(size) : get_op(s, spec, size);
}

// AND OR XOR TEST: AF clear.
void af_clear(const Regs&, uint64_t, Regs& e) { e.rflags &= ~AF; }

// DIV IDIV, and BT's OF SF AF PF: the flags stay as they were (`expect` starts as the inputs).
void flags_kept(const Regs&, uint64_t, Regs&) {}

// Shift or rotate `op` (ModRM.reg order) of operand `rm`; the count from the inputs.
Table shift_table(unsigned op, unsigned size, int rm, std::function<unsigned(const Regs&)> count) {
  return [=](const Regs& in, uint64_t m, Regs& e) {
    e.rflags = table::shift_flags(op, size, operand_value(in, rm, size, m), count(in), in.rflags);
  };
}

unsigned count_in_cl(const Regs& s) { return static_cast<unsigned>(s.gpr[cpu::RCX] & 0xFF); }

std::function<unsigned(const Regs&)> fixed_count(unsigned n) {
  return [n](const Regs&) { return n; };
}

// MUL / IMUL of operands a and b (specs), or of a and a constant b (a sign-extended immediate).
Table multiply_table(bool sign, unsigned size, int a, int b) {
  return [=](const Regs& in, uint64_t m, Regs& e) {
    e.rflags = table::multiply_flags(sign, size, operand_value(in, a, size, m), operand_value(in, b, size, m), in.rflags);
  };
}

uint64_t sign_extended(uint64_t v, unsigned bits) { return static_cast<uint64_t>(static_cast<int64_t>(v << (64 - bits)) >> (64 - bits)); }

Table multiply_by_constant(unsigned size, int a, uint64_t b) {
  return [=](const Regs& in, uint64_t m, Regs& e) {
    e.rflags = table::multiply_flags(true, size, operand_value(in, a, size, m), b, in.rflags);
  };
}

// SHLD/SHRD of destination `dst` with bits from register `src`: flags, and the
// destination for 16-bit counts above 16.
Table shift_double_table(bool right, unsigned size, int dst, int src, std::function<unsigned(const Regs&)> count) {
  return [=](const Regs& in, uint64_t m, Regs& e) {
    const table::Outcome o = table::shift_double(right, size, operand_value(in, dst, size, m), get_op(in, src, size), count(in), in.rflags);
    e.rflags = o.flags;
    if (dst != kMemOperand) set_op(e, dst, size, o.value);
  };
}

// --- ALU: ADD OR ADC SBB AND SUB XOR CMP TEST ---

const char* const kAluNames[] = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST"};

uint64_t alu_flags(unsigned op) { return (op == 1 || op == 4 || op == 6 || op == 8) ? kAll & ~AF : kAll; }

std::vector<Form> alu_forms(Rng& r, bool imm) {
  std::vector<Form> v;
  for (unsigned op = 0; op < 9; ++op) {
    const bool test = op == 8;
    const std::string n = kAluNames[op];
    const uint64_t defined = alu_flags(op);
    auto add = [&](Form f) {
      f.check = [defined](const Regs&) { return flags_only(defined); };
      if (defined != kAll) f.table = af_clear;
      v.push_back(std::move(f));
    };
    for (unsigned size : kSizes) {
      const uint8_t w = size == 1 ? 0 : 1;
      const unsigned iz = size == 2 ? 2 : size == 1 ? 1 : 4;
      if (!imm) {
        for (Pair p : pairs(r, size))
          add(form(n + " Ev,Gv" + sz(size), rr(size, {static_cast<uint8_t>(test ? 0x84 + w : op * 8 + w)}, p.a, p.b)));
        if (!test)
          for (Pair p : pairs(r, size, 3))
            add(form(n + " Gv,Ev" + sz(size), rr(size, {static_cast<uint8_t>(op * 8 + 2 + w)}, p.a, p.b)));
        continue;
      }
      for (unsigned k = 0; k < 4; ++k) {
        const int rm = pick(r, size, k == 0);
        if (test)
          add(form(n + " Ev,Iz" + sz(size), dr(size, {static_cast<uint8_t>(0xF6 + w)}, 0, rm, imm_bytes(edge_imm(r, iz), iz))));
        else
          add(form(n + " Ev,Iz" + sz(size), dr(size, {static_cast<uint8_t>(0x80 + w)}, op, rm, imm_bytes(edge_imm(r, iz), iz))));
        if (size > 1 && !test)
          add(form(n + " Ev,Ib" + sz(size), dr(size, {0x83}, op, pick(r, size, k == 0), imm_bytes(edge_imm(r, 1), 1))));
      }
      for (unsigned k = 0; k < 3; ++k) {
        Enc e;
        e.size = size;
        e.opcode = {static_cast<uint8_t>(test ? 0xA8 + w : op * 8 + 4 + w)};
        e.no_modrm = true;  // accumulator form: no ModRM at all
        e.rm = 0;
        e.imm = imm_bytes(edge_imm(r, iz), iz);
        Form f = form(n + " rAX,Iz" + sz(size), e);
        f.bytes = encode(e);
        add(std::move(f));
      }
    }
  }
  return v;
}

TEST(CpuDiff, AluRegister) {
  Rng r(group_seed("alu-reg-forms"));
  run_group("ALU register forms", alu_forms(r, false), kIters);
}

TEST(CpuDiff, AluImmediate) {
  Rng r(group_seed("alu-imm-forms"));
  run_group("ALU immediate forms", alu_forms(r, true), kImmIters);
}

// --- INC DEC NOT NEG ---

TEST(CpuDiff, Unary) {
  Rng r(group_seed("unary-forms"));
  std::vector<Form> v;
  const char* const kNames[] = {"INC", "DEC", "NOT", "NEG"};
  for (unsigned op = 0; op < 4; ++op)
    for (unsigned size : kSizes)
      for (unsigned k = 0; k < 3; ++k) {
        const uint8_t w = size == 1 ? 0 : 1;
        const int rm = pick(r, size, k == 0);
        Enc e = op < 2 ? dr(size, {static_cast<uint8_t>(0xFE + w)}, op, rm) : dr(size, {static_cast<uint8_t>(0xF6 + w)}, op, rm);
        v.push_back(form(std::string(kNames[op]) + sz(size), e));
      }
  run_group("INC DEC NOT NEG", v, kIters);
}

// --- shifts and rotates ---

const char* const kShiftNames[] = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};

Check shift_check(unsigned op, unsigned size, unsigned count) {
  const unsigned masked = count & (size == 8 ? 63 : 31);
  if (masked == 0) return {kAll};
  if (op < 4) return {masked == 1 ? kAll : kAll & ~OF};
  uint64_t f = SF | ZF | PF | CF | (masked == 1 ? OF : 0);
  if (op != 7 && masked >= 8 * size) f &= ~CF;
  return {f};
}

void cl_count(Regs& s, Rng& r) {
  const uint64_t c = r.chance(4) ? r.below(256) : r.below(70);
  s.gpr[cpu::RCX] = (s.gpr[cpu::RCX] & ~uint64_t{0xFF}) | c;
}

TEST(CpuDiff, Shifts) {
  Rng r(group_seed("shift-forms"));
  std::vector<Form> v;
  for (unsigned op = 0; op < 8; ++op)
    for (unsigned size : kSizes) {
      const uint8_t w = size == 1 ? 0 : 1;
      const std::string n = kShiftNames[op];
      for (unsigned k = 0; k < 2; ++k) {
        const int rm = pick(r, size, k == 0);
        Form f = form(n + " Ev,1" + sz(size), dr(size, {static_cast<uint8_t>(0xD0 + w)}, op, rm));
        f.check = [op, size](const Regs&) { return shift_check(op, size, 1); };
        f.table = shift_table(op, size, rm, fixed_count(1));
        v.push_back(std::move(f));
      }
      for (unsigned k = 0; k < 3; ++k) {
        const int rm = pick(r, size, k == 0);
        Form f = form(n + " Ev,CL" + sz(size), dr(size, {static_cast<uint8_t>(0xD2 + w)}, op, rm));
        f.fixup = cl_count;
        f.check = [op, size](const Regs& s) { return shift_check(op, size, s.gpr[cpu::RCX] & 0xFF); };
        f.table = shift_table(op, size, rm, count_in_cl);
        v.push_back(std::move(f));
      }
      const unsigned width = 8 * size;
      const unsigned counts[] = {0, 1, 2, 3, width - 1, width, width + 1, 31, 32, 33, 63, 64, 65, 255,
                                 static_cast<unsigned>(r.below(256))};
      for (unsigned count : counts) {
        const int rm = pick(r, size, r.chance(3));
        Form f = form(n + " Ev,Ib" + sz(size), dr(size, {static_cast<uint8_t>(0xC0 + w)}, op, rm, imm_bytes(count, 1)));
        f.check = [op, size, count](const Regs&) { return shift_check(op, size, count); };
        f.table = shift_table(op, size, rm, fixed_count(count));
        v.push_back(std::move(f));
      }
    }
  run_group("shifts and rotates", v, kImmIters);
}

// --- SHLD SHRD ---

Check shift_double_check(unsigned size, unsigned count, int dst) {
  const unsigned masked = count & (size == 8 ? 63 : 31);
  if (masked == 0) return {kAll};
  if (masked > 8 * size) {
    // Only 16-bit operands get here: the word result is undefined, the rest of the register kept.
    Check c{0};
    if (dst != kMemOperand) c.undefined[dst] = size_mask(size);
    return c;
  }
  return {SF | ZF | PF | CF | (masked == 1 ? OF : 0)};
}

TEST(CpuDiff, ShiftDouble) {
  Rng r(group_seed("shift-double-forms"));
  std::vector<Form> v;
  for (unsigned right = 0; right < 2; ++right)
    for (unsigned size : {2u, 4u, 8u}) {
      const std::string n = right ? "SHRD" : "SHLD";
      for (Pair p : pairs(r, size)) {
        Form f = form(n + " Ev,Gv,CL" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(right ? 0xAD : 0xA5)}, p.a, p.b));
        f.fixup = cl_count;
        const int dst = p.b;
        f.check = [size, dst](const Regs& s) { return shift_double_check(size, s.gpr[cpu::RCX] & 0xFF, dst); };
        f.table = shift_double_table(right, size, dst, p.a, count_in_cl);
        v.push_back(std::move(f));
      }
      const unsigned width = 8 * size;
      for (unsigned count : {0u, 1u, 2u, width / 2, width - 1, width, width + 1, 31u, 32u, 33u, 63u, 200u}) {
        Pair p = pairs(r, size, 3)[r.below(3)];
        Form f = form(n + " Ev,Gv,Ib" + sz(size),
                      rr(size, {0x0F, static_cast<uint8_t>(right ? 0xAC : 0xA4)}, p.a, p.b, imm_bytes(count, 1)));
        const int dst = p.b;
        f.check = [size, count, dst](const Regs&) { return shift_double_check(size, count, dst); };
        f.table = shift_double_table(right, size, dst, p.a, fixed_count(count));
        v.push_back(std::move(f));
      }
    }
  run_group("SHLD SHRD", v, kIters);
}

// --- MUL IMUL DIV IDIV ---

// Whether DIV/IDIV of the accumulator pair by `src` raises #DE.
bool div_faults(bool sign, unsigned size, const Regs& s, uint64_t src) {
  if (src == 0) return true;
  const unsigned bits = 8 * size;
  unsigned __int128 n;
  if (size == 1)
    n = s.gpr[cpu::RAX] & 0xFFFF;
  else
    n = (static_cast<unsigned __int128>(s.gpr[cpu::RDX] & size_mask(size)) << bits) | (s.gpr[cpu::RAX] & size_mask(size));
  if (!sign) return n / src > size_mask(size);
  const unsigned wbits = 2 * bits;
  __int128 sn = wbits == 128 ? static_cast<__int128>(n) : static_cast<__int128>(n << (128 - wbits)) >> (128 - wbits);
  const __int128 sd = static_cast<int64_t>(src << (64 - bits)) >> (64 - bits);
  const __int128 max = (static_cast<__int128>(1) << (bits - 1)) - 1, min = -max - 1;
  if (sd == -1) return !(sn >= -max && sn <= -min);
  const __int128 q = sn / sd;
  return q > max || q < min;
}

// Make a non-faulting division likely: high half below the divisor (DIV) or the
// sign extension of the low half (IDIV).
void div_fixup(Regs& s, Rng& r, bool sign, unsigned size, int src) {
  if (r.chance(4)) return;
  const uint64_t d = get_op(s, src, size);
  const int hi = size == 1 ? kAH : cpu::RDX;
  const uint64_t low = size == 1 ? s.gpr[cpu::RAX] & 0xFF : s.gpr[cpu::RAX] & size_mask(size);
  if (sign) {
    const bool negative = (low >> (8 * size - 1)) & 1;
    set_op(s, hi, size, negative ? ~uint64_t{0} : 0);
  } else {
    set_op(s, hi, size, d ? r.below(d) : 0);
  }
}

TEST(CpuDiff, MulDiv) {
  Rng r(group_seed("muldiv-forms"));
  std::vector<Form> v;
  const char* const kNames[] = {"MUL", "IMUL", "DIV", "IDIV"};
  for (unsigned op = 0; op < 4; ++op)
    for (unsigned size : kSizes)
      for (unsigned k = 0; k < 4; ++k) {
        const uint8_t w = size == 1 ? 0 : 1;
        int rm = pick(r, size, k < 2);
        // Dividing by part of the dividend mostly faults; keep one such form per size.
        if (op >= 2 && k > 0)
          while (rm == cpu::RAX || rm == cpu::RDX || rm == kAH) rm = pick(r, size, k < 2);
        Form f = form(std::string(kNames[op]) + " Ev" + sz(size), dr(size, {static_cast<uint8_t>(0xF6 + w)}, 4 + op, rm));
        if (op < 2) {
          f.check = [](const Regs&) { return flags_only(OF | CF); };
          f.table = multiply_table(op == 1, size, cpu::RAX, rm);
        } else {
          const bool sign = op == 3;
          f.fixup = [sign, size, rm](Regs& s, Rng& rr) { div_fixup(s, rr, sign, size, rm); };
          f.skip = [sign, size, rm](const Regs& s) { return div_faults(sign, size, s, get_op(s, rm, size)); };
          f.check = [](const Regs&) { return flags_only(0); };
          f.table = flags_kept;
        }
        v.push_back(std::move(f));
      }
  for (unsigned size : {2u, 4u, 8u}) {
    for (Pair p : pairs(r, size)) {
      Form f = form("IMUL Gv,Ev" + sz(size), rr(size, {0x0F, 0xAF}, p.a, p.b));
      f.check = [](const Regs&) { return flags_only(OF | CF); };
      f.table = multiply_table(true, size, p.a, p.b);
      v.push_back(std::move(f));
    }
    const unsigned iz = size == 2 ? 2 : 4;
    for (unsigned k = 0; k < 4; ++k) {
      Pair p = pairs(r, size)[r.below(4)];
      const uint64_t iv = edge_imm(r, iz);
      Form f = form("IMUL Gv,Ev,Iz" + sz(size), rr(size, {0x69}, p.a, p.b, imm_bytes(iv, iz)));
      f.check = [](const Regs&) { return flags_only(OF | CF); };
      f.table = multiply_by_constant(size, p.b, sign_extended(iv, 8 * iz));
      v.push_back(std::move(f));
      p = pairs(r, size)[r.below(4)];
      const uint64_t ib = edge_imm(r, 1);
      f = form("IMUL Gv,Ev,Ib" + sz(size), rr(size, {0x6B}, p.a, p.b, imm_bytes(ib, 1)));
      f.check = [](const Regs&) { return flags_only(OF | CF); };
      f.table = multiply_by_constant(size, p.b, sign_extended(ib, 8));
      v.push_back(std::move(f));
    }
  }
  run_group("MUL IMUL DIV IDIV", v, kIters);
}

// --- BT BTS BTR BTC, BSF BSR LZCNT POPCNT ---

TEST(CpuDiff, BitTest) {
  Rng r(group_seed("bit-test-forms"));
  std::vector<Form> v;
  const char* const kNames[] = {"BT", "BTS", "BTR", "BTC"};
  for (unsigned op = 0; op < 4; ++op)
    for (unsigned size : {2u, 4u, 8u}) {
      for (Pair p : pairs(r, size)) {
        Form f = form(std::string(kNames[op]) + " Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xA3 + 8 * op)}, p.a, p.b));
        f.check = [](const Regs&) { return flags_only(CF | ZF); };
        f.table = flags_kept;
        v.push_back(std::move(f));
      }
      for (unsigned bit : {0u, 1u, 8u * size - 1, 8u * size, 8u * size + 3, 255u, static_cast<unsigned>(r.below(256))}) {
        Form f = form(std::string(kNames[op]) + " Ev,Ib" + sz(size),
                      dr(size, {0x0F, 0xBA}, 4 + op, pick(r, size, r.chance(2)), imm_bytes(bit, 1)));
        f.check = [](const Regs&) { return flags_only(CF | ZF); };
        f.table = flags_kept;
        v.push_back(std::move(f));
      }
    }
  run_group("BT BTS BTR BTC", v, kImmIters);
}

TEST(CpuDiff, BitScan) {
  Rng r(group_seed("bit-scan-forms"));
  std::vector<Form> v;
  struct Op {
    const char* name;
    Bytes prefix;
    uint8_t opcode;
    uint64_t flags;
  };
  const Op ops[] = {{"BSF", {}, 0xBC, ZF}, {"BSR", {}, 0xBD, ZF}, {"LZCNT", {0xF3}, 0xBD, ZF | CF}, {"POPCNT", {0xF3}, 0xB8, kAll}};
  for (const Op& op : ops)
    for (unsigned size : {2u, 4u, 8u})
      for (Pair p : pairs(r, size)) {
        Enc e = rr(size, {0x0F, op.opcode}, p.a, p.b);
        e.prefix = op.prefix;
        Form f = form(std::string(op.name) + " Gv,Ev" + sz(size), e);
        const bool scan = op.opcode == 0xBC || (op.opcode == 0xBD && op.prefix.empty());
        const int dst = p.a, src = p.b;
        const uint64_t defined = op.flags;
        f.fixup = [size, src](Regs& s, Rng& rr) {
          // Single bits and zero, to find off-by-one scans.
          if (rr.chance(3)) set_op(s, src, size, rr.chance(4) ? 0 : uint64_t{1} << rr.below(8 * size));
        };
        f.check = [scan, size, dst, src, defined](const Regs& s) {
          Check c{defined};
          // A zero source leaves the destination undefined; a word write keeps the rest.
          if (scan && get_op(s, src, size) == 0) c.undefined[dst] = size == 2 ? 0xFFFF : ~uint64_t{0};
          return c;
        };
        const bool lzcnt = op.opcode == 0xBD && !scan;
        const bool reverse = op.opcode == 0xBD;
        if (scan)
          f.table = [reverse, size, dst, src](const Regs& in, uint64_t, Regs& e) {
            const table::Outcome o = table::bit_scan(reverse, size, get_op(in, src, size), in.gpr[dst], in.rflags);
            e.rflags = o.flags;
            e.gpr[dst] = o.value;
          };
        else if (lzcnt)
          f.table = [size, src](const Regs& in, uint64_t, Regs& e) { e.rflags = table::lzcnt_flags(size, get_op(in, src, size), in.rflags); };
        v.push_back(std::move(f));
      }
  run_group("BSF BSR LZCNT POPCNT", v, kIters);
}

// --- data movement: BSWAP MOVSX MOVZX MOVSXD CBW..CQO XCHG XADD CMPXCHG ---

TEST(CpuDiff, Moves) {
  Rng r(group_seed("move-forms"));
  std::vector<Form> v;
  // BSWAP r16 is undefined: only 32 and 64.
  for (unsigned size : {4u, 8u})
    for (unsigned k = 0; k < 4; ++k) {
      Enc e;
      e.size = size;
      e.opcode = {0x0F, 0xC8};
      e.no_modrm = true;
      e.rm = pick(r, size, k == 0);
      v.push_back(form("BSWAP" + sz(size), e));
    }
  for (unsigned sign = 0; sign < 2; ++sign)
    for (unsigned src : {1u, 2u})
      for (unsigned dst : {2u, 4u, 8u})
        for (unsigned k = 0; k < 4; ++k) {
          // A byte source without REX may be AH..BH; REX makes SPL..DIL reachable.
          const bool legacy = k < 2 && dst != 8;  // REX.W rules out AH..BH
          Enc e = rr(dst, {0x0F, static_cast<uint8_t>((sign ? 0xBE : 0xB6) + (src == 2))}, pick(r, dst, legacy),
                     pick(r, src, legacy));
          e.reg_byte = false;
          e.rm_byte = src == 1;
          v.push_back(form(std::string(sign ? "MOVSX" : "MOVZX") + " Gv,E" + (src == 1 ? "b" : "w") + sz(dst), e));
        }
  for (unsigned size : {2u, 4u, 8u})
    for (Pair p : pairs(r, size)) v.push_back(form("MOVSXD Gv,Ed" + sz(size), rr(size, {0x63}, p.a, p.b)));
  for (unsigned size : kSizes) {
    const uint8_t w = size == 1 ? 0 : 1;
    const unsigned iz = size == 2 ? 2 : size == 1 ? 1 : 4;
    for (Pair p : pairs(r, size, 3)) v.push_back(form("MOV Ev,Gv" + sz(size), rr(size, {static_cast<uint8_t>(0x88 + w)}, p.a, p.b)));
    for (Pair p : pairs(r, size, 3)) v.push_back(form("MOV Gv,Ev" + sz(size), rr(size, {static_cast<uint8_t>(0x8A + w)}, p.a, p.b)));
    for (unsigned k = 0; k < 3; ++k) {
      // C6/C7 /0: for 64-bit the imm32 is sign-extended.
      v.push_back(form("MOV Ev,Iz" + sz(size), dr(size, {static_cast<uint8_t>(0xC6 + w)}, 0, pick(r, size, k == 0),
                                                   imm_bytes(edge_imm(r, iz), iz))));
      // B0+r / B8+r: for 64-bit a full imm64 (movabs).
      Enc e;
      e.size = size;
      e.opcode = {static_cast<uint8_t>(size == 1 ? 0xB0 : 0xB8)};
      e.no_modrm = true;
      e.rm = pick(r, size, k == 0);
      e.rm_byte = size == 1;
      e.imm = size == 8 ? imm_bytes(r.chance(2) ? r.next() : edge_imm(r, 8), 8) : imm_bytes(edge_imm(r, iz), iz);
      v.push_back(form("MOV r,Iv" + sz(size), e));
    }
  }
  for (unsigned size : {2u, 4u, 8u}) {
    Enc e;
    e.size = size;
    e.no_modrm = true;  // rm = 0 adds nothing to the opcode
    e.opcode = {0x98};
    v.push_back(form(size == 2 ? "CBW" : size == 4 ? "CWDE" : "CDQE", e));
    e.opcode = {0x99};
    v.push_back(form(size == 2 ? "CWD" : size == 4 ? "CDQ" : "CQO", e));
  }
  run_group("BSWAP MOVSX MOVZX MOVSXD CBW..CQO", v, kIters);
}

TEST(CpuDiff, Exchange) {
  Rng r(group_seed("exchange-forms"));
  std::vector<Form> v;
  for (unsigned size : kSizes) {
    const uint8_t w = size == 1 ? 0 : 1;
    for (Pair p : pairs(r, size)) v.push_back(form("XCHG Ev,Gv" + sz(size), rr(size, {static_cast<uint8_t>(0x86 + w)}, p.a, p.b)));
    for (Pair p : pairs(r, size)) v.push_back(form("XADD Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xC0 + w)}, p.a, p.b)));
    for (Pair p : pairs(r, size)) {
      Form f = form("CMPXCHG Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xB0 + w)}, p.a, p.b));
      const int dst = p.b;
      // Half the time the accumulator matches: the exchange happens.
      f.fixup = [size, dst](Regs& s, Rng& rr) {
        if (rr.chance(2)) set_op(s, 0, size, get_op(s, dst, size));
      };
      v.push_back(std::move(f));
    }
    if (size == 1) continue;
    // XCHG rAX, r (90+r); 90 without REX.B is NOP and must not zero-extend RAX.
    for (int reg : {0, 1, 3, 5, 7, 8, 12, 15}) {
      Enc e;
      e.size = size;
      e.opcode = {0x90};
      e.no_modrm = true;
      e.rm = reg;
      v.push_back(form("XCHG rAX,r" + sz(size), e));
    }
  }
  run_group("XCHG XADD CMPXCHG", v, kIters);
}

// --- flag consumers after flag-setting instructions ---
//
// Every consumer (SETcc, CMOVcc, Jcc, ADC, SBB, RCL, RCR, LAHF) after every setter,
// except where the consumer reads a flag the setter leaves undefined. This exercises
// the lazy flags: each setter leaves them in a different internal form.

struct Setter {
  std::string name;
  Bytes bytes;
  unsigned count;
  uint64_t defined;
  std::function<void(Regs&)> fixup = {};  // keeps the setter's results defined
};

std::vector<Setter> setters(Rng& r) {
  std::vector<Setter> v;
  v.push_back({"", {}, 0, kAll});  // flags straight from the input
  auto one = [&](std::string name, const Enc& e, uint64_t defined) { v.push_back({name + sz(e.size), encode(e), 1, defined}); };
  for (unsigned round = 0; round < 2; ++round) {
    for (unsigned op = 0; op < 9; ++op) {
      const unsigned size = kSizes[r.below(4)];
      const uint8_t w = size == 1 ? 0 : 1;
      const Pair p = pairs(r, size)[r.below(4)];
      one(kAluNames[op], rr(size, {static_cast<uint8_t>(op == 8 ? 0x84 + w : op * 8 + w)}, p.a, p.b), alu_flags(op));
    }
    const unsigned size = kSizes[r.below(4)];
    const uint8_t w = size == 1 ? 0 : 1;
    one("INC", dr(size, {static_cast<uint8_t>(0xFE + w)}, 0, pick(r, size, false)), kAll);
    one("DEC", dr(size, {static_cast<uint8_t>(0xFE + w)}, 1, pick(r, size, false)), kAll);
    one("NEG", dr(size, {static_cast<uint8_t>(0xF6 + w)}, 3, pick(r, size, false)), kAll);
    one("CMP Ib", dr(size, {static_cast<uint8_t>(size == 1 ? 0x80 : 0x83)}, 7, pick(r, size, false), imm_bytes(edge_imm(r, 1), 1)),
        kAll);
    one("SHL 1", dr(size, {static_cast<uint8_t>(0xD0 + w)}, 4, pick(r, size, false)), kAll & ~AF);
  }
  // Two-instruction setters: INC/DEC keep the CF of the instruction before; NOT keeps all.
  auto two = [&](std::string name, const Enc& a, const Enc& b, uint64_t defined) {
    Bytes bytes = encode(a);
    const Bytes tail = encode(b);
    bytes.insert(bytes.end(), tail.begin(), tail.end());
    v.push_back({name, bytes, 2, defined});
  };
  for (unsigned size : {1u, 4u, 8u}) {
    const uint8_t w = size == 1 ? 0 : 1;
    Pair p = pairs(r, size)[r.below(4)];
    two("ADD; INC" + sz(size), rr(size, {static_cast<uint8_t>(w)}, p.a, p.b), dr(size, {static_cast<uint8_t>(0xFE + w)}, 0, pick(r, size, false)), kAll);
    p = pairs(r, size)[r.below(4)];
    two("SUB; DEC" + sz(size), rr(size, {static_cast<uint8_t>(0x28 + w)}, p.a, p.b), dr(size, {static_cast<uint8_t>(0xFE + w)}, 1, pick(r, size, false)), kAll);
    p = pairs(r, size)[r.below(4)];
    two("CMP; NOT" + sz(size), rr(size, {static_cast<uint8_t>(0x38 + w)}, p.a, p.b), dr(size, {static_cast<uint8_t>(0xF6 + w)}, 2, pick(r, size, false)), kAll);
  }
  for (unsigned size : {2u, 4u, 8u}) {
    Pair p = pairs(r, size)[r.below(4)];
    one("IMUL", rr(size, {0x0F, 0xAF}, p.a, p.b), OF | CF);
    one("BT Ib", dr(size, {0x0F, 0xBA}, 4, pick(r, size, false), imm_bytes(r.below(64), 1)), CF | ZF);
    p = pairs(r, size)[r.below(4)];
    Enc pc = rr(size, {0x0F, 0xB8}, p.a, p.b);
    pc.prefix = {0xF3};
    one("POPCNT", pc, kAll);
    p = pairs(r, size)[r.below(4)];
    one("BSF", rr(size, {0x0F, 0xBC}, p.a, p.b), ZF);
    // A zero source would leave the destination undefined, and a consumer may read
    // it; BitScan tables that case.
    v.back().fixup = [size, src = p.b](Regs& s) {
      if (get_op(s, src, size) == 0) set_op(s, src, size, 1);
    };
  }
  v.push_back({"SAHF", {0x9E}, 1, kAll});
  for (unsigned k = 0; k < 4; ++k) {
    // PUSH imm32; POPF: arithmetic flags from an immediate (IF stays set, TF DF AC clear).
    Bytes b = {0x68};
    const Bytes imm = imm_bytes((r.next() & kAll) | 0x202, 4);
    b.insert(b.end(), imm.begin(), imm.end());
    b.push_back(0x9D);
    v.push_back({"PUSH imm; POPF", b, 2, kAll});
  }
  v.push_back({"STC", {0xF9}, 1, kAll});
  v.push_back({"CLC", {0xF8}, 1, kAll});
  v.push_back({"CMC", {0xF5}, 1, kAll});
  return v;
}

// The flags condition code `cc` reads.
uint64_t cc_flags(unsigned cc) {
  static const uint64_t kUses[] = {OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF};
  return kUses[cc >> 1];
}

// The last form's instruction count, for consumers of more than one instruction.
void f_count_fix(std::vector<Form>& v, unsigned count) {
  if (!v.empty() && v.back().name.find("PUSHF") != std::string::npos) v.back().count = count;
}

TEST(CpuDiff, Conditions) {
  Rng r(group_seed("condition-forms"));
  std::vector<Form> v;
  static const char* const kCc[] = {"O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE", "LE", "G"};
  for (const Setter& s : setters(r)) {
    auto add = [&](std::string name, const Bytes& consumer, uint64_t uses, uint64_t defined_after, bool branch = false) {
      if (uses & ~s.defined) return;  // reads an undefined flag
      Form f;
      f.name = s.name.empty() ? name : s.name + "; " + name;
      f.bytes = s.bytes;
      f.bytes.insert(f.bytes.end(), consumer.begin(), consumer.end());
      f.count = s.count + (branch ? 2 : 1);
      f.ends_early = branch;
      f.check = [defined_after](const Regs&) { return flags_only(defined_after); };
      f.undefined_unread = true;
      // Equal and nearly equal operands for the compare fast paths.
      f.fixup = [setter_fixup = s.fixup](Regs& st, Rng& rr) {
        if (rr.chance(3)) st.gpr[rr.below(16)] = st.gpr[rr.below(16)] + rr.below(3) - 1;
        if (setter_fixup) setter_fixup(st);
      };
      v.push_back(std::move(f));
    };
    for (unsigned cc = 0; cc < 16; ++cc) {
      add(std::string("SET") + kCc[cc], encode(dr(1, {0x0F, static_cast<uint8_t>(0x90 + cc)}, 0, pick(r, 1, r.chance(2)))),
          cc_flags(cc), s.defined);
      const unsigned size = kSizes[1 + r.below(3)];
      add(std::string("CMOV") + kCc[cc] + sz(size),
          encode(rr(size, {0x0F, static_cast<uint8_t>(0x40 + cc)}, pick(r, size, false), pick(r, size, false))), cc_flags(cc),
          s.defined);
      // Jcc over LEA rax, [rax+1] (which leaves the flags alone): taken or not shows in RAX.
      const Bytes skip = {0x48, 0x8D, 0x40, 0x01};
      Bytes jcc = r.chance(2) ? Bytes{static_cast<uint8_t>(0x70 + cc), 4}
                              : Bytes{0x0F, static_cast<uint8_t>(0x80 + cc), 4, 0, 0, 0};
      jcc.insert(jcc.end(), skip.begin(), skip.end());
      add(std::string("J") + kCc[cc], jcc, cc_flags(cc), s.defined, true);
    }
    for (unsigned size : kSizes) {
      const uint8_t w = size == 1 ? 0 : 1;
      Pair p = pairs(r, size)[r.below(4)];
      add("ADC" + sz(size), encode(rr(size, {static_cast<uint8_t>(0x10 + w)}, p.a, p.b)), CF, kAll);
      p = pairs(r, size)[r.below(4)];
      add("SBB" + sz(size), encode(rr(size, {static_cast<uint8_t>(0x18 + w)}, p.a, p.b)), CF, kAll);
      add("RCL 1" + sz(size), encode(dr(size, {static_cast<uint8_t>(0xD0 + w)}, 2, pick(r, size, false))), CF,
          s.defined | CF | OF);
      add("RCR 1" + sz(size), encode(dr(size, {static_cast<uint8_t>(0xD0 + w)}, 3, pick(r, size, false))), CF,
          s.defined | CF | OF);
    }
    add("LAHF", {0x9F}, SF | ZF | AF | PF | CF, s.defined);
    // PUSHF; POP rcx; AND ecx, defined: every defined flag as the setter left it.
    Bytes pushf = {0x9C, 0x59, 0x81, 0xE1};
    const Bytes mask = imm_bytes(s.defined, 4);
    pushf.insert(pushf.end(), mask.begin(), mask.end());
    add("PUSHF; POP rcx; AND ecx, defined", pushf, 0, kAll);
    f_count_fix(v, s.count + 3);
  }
  run_group("flag consumers after flag setters", v, 800);
}

// --- string instructions: MOVS CMPS STOS LODS SCAS, REP/REPE/REPNE, both directions ---

TEST(CpuDiff, StringInstructions) {
  Rng r(group_seed("string-forms"));
  std::vector<Form> v;
  struct Op {
    const char* name;
    uint8_t opcode;  // byte form; +1 for the wider sizes
    bool compares;
  };
  const Op ops[] = {{"MOVS", 0xA4, false}, {"CMPS", 0xA6, true}, {"STOS", 0xAA, false}, {"LODS", 0xAC, false}, {"SCAS", 0xAE, true}};
  for (const Op& op : ops)
    for (unsigned size : kSizes)
      for (unsigned rep = 0; rep < 3; ++rep)  // none, F3, F2
        for (unsigned down = 0; down < 2; ++down) {
          if (rep == 2 && !op.compares && r.chance(2)) continue;  // F2 acts as REP: sample it
          const bool a32 = r.chance(5);
          Bytes b;
          if (down) b.push_back(0xFD);  // STD
          if (a32) b.push_back(0x67);
          if (size == 2) b.push_back(0x66);
          if (rep) b.push_back(rep == 1 ? 0xF3 : 0xF2);
          if (size == 8) b.push_back(0x48);
          b.push_back(static_cast<uint8_t>(op.opcode + (size > 1)));
          if (down) b.push_back(0xFC);  // CLD
          Form f;
          f.name = std::string(rep == 1 ? "REP " : rep == 2 ? "REPNE " : "") + op.name + sz(size) + (down ? " down" : "") +
                   (a32 ? " a32" : "");
          f.bytes = b;
          // One instruction per iteration: run into the final HLT.
          f.count = 1000;
          f.ends_early = true;
          Mem m;
          m.base = cpu::RSI;
          f.mem = m;
          f.mem_bytes = 8;
          f.addr32 = a32;
          f.pointer2 = cpu::RDI;
          // Short counts; with 32-bit addressing only ECX counts, so the upper half is garbage.
          f.fixup = [a32](Regs& s, Rng& rr) {
            s.gpr[cpu::RCX] = rr.below(17) | (a32 ? rr.next() << 32 : 0);
          };
          // REP with a 32-bit address size and ECX = 0: Intel zero-extends RCX, AMD keeps
          // it; rewind keeps it (as QEMU 7.2 does).
          if (rep && a32) {
            f.check = [](const Regs& s) {
              Check c;
              if (static_cast<uint32_t>(s.gpr[cpu::RCX]) == 0) c.undefined[cpu::RCX] = 0xFFFFFFFF00000000ull;
              return c;
            };
            f.table = [](const Regs& in, uint64_t, Regs& e) { e.gpr[cpu::RCX] = in.gpr[cpu::RCX]; };
          }
          // Equal bytes make REPE/REPNE loops run longer.
          f.mem_fixup = [](Regs& s, const uint8_t*, uint64_t random) {
            if (random & 1) s.gpr[cpu::RAX] = 0;
          };
          v.push_back(std::move(f));
        }
  run_group("string instructions", v, kImmIters);
}

// --- prefix combinations and hint NOPs the decoder must get right ---

TEST(CpuDiff, Prefixes) {
  struct Case {
    const char* name;
    Bytes bytes;
  };
  const Case cases[] = {
      {"REX before 66 is ignored: add ax,cx", {0x48, 0x66, 0x01, 0xC8}},
      {"66 then REX.W: add rax,rcx", {0x66, 0x48, 0x01, 0xC8}},
      {"two REX, the last counts: add rax,rcx", {0x41, 0x48, 0x01, 0xC8}},
      {"two REX, the last counts: add r8d,ecx", {0x48, 0x41, 0x01, 0xC8}},
      {"REX before F3 is ignored", {0x48, 0xF3, 0x01, 0xC8}},
      {"66 66: add ax,cx", {0x66, 0x66, 0x01, 0xC8}},
      {"F3 on add", {0xF3, 0x01, 0xC8}},
      {"F2 on add", {0xF2, 0x01, 0xC8}},
      {"67 on a register operand", {0x67, 0x01, 0xC8}},
      {"CS on a register operand", {0x2E, 0x01, 0xC8}},
      {"DS ES SS FS GS on a register operand", {0x3E, 0x26, 0x36, 0x64, 0x65, 0x01, 0xC8}},
      {"REX 40: add al,sil", {0x40, 0x00, 0xF0}},
      {"no REX: add al,ah", {0x00, 0xE0}},
      {"REX 40 on a 32-bit op", {0x40, 0x01, 0xC8}},
      {"REX.W on a byte op", {0x48, 0x00, 0xC8}},
      {"66 on a byte op", {0x66, 0x00, 0xC8}},
      {"66 REX.W on imm form: imm32", {0x66, 0x48, 0x81, 0xC0, 0x78, 0x56, 0x34, 0x82}},
      {"REX.W 66 (REX ignored) on imm form: imm16", {0x48, 0x66, 0x81, 0xC0, 0x78, 0x86}},
      {"nop", {0x90}},
      {"pause", {0xF3, 0x90}},
      {"66 nop", {0x66, 0x90}},
      {"REX nop", {0x40, 0x90}},
      {"REX.W nop", {0x48, 0x90}},
      {"REX.B 90: xchg r8,rax", {0x49, 0x90}},
      {"xchg eax,eax via ModRM zero-extends", {0x87, 0xC0}},
      {"nop eax", {0x0F, 0x1F, 0xC0}},
      {"nop [rax]", {0x0F, 0x1F, 0x00}},
      {"nop [rax+0]", {0x0F, 0x1F, 0x40, 0x00}},
      {"nop [rax+rax+0]", {0x0F, 0x1F, 0x44, 0x00, 0x00}},
      {"66 nop [rax+rax+0]", {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00}},
      {"nop [rax+0x0]", {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00}},
      {"nop [rax+rax+0x0]", {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}},
      {"66 nop [rax+rax+0x0]", {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}},
      {"cs 66 nop [rax+rax+0x0]", {0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}},
      {"nop [rip+x] (never accessed)", {0x0F, 0x1F, 0x05, 0x00, 0x00, 0x00, 0x80}},
      {"nop r15 with REX", {0x49, 0x0F, 0x1F, 0xC7}},
      {"hint nop 0F 19", {0x0F, 0x19, 0x04, 0x48}},
      {"hint nop 0F 1E", {0x0F, 0x1E, 0xC8}},
      {"prefetchnta [rax] (never faults)", {0x0F, 0x18, 0x00}},
      {"prefetcht0 [rcx+rdx*8+0x12345678]", {0x0F, 0x18, 0x8C, 0xD1, 0x78, 0x56, 0x34, 0x12}},
      {"lea with REX.X index r12", {0x4A, 0x8D, 0x04, 0x20}},
      {"lea [r12] needs SIB", {0x49, 0x8D, 0x04, 0x24}},
      {"lea [r13+0] needs disp8", {0x49, 0x8D, 0x45, 0x00}},
      {"lea [rbp+rax] via disp8", {0x48, 0x8D, 0x44, 0x05, 0x00}},
      {"lea SIB no base, no index: [disp32]", {0x48, 0x8D, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12}},
      {"lea SIB base 101 with REX.B, mod 00: [disp32 + index]", {0x49, 0x8D, 0x04, 0x4D, 0x10, 0x00, 0x00, 0x00}},
      {"lea SIB index 100 with REX.X = r12", {0x4A, 0x8D, 0x04, 0xA3}},
      {"lea a32 with 64-bit dest", {0x67, 0x48, 0x8D, 0x04, 0x08}},
      {"lea a32 16-bit dest", {0x66, 0x67, 0x8D, 0x44, 0x48, 0x80}},
      {"bswap r8d (REX.B)", {0x41, 0x0F, 0xC8}},
      {"movzx rax, sil", {0x48, 0x0F, 0xB6, 0xC6}},
      {"setcc with REX: setb sil", {0x40, 0x0F, 0x92, 0xC6}},
      {"setcc ignores ModRM.reg", {0x0F, 0x94, 0xF8}},
      {"imul 66 REX.W 6B: 64-bit", {0x66, 0x48, 0x6B, 0xC1, 0x80}},
      {"test F6 /1 alias is not used; F7 /0 16-bit", {0x66, 0xF7, 0xC1, 0x00, 0x80}},
  };
  std::vector<Form> v;
  for (const Case& c : cases) {
    Form f;
    f.name = c.name;
    f.bytes = c.bytes;
    const bool logic = c.bytes == Bytes{0x66, 0xF7, 0xC1, 0x00, 0x80};
    const bool imul = c.name[0] == 'i';  // imul rax, rcx, -0x80
    f.check = [logic, imul](const Regs&) { return flags_only(imul ? OF | CF : logic ? kAll & ~AF : kAll); };
    if (logic) f.table = af_clear;
    if (imul) f.table = multiply_by_constant(8, cpu::RCX, static_cast<uint64_t>(-0x80));
    v.push_back(std::move(f));
  }
  run_group("prefixes and hint NOPs", v, kIters);
}

// --- instructions across a code page boundary (decoded afresh every time) ---

TEST(CpuDiff, PageCrossingCode) {
  const Bytes samples[] = {
      {0x48, 0x81, 0xC1, 0x78, 0x56, 0x34, 0x82},                         // add rcx, imm32
      {0x66, 0x41, 0x81, 0xC0, 0x34, 0x82},                               // add r8w, imm16
      {0x48, 0xB8, 0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x81},       // mov rax, imm64
      {0x48, 0x69, 0xC1, 0x78, 0x56, 0x34, 0x82},                         // imul rax, rcx, imm32
      {0x4A, 0x8D, 0x84, 0xC9, 0x78, 0x56, 0x34, 0x12},                   // lea rax, [rcx+r9*8+disp32]
      {0xF3, 0x48, 0x0F, 0xB8, 0xC1},                                     // popcnt rax, rcx
      {0x66, 0x0F, 0xA4, 0xC8, 0x05},                                     // shld ax, cx, 5
  };
  std::vector<Form> v;
  for (const Bytes& b : samples) {
    for (unsigned split = 1; split < b.size() + 1; ++split) {
      Form f;
      f.name = "split " + std::to_string(split) + " bytes before a page";
      f.bytes = b;
      f.page_split = split;
      const bool loose = b[1] == 0x69 || b[2] == 0x69;
      const bool shld = b.size() == 5 && b[2] == 0xA4;
      f.check = [loose, shld](const Regs&) { return flags_only(loose ? OF | CF : shld ? SF | ZF | PF | CF : kAll); };
      if (loose) f.table = multiply_by_constant(8, cpu::RCX, static_cast<uint64_t>(int64_t{static_cast<int32_t>(0x82345678)}));
      if (shld) f.table = shift_double_table(false, 2, cpu::RAX, cpu::RCX, fixed_count(5));
      v.push_back(std::move(f));
    }
  }
  run_group("code across a page boundary", v, 200);
}

// --- LEA ---

TEST(CpuDiff, Lea) {
  Rng r(group_seed("lea-forms"));
  std::vector<Form> v;
  for (unsigned size : {2u, 4u, 8u})
    for (unsigned a32 = 0; a32 < 2; ++a32)
      for (unsigned k = 0; k < 24; ++k) {
        Mem m;
        if (k == 0) {
          m.disp = static_cast<int32_t>(r.next());  // [disp32] through a SIB without base or index
        } else {
          m = random_mem(r, true);
        }
        Enc e;
        e.size = size;
        e.opcode = {0x8D};
        e.reg = pick(r, size, false);
        e.mem = &m;
        e.addr32 = a32;
        v.push_back(form(std::string("LEA") + (a32 ? " a32" : "") + sz(size), e));
      }
  run_group("LEA", v, 2000);
}

// --- memory operands: [base + index*scale + disp] ---

TEST(CpuDiff, MemoryOperands) {
  Rng r(group_seed("memory-forms"));
  std::vector<Form> v;
  // Address registers avoid RAX, RCX, RDX (implicit operands) and RSP.
  uint32_t avoid = 0x17;  // registers that must not hold addresses: RAX RCX RDX RSP
  bool need_base = false;
  auto address = [&](bool a32) { return random_operand_address(r, a32, avoid, need_base); };
  // A register operand that is not an address register.
  auto other = [&](const Mem& m, unsigned size, bool legacy) {
    for (;;) {
      const int x = pick(r, size, legacy);
      const int gpr = x >= kAH ? x - kAH : x;
      if (gpr != m.base && gpr != m.index) return x;
    }
  };
  int last_reg = 0;  // the register operand `add` chose last
  auto add = [&](std::string name, Enc e, unsigned mem_bytes, std::function<Check(const Regs&)> check = {},
                 Table table = {}) {
    const bool a32 = r.chance(6);
    Mem m = address(a32);
    // AH..BH only when nothing needs REX.
    const bool legacy = r.chance(2) && e.size != 8 && (m.base < 0 || m.base < 8) && (m.index < 0 || m.index < 8);
    if (!e.reg_digit) e.reg = last_reg = other(m, e.reg_byte ? 1 : e.size, legacy);
    e.mem = &m;
    e.addr32 = a32;
    Form f = form(std::move(name) + " mem" + (a32 ? " a32" : ""), e);
    f.mem = m;
    f.mem_bytes = mem_bytes;
    f.addr32 = a32;
    f.check = std::move(check);
    f.table = std::move(table);
    v.push_back(std::move(f));
    return &v.back();
  };
  // A LOCK prefix on a third of the forms that allow it.
  auto lockable = [&](Form* f) {
    if (!r.chance(3)) return;
    f->bytes.insert(f->bytes.begin(), 0xF0);
    f->name = "LOCK " + f->name;
  };
  // CMPXCHG: half the time the accumulator matches memory and the exchange happens.
  auto accumulator_matches = [](unsigned size) {
    return [size](Regs& s, const uint8_t* operand, uint64_t random) {
      if (!(random & 1)) return;
      uint64_t v = 0;
      std::memcpy(&v, operand, size);
      set_op(s, cpu::RAX, size, v);
    };
  };
  for (unsigned size : kSizes) {
    const uint8_t w = size == 1 ? 0 : 1;
    const unsigned iz = size == 2 ? 2 : size == 1 ? 1 : 4;
    for (unsigned op = 0; op < 9; ++op) {
      const uint64_t defined = alu_flags(op);
      auto ck = [defined](const Regs&) { return flags_only(defined); };
      const Table tb = defined != kAll ? Table(af_clear) : Table();
      const std::string n = kAluNames[op];
      for (unsigned k = 0; k < 2; ++k)
      {
        Form* f = add(n + " Ev,Gv" + sz(size), rr(size, {static_cast<uint8_t>(op == 8 ? 0x84 + w : op * 8 + w)}, 0, 0), size, ck, tb);
        if (op < 7) lockable(f);
      }
      if (op != 8)
        for (unsigned k = 0; k < 2; ++k)
          add(n + " Gv,Ev" + sz(size), rr(size, {static_cast<uint8_t>(op * 8 + 2 + w)}, 0, 0), size, ck, tb);
      Form* f = add(n + " Ev,Iz" + sz(size),
                    dr(size, {static_cast<uint8_t>(op == 8 ? 0xF6 + w : 0x80 + w)}, op == 8 ? 0 : op, 0,
                       imm_bytes(edge_imm(r, iz), iz)),
                    size, ck, tb);
      if (op < 7) lockable(f);
      if (size > 1 && op != 8) {
        f = add(n + " Ev,Ib" + sz(size), dr(size, {0x83}, op, 0, imm_bytes(edge_imm(r, 1), 1)), size, ck, tb);
        if (op < 7) lockable(f);
      }
    }
    const char* const kUnary[] = {"INC", "DEC", "NOT", "NEG"};
    for (unsigned op = 0; op < 4; ++op)
      lockable(add(std::string(kUnary[op]) + sz(size), dr(size, {static_cast<uint8_t>((op < 2 ? 0xFE : 0xF6) + w)}, op, 0), size));
    for (unsigned op = 0; op < 8; ++op) {
      add(std::string(kShiftNames[op]) + " Ev,1" + sz(size), dr(size, {static_cast<uint8_t>(0xD0 + w)}, op, 0), size,
          [op, size](const Regs&) { return shift_check(op, size, 1); }, shift_table(op, size, kMemOperand, fixed_count(1)));
      add(std::string(kShiftNames[op]) + " Ev,CL" + sz(size), dr(size, {static_cast<uint8_t>(0xD2 + w)}, op, 0), size,
          [op, size](const Regs& s) { return shift_check(op, size, s.gpr[cpu::RCX] & 0xFF); },
          shift_table(op, size, kMemOperand, count_in_cl))
          ->fixup = cl_count;
      const unsigned count = static_cast<unsigned>(r.below(2 * 8 * size + 2));
      add(std::string(kShiftNames[op]) + " Ev,Ib" + sz(size), dr(size, {static_cast<uint8_t>(0xC0 + w)}, op, 0, imm_bytes(count, 1)),
          size, [op, size, count](const Regs&) { return shift_check(op, size, count); },
          shift_table(op, size, kMemOperand, fixed_count(count)));
    }
    lockable(add("XCHG Ev,Gv" + sz(size), rr(size, {static_cast<uint8_t>(0x86 + w)}, 0, 0), size));
    lockable(add("XADD Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xC0 + w)}, 0, 0), size));
    for (unsigned k = 0; k < 2; ++k) {
      Form* f = add("CMPXCHG Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xB0 + w)}, 0, 0), size);
      f->mem_fixup = accumulator_matches(size);
      lockable(f);
    }
    add("MUL Ev" + sz(size), dr(size, {static_cast<uint8_t>(0xF6 + w)}, 4, 0), size,
        [](const Regs&) { return flags_only(OF | CF); }, multiply_table(false, size, cpu::RAX, kMemOperand));
    if (size == 1) continue;
    Form* imul = add("IMUL Gv,Ev" + sz(size), rr(size, {0x0F, 0xAF}, 0, 0), size, [](const Regs&) { return flags_only(OF | CF); });
    imul->table = multiply_table(true, size, last_reg, kMemOperand);
    add("MOVZX Gv,Eb" + sz(size), [&] { Enc e = rr(size, {0x0F, 0xB6}, 0, 0); e.reg_byte = false; return e; }(), 1);
    add("MOVSX Gv,Ew" + sz(size), [&] { Enc e = rr(size, {0x0F, 0xBF}, 0, 0); e.reg_byte = false; return e; }(), 2);
    add("CMOVL Gv,Ev" + sz(size), rr(size, {0x0F, 0x4C}, 0, 0), size);
    Form* shld = add("SHLD Ev,Gv,CL" + sz(size), rr(size, {0x0F, 0xA5}, 0, 0), size,
                     [size](const Regs& s) { return shift_double_check(size, s.gpr[cpu::RCX] & 0xFF, kMemOperand); });
    shld->table = shift_double_table(false, size, kMemOperand, last_reg, count_in_cl);
    shld->fixup = [size](Regs& s, Rng& rr) {
      // The memory result of a 16-bit shift by more than 16 is undefined.
      cl_count(s, rr);
      if (size == 2 && (s.gpr[cpu::RCX] & 31) > 16) s.gpr[cpu::RCX] &= ~uint64_t{0x10};
    };
    const char* const kBt[] = {"BT", "BTS", "BTR", "BTC"};
    for (unsigned op = 0; op < 4; ++op) {
      Form* f = add(std::string(kBt[op]) + " Ev,Ib" + sz(size), dr(size, {0x0F, 0xBA}, 4 + op, 0, imm_bytes(r.below(256), 1)),
                    size, [](const Regs&) { return flags_only(CF | ZF); }, flags_kept);
      if (op > 0) lockable(f);
      // A register bit offset is signed and reaches outside the addressed operand.
      f = add(std::string(kBt[op]) + " Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xA3 + 8 * op)}, 0, 0), size,
              [](const Regs&) { return flags_only(CF | ZF); }, flags_kept);
      if (op > 0) lockable(f);
      // The bit offset stays within reach of the window.
      f->mem_reach = 40;
      const int reg = last_reg;
      f->fixup = [reg, size](Regs& s, Rng& rr) {
        set_op(s, reg, size, static_cast<uint64_t>(static_cast<int64_t>(rr.below(301)) - 150));
      };
    }
  }
  // CMPXCHG8B / CMPXCHG16B: RBX and RCX are operands too; half the time RDX:RAX matches.
  avoid |= 1u << cpu::RBX;
  need_base = true;
  for (unsigned size : {4u, 8u})
    for (unsigned k = 0; k < 4; ++k) {
      Form* f = add(size == 4 ? "CMPXCHG8B" : "CMPXCHG16B", dr(size, {0x0F, 0xC7}, 1, 0), 2 * size);
      f->mem_align = size == 8 ? 16 : 1;
      f->mem_fixup = [size](Regs& s, const uint8_t* operand, uint64_t random) {
        if (!(random & 1)) return;
        uint64_t lo = 0, hi = 0;
        std::memcpy(&lo, operand, size);
        std::memcpy(&hi, operand + size, size);
        set_op(s, cpu::RAX, size, lo);
        set_op(s, cpu::RDX, size, hi);
      };
      lockable(f);
    }
  run_group("memory operands", v, kImmIters);
}

}  // namespace
}  // namespace rw::cputest
