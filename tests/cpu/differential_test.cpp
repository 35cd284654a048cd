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
#include <gtest/gtest.h>

#include "forms.h"

namespace rw::cputest {
namespace {

using namespace fl;
constexpr unsigned kSizes[] = {1, 2, 4, 8};

// Iterations per form; forms with an immediate get fewer (there are more of them).
constexpr unsigned kIters = 2000;
constexpr unsigned kImmIters = 600;

uint64_t group_seed(const char* group) {
  uint64_t h = test_seed();
  for (const char* p = group; *p; ++p) h = (h ^ static_cast<uint8_t>(*p)) * 0x100000001B3ull;
  return h;
}

// Registers for an operand of `size` bytes. `legacy`: encodable without REX
// (byte: AL..BL and AH..BH; wider: RAX..RDI); otherwise any but RSP (byte: AL..R15B
// with SPL..DIL via REX, never SPL).
int pick(Rng& r, unsigned size, bool legacy) {
  if (legacy) {
    static const int kByte[] = {0, 1, 2, 3, kAH, kCH, kDH, kBH};
    static const int kWide[] = {0, 1, 2, 3, 5, 6, 7};
    return size == 1 ? kByte[r.below(8)] : kWide[r.below(7)];
  }
  int x;
  do x = static_cast<int>(r.below(16));
  while (x == 4);
  return x;
}

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

void run_group(const char* group, const std::vector<Form>& forms, unsigned iterations) {
  std::printf("%s:\n", group);
  RunStats st = run_forms(forms, iterations, group_seed(group));
  EXPECT_EQ(st.failures, 0u);
  EXPECT_GT(st.cases, 0u);
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
        Form f = form(n + " Ev,1" + sz(size), dr(size, {static_cast<uint8_t>(0xD0 + w)}, op, pick(r, size, k == 0)));
        f.check = [op, size](const Regs&) { return shift_check(op, size, 1); };
        v.push_back(std::move(f));
      }
      for (unsigned k = 0; k < 3; ++k) {
        Form f = form(n + " Ev,CL" + sz(size), dr(size, {static_cast<uint8_t>(0xD2 + w)}, op, pick(r, size, k == 0)));
        f.fixup = cl_count;
        f.check = [op, size](const Regs& s) { return shift_check(op, size, s.gpr[cpu::RCX] & 0xFF); };
        v.push_back(std::move(f));
      }
      const unsigned width = 8 * size;
      const unsigned counts[] = {0, 1, 2, 3, width - 1, width, width + 1, 31, 32, 33, 63, 64, 65, 255,
                                 static_cast<unsigned>(r.below(256))};
      for (unsigned count : counts) {
        Form f = form(n + " Ev,Ib" + sz(size), dr(size, {static_cast<uint8_t>(0xC0 + w)}, op, pick(r, size, r.chance(3)),
                                                  imm_bytes(count, 1)));
        f.check = [op, size, count](const Regs&) { return shift_check(op, size, count); };
        v.push_back(std::move(f));
      }
    }
  run_group("shifts and rotates", v, kImmIters);
}

// --- SHLD SHRD ---

Check shift_double_check(unsigned size, unsigned count, int dst) {
  const unsigned masked = count & (size == 8 ? 63 : 31);
  if (masked == 0) return {kAll};
  if (masked > 8 * size) return {0, static_cast<uint16_t>(0xFFEF & ~(1u << dst))};
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
        v.push_back(std::move(f));
      }
      const unsigned width = 8 * size;
      for (unsigned count : {0u, 1u, 2u, width / 2, width - 1, width, width + 1, 31u, 32u, 33u, 63u, 200u}) {
        Pair p = pairs(r, size, 3)[r.below(3)];
        Form f = form(n + " Ev,Gv,Ib" + sz(size),
                      rr(size, {0x0F, static_cast<uint8_t>(right ? 0xAC : 0xA4)}, p.a, p.b, imm_bytes(count, 1)));
        const int dst = p.b;
        f.check = [size, count, dst](const Regs&) { return shift_double_check(size, count, dst); };
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
        } else {
          const bool sign = op == 3;
          f.fixup = [sign, size, rm](Regs& s, Rng& rr) { div_fixup(s, rr, sign, size, rm); };
          f.skip = [sign, size, rm](const Regs& s) { return div_faults(sign, size, s, get_op(s, rm, size)); };
          f.check = [](const Regs&) { return flags_only(0); };
        }
        v.push_back(std::move(f));
      }
  for (unsigned size : {2u, 4u, 8u}) {
    for (Pair p : pairs(r, size)) {
      Form f = form("IMUL Gv,Ev" + sz(size), rr(size, {0x0F, 0xAF}, p.a, p.b));
      f.check = [](const Regs&) { return flags_only(OF | CF); };
      v.push_back(std::move(f));
    }
    const unsigned iz = size == 2 ? 2 : 4;
    for (unsigned k = 0; k < 4; ++k) {
      Pair p = pairs(r, size)[r.below(4)];
      Form f = form("IMUL Gv,Ev,Iz" + sz(size), rr(size, {0x69}, p.a, p.b, imm_bytes(edge_imm(r, iz), iz)));
      f.check = [](const Regs&) { return flags_only(OF | CF); };
      v.push_back(std::move(f));
      p = pairs(r, size)[r.below(4)];
      f = form("IMUL Gv,Ev,Ib" + sz(size), rr(size, {0x6B}, p.a, p.b, imm_bytes(edge_imm(r, 1), 1)));
      f.check = [](const Regs&) { return flags_only(OF | CF); };
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
        v.push_back(std::move(f));
      }
      for (unsigned bit : {0u, 1u, 8u * size - 1, 8u * size, 8u * size + 3, 255u, static_cast<unsigned>(r.below(256))}) {
        Form f = form(std::string(kNames[op]) + " Ev,Ib" + sz(size),
                      dr(size, {0x0F, 0xBA}, 4 + op, pick(r, size, r.chance(2)), imm_bytes(bit, 1)));
        f.check = [](const Regs&) { return flags_only(CF | ZF); };
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
          if (scan && get_op(s, src, size) == 0) c.gprs &= static_cast<uint16_t>(~(1u << dst));
          return c;
        };
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

// --- SETcc and CMOVcc after flag-setting instructions ---

TEST(CpuDiff, Conditions) {
  Rng r(group_seed("condition-forms"));
  std::vector<Form> v;
  // Flag setters: none (flags straight from the input), then instructions that set
  // every flag a condition reads.
  struct Setter {
    const char* name;
    int op;  // ALU op (0..8), or 9 INC, 10 DEC, 11 NEG, 12 CMP Ev,Ib, -1 none
  };
  const Setter setters[] = {{"", -1},        {"ADD", 0},    {"OR", 1},    {"ADC", 2},  {"SBB", 3},
                            {"AND", 4},      {"SUB", 5},    {"XOR", 6},   {"CMP", 7},  {"TEST", 8},
                            {"INC", 9},      {"DEC", 10},   {"NEG", 11},  {"CMP Ib", 12}};
  for (const Setter& s : setters)
    for (unsigned cc = 0; cc < 16; ++cc)
      for (unsigned consumer = 0; consumer < 2; ++consumer) {
        Bytes bytes;
        std::string name;
        uint64_t defined = kAll;
        if (s.op >= 0) {
          const unsigned size = kSizes[r.below(4)];
          const uint8_t w = size == 1 ? 0 : 1;
          const Pair p = pairs(r, size)[r.below(4)];
          Enc e;
          if (s.op <= 8) {
            e = rr(size, {static_cast<uint8_t>(s.op == 8 ? 0x84 + w : s.op * 8 + w)}, p.a, p.b);
            defined = alu_flags(static_cast<unsigned>(s.op));
          } else if (s.op <= 10) {
            e = dr(size, {static_cast<uint8_t>(0xFE + w)}, s.op - 9, p.b);
          } else if (s.op == 11) {
            e = dr(size, {static_cast<uint8_t>(0xF6 + w)}, 3, p.b);
          } else {
            e = dr(size, {static_cast<uint8_t>(size == 1 ? 0x80 : 0x83)}, 7, p.b, imm_bytes(edge_imm(r, 1), 1));
          }
          bytes = encode(e);
          name = std::string(s.name) + sz(e.size) + "; ";
        }
        static const char* const kCc[] = {"O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE", "LE", "G"};
        Enc c;
        if (consumer == 0) {
          c = dr(1, {0x0F, static_cast<uint8_t>(0x90 + cc)}, 0, pick(r, 1, r.chance(2)));
          name += std::string("SET") + kCc[cc];
        } else {
          const unsigned size = kSizes[1 + r.below(3)];
          c = rr(size, {0x0F, static_cast<uint8_t>(0x40 + cc)}, pick(r, size, false), pick(r, size, false));
          name += std::string("CMOV") + kCc[cc] + sz(size);
        }
        const Bytes cb = encode(c);
        bytes.insert(bytes.end(), cb.begin(), cb.end());
        Form f;
        f.name = name;
        f.bytes = bytes;
        f.count = s.op >= 0 ? 2 : 1;
        f.check = [defined](const Regs&) { return flags_only(defined); };
        if (s.op == 7 || s.op == 5) {
          // Equal and near-equal operands for the compare fast path.
          f.fixup = [](Regs& st, Rng& rr) {
            if (rr.chance(3)) st.gpr[rr.below(16)] = st.gpr[rr.below(16)] + rr.below(3) - 1;
          };
        }
        v.push_back(std::move(f));
      }
  run_group("SETcc CMOVcc", v, 1000);
}

// --- LEA ---

Mem random_mem(Rng& r, bool allow_no_base) {
  Mem m;
  switch (r.below(allow_no_base ? 6 : 5)) {
    case 0: m.base = pick(r, 8, false); break;                                            // [base + disp]
    case 1: case 2: case 3: m.base = pick(r, 8, false), m.index = pick(r, 8, false); break;  // [base + index*s + disp]
    case 4: m.base = r.chance(2) ? 12 : (r.chance(2) ? 13 : 5), m.index = r.chance(2) ? pick(r, 8, false) : -1; break;
    default: m.index = pick(r, 8, false); break;                                          // [index*s + disp32]
  }
  m.scale = static_cast<unsigned>(r.below(4));
  switch (r.below(7)) {
    case 0: m.disp = 0; break;
    case 1: m.disp = static_cast<int32_t>(r.below(256)) - 128; break;
    case 2: m.disp = 0x7F; break;
    case 3: m.disp = -0x80; break;
    case 4: m.disp = static_cast<int32_t>(r.next()); break;
    case 5: m.disp = r.chance(2) ? 0x7FFFFFFF : INT32_MIN; break;
    default: m.disp = static_cast<int32_t>(r.below(0x2000)) - 0x1000; break;
  }
  m.disp32 = r.chance(5);
  return m;
}

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
  run_group("LEA", v, 1000);
}

// --- memory operands: [base + index*scale + disp] ---

TEST(CpuDiff, MemoryOperands) {
  Rng r(group_seed("memory-forms"));
  std::vector<Form> v;
  // Address registers avoid RAX, RCX, RDX (implicit operands) and RSP.
  auto address = [&](bool a32) {
    for (;;) {
      Mem m = random_mem(r, true);
      auto ok = [](int x) { return x < 0 || (x != 0 && x != 1 && x != 2 && x != 4); };
      if (!ok(m.base) || !ok(m.index) || (m.base >= 0 && m.base == m.index)) continue;
      if (a32 && m.base < 0 && m.scale == 0) continue;
      return m;
    }
  };
  // A register operand that is not an address register.
  auto other = [&](const Mem& m, unsigned size, bool legacy) {
    for (;;) {
      const int x = pick(r, size, legacy);
      const int gpr = x >= kAH ? x - kAH : x;
      if (gpr != m.base && gpr != m.index) return x;
    }
  };
  int last_reg = 0;  // the register operand `add` chose last
  auto add = [&](std::string name, Enc e, unsigned mem_bytes, std::function<Check(const Regs&)> check = {}) {
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
    v.push_back(std::move(f));
    return &v.back();
  };
  for (unsigned size : kSizes) {
    const uint8_t w = size == 1 ? 0 : 1;
    const unsigned iz = size == 2 ? 2 : size == 1 ? 1 : 4;
    for (unsigned op = 0; op < 9; ++op) {
      const uint64_t defined = alu_flags(op);
      auto ck = [defined](const Regs&) { return flags_only(defined); };
      const std::string n = kAluNames[op];
      for (unsigned k = 0; k < 2; ++k)
        add(n + " Ev,Gv" + sz(size), rr(size, {static_cast<uint8_t>(op == 8 ? 0x84 + w : op * 8 + w)}, 0, 0), size, ck);
      if (op != 8)
        for (unsigned k = 0; k < 2; ++k)
          add(n + " Gv,Ev" + sz(size), rr(size, {static_cast<uint8_t>(op * 8 + 2 + w)}, 0, 0), size, ck);
      add(n + " Ev,Iz" + sz(size),
          dr(size, {static_cast<uint8_t>(op == 8 ? 0xF6 + w : 0x80 + w)}, op == 8 ? 0 : op, 0, imm_bytes(edge_imm(r, iz), iz)),
          size, ck);
      if (size > 1 && op != 8) add(n + " Ev,Ib" + sz(size), dr(size, {0x83}, op, 0, imm_bytes(edge_imm(r, 1), 1)), size, ck);
    }
    const char* const kUnary[] = {"INC", "DEC", "NOT", "NEG"};
    for (unsigned op = 0; op < 4; ++op)
      add(std::string(kUnary[op]) + sz(size), dr(size, {static_cast<uint8_t>((op < 2 ? 0xFE : 0xF6) + w)}, op, 0), size);
    for (unsigned op = 0; op < 8; ++op) {
      add(std::string(kShiftNames[op]) + " Ev,1" + sz(size), dr(size, {static_cast<uint8_t>(0xD0 + w)}, op, 0), size,
          [op, size](const Regs&) { return shift_check(op, size, 1); });
      add(std::string(kShiftNames[op]) + " Ev,CL" + sz(size), dr(size, {static_cast<uint8_t>(0xD2 + w)}, op, 0), size,
          [op, size](const Regs& s) { return shift_check(op, size, s.gpr[cpu::RCX] & 0xFF); })
          ->fixup = cl_count;
      const unsigned count = static_cast<unsigned>(r.below(2 * 8 * size + 2));
      add(std::string(kShiftNames[op]) + " Ev,Ib" + sz(size), dr(size, {static_cast<uint8_t>(0xC0 + w)}, op, 0, imm_bytes(count, 1)),
          size, [op, size, count](const Regs&) { return shift_check(op, size, count); });
    }
    add("XCHG Ev,Gv" + sz(size), rr(size, {static_cast<uint8_t>(0x86 + w)}, 0, 0), size);
    add("XADD Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xC0 + w)}, 0, 0), size);
    add("CMPXCHG Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xB0 + w)}, 0, 0), size);
    add("MUL Ev" + sz(size), dr(size, {static_cast<uint8_t>(0xF6 + w)}, 4, 0), size,
        [](const Regs&) { return flags_only(OF | CF); });
    if (size == 1) continue;
    add("IMUL Gv,Ev" + sz(size), rr(size, {0x0F, 0xAF}, 0, 0), size, [](const Regs&) { return flags_only(OF | CF); });
    add("MOVZX Gv,Eb" + sz(size), [&] { Enc e = rr(size, {0x0F, 0xB6}, 0, 0); e.reg_byte = false; return e; }(), 1);
    add("MOVSX Gv,Ew" + sz(size), [&] { Enc e = rr(size, {0x0F, 0xBF}, 0, 0); e.reg_byte = false; return e; }(), 2);
    add("CMOVL Gv,Ev" + sz(size), rr(size, {0x0F, 0x4C}, 0, 0), size);
    add("SHLD Ev,Gv,CL" + sz(size), rr(size, {0x0F, 0xA5}, 0, 0), size,
        [size](const Regs& s) { return shift_double_check(size, s.gpr[cpu::RCX] & 0xFF, 16); })
        ->fixup = [size](Regs& s, Rng& rr) {
      // The memory result of a 16-bit shift by more than 16 is undefined.
      cl_count(s, rr);
      if (size == 2 && (s.gpr[cpu::RCX] & 31) > 16) s.gpr[cpu::RCX] &= ~uint64_t{0x10};
    };
    const char* const kBt[] = {"BT", "BTS", "BTR", "BTC"};
    for (unsigned op = 0; op < 4; ++op) {
      add(std::string(kBt[op]) + " Ev,Ib" + sz(size), dr(size, {0x0F, 0xBA}, 4 + op, 0, imm_bytes(r.below(256), 1)), size,
          [](const Regs&) { return flags_only(CF | ZF); });
      // A register bit offset is signed and reaches outside the addressed operand.
      Form* f = add(std::string(kBt[op]) + " Ev,Gv" + sz(size), rr(size, {0x0F, static_cast<uint8_t>(0xA3 + 8 * op)}, 0, 0),
                    size, [](const Regs&) { return flags_only(CF | ZF); });
      // The bit offset stays within reach of the window.
      f->mem_reach = 40;
      const int reg = last_reg;
      f->fixup = [reg, size](Regs& s, Rng& rr) {
        set_op(s, reg, size, static_cast<uint64_t>(static_cast<int64_t>(rr.below(301)) - 150));
      };
    }
  }
  run_group("memory operands", v, kImmIters);
}

}  // namespace
}  // namespace rw::cputest
