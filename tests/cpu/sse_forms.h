// What the SSE differential tests share (sse_test.cpp, sse4_test.cpp): families of forms
// described by their encoding and operands (Sse), and the Builder that turns them into forms
// with register and memory operands, REX and immediates.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "forms.h"

namespace rw::cputest {

constexpr uint8_t kReg = 1, kMem = 2;  // the ModRM forms an instruction has

// A family of forms: mandatory prefix, opcode after 0F (or 0F 38, 0F 3A), operands, inputs.
struct Sse {
  std::string name;
  uint8_t prefix = 0;  // 0x66, 0xF3, 0xF2, or 0 for none
  uint8_t opcode = 0;
  char reg = 'x';      // ModRM.reg: 'x' an XMM register, 'g' a GPR, '0'..'7' a /digit
  char rm = 'x';       // ModRM.rm when a register: 'x' or 'g'
  uint8_t forms = kReg | kMem;
  Lanes lanes = Lanes::Int;
  unsigned mem = 16;   // bytes of the memory operand; 0: the GPR operand's size
  bool aligned = false;
  std::vector<unsigned> imms = {};  // one form per imm8 value; none: no immediate
  bool wide = false;                // a GPR operand: forms with and without REX.W
  uint8_t map = 0;                  // 0: 0F opcode; 0x38 or 0x3A: the three-byte maps
  bool xmm0 = false;                // XMM0 is an implicit operand (BLENDVPS, PCMPISTRM)
  uint32_t avoid = 0;               // GPRs (a bit each) that no memory operand may address with
};

inline std::string operand_name(char kind, int reg, unsigned size) {
  return kind == 'g' ? reg_name(reg, size) : "xmm" + std::to_string(reg);
}

// Builds the forms of Sse families: for each immediate and GPR size, register forms
// (XMM0-7 only; with REX registers; the same register twice; one with a REX.W the
// instruction ignores) and memory forms (random addressing, some with a 32-bit address).
class Builder {
 public:
  explicit Builder(const char* group) : r_(group_seed(group)) {}
  unsigned reg_variants = 3, mem_variants = 2;

  void add(const Sse& s) {
    if (s.imms.empty()) return add_with_imm(s, -1);
    for (unsigned imm : s.imms) add_with_imm(s, static_cast<int>(imm));
  }
  void add(std::initializer_list<Sse> list) {
    for (const Sse& s : list) add(s);
  }

  Rng& rng() { return r_; }
  std::vector<Form>& forms() { return v_; }

 private:
  void add_with_imm(const Sse& s, int imm) {
    for (unsigned size = 4; size <= (s.wide ? 8u : 4u); size += 4) {
      if (s.forms & kReg)
        for (unsigned k = 0; k < reg_variants; ++k) add_reg(s, size, imm, k);
      if (s.forms & kMem)
        for (unsigned k = 0; k < mem_variants; ++k) add_mem(s, size, imm);
    }
  }

  Enc encoding(const Sse& s, unsigned size, int imm) const {
    Enc e;
    e.size = size;
    if (s.prefix) e.prefix = {s.prefix};
    e.opcode = s.map ? Bytes{0x0F, s.map, s.opcode} : Bytes{0x0F, s.opcode};
    if (s.reg >= '0' && s.reg <= '7') {
      e.reg = s.reg - '0';
      e.reg_digit = true;
    }
    if (imm >= 0) e.imm = imm_bytes(static_cast<unsigned>(imm), 1);
    return e;
  }

  // A register for an operand: XMM0-15 or a GPR but RSP; `legacy`: without REX.
  int any(char kind, bool legacy) {
    if (kind == 'g') return pick(r_, 8, legacy);
    return static_cast<int>(r_.below(legacy ? 8 : 16));
  }

  Form finish(const Sse& s, const Enc& e, std::string operands, int imm) {
    Form f;
    f.name = s.name + " " + operands;
    if (imm >= 0) f.name += "," + std::to_string(imm);
    if (s.wide) f.name += e.size == 8 ? " /64" : " /32";
    f.bytes = encode(e);
    f.simd = true;
    f.lanes = s.lanes;
    return f;
  }

  void add_reg(const Sse& s, unsigned size, int imm, unsigned k) {
    Enc e = encoding(s, size, imm);
    const bool digit = e.reg_digit;
    int reg = digit ? e.reg : any(s.reg, k == 0), rm = any(s.rm, k == 0);
    if (k == 1 && !digit) {
      // At least one REX register.
      while (reg < 8 && rm < 8) reg = any(s.reg, false), rm = any(s.rm, false);
      if (!s.wide && r_.chance(3)) e.size = 8;  // a REX.W the instruction ignores
    }
    if (k == 2 && !digit && s.reg == s.rm) rm = reg;
    e.reg = reg;
    e.rm = rm;
    std::string ops = digit ? operand_name(s.rm, rm, size) : operand_name(s.reg, reg, size) + "," + operand_name(s.rm, rm, size);
    if (e.size == 8 && !s.wide) ops += " rex.w";
    Form f = finish(s, e, ops, imm);
    if (s.reg == 'x' && !digit) f.xmm_named.push_back(reg);
    if (s.rm == 'x') f.xmm_named.push_back(rm);
    named_xmm0(s, f);
    v_.push_back(std::move(f));
  }

  void add_mem(const Sse& s, unsigned size, int imm) {
    Enc e = encoding(s, size, imm);
    const bool digit = e.reg_digit;
    const int reg = digit ? e.reg : any(s.reg, r_.chance(2));
    uint32_t avoid = 1u << cpu::RSP | s.avoid;
    if (s.reg == 'g') avoid |= 1u << reg;  // the GPR operand is no address register
    const bool a32 = r_.chance(6);
    Mem m = random_operand_address(r_, a32, avoid, false);
    if (s.aligned && m.base < 0) m.disp &= ~15;  // [index*s + disp32] can be aligned too
    e.reg = reg;
    e.mem = &m;
    e.addr32 = a32;
    const unsigned bytes = s.mem ? s.mem : size;
    std::string ops = "m" + std::to_string(8 * bytes) + (a32 ? " a32" : "");
    if (!digit) ops = operand_name(s.reg, reg, size) + "," + ops;
    Form f = finish(s, e, ops, imm);
    f.mem = m;
    f.mem_bytes = bytes;
    f.addr32 = a32;
    if (s.aligned) {
      f.mem_align = 16;
      f.misalign = 6;
    }
    if (s.reg == 'x' && !digit) f.xmm_named.push_back(reg);
    named_xmm0(s, f);
    v_.push_back(std::move(f));
  }

  static void named_xmm0(const Sse& s, Form& f) {
    if (s.xmm0 && std::find(f.xmm_named.begin(), f.xmm_named.end(), 0) == f.xmm_named.end()) f.xmm_named.push_back(0);
  }

  Rng r_;
  std::vector<Form> v_;
};

// The four types of a floating-point operation: PS (no prefix), PD (66), SS (F3), SD (F2).
inline void four_types(Builder& b, const std::string& name, uint8_t opcode, std::vector<unsigned> imms = {}) {
  b.add({name + "PS", 0, opcode, 'x', 'x', kReg | kMem, Lanes::F32, 16, true, imms});
  b.add({name + "PD", 0x66, opcode, 'x', 'x', kReg | kMem, Lanes::F64, 16, true, imms});
  b.add({name + "SS", 0xF3, opcode, 'x', 'x', kReg | kMem, Lanes::F32, 4, false, imms});
  b.add({name + "SD", 0xF2, opcode, 'x', 'x', kReg | kMem, Lanes::F64, 8, false, imms});
}

// An integer operation of SSE2: 66 0F opcode xmm, xmm/m128 (aligned).
inline Sse integer(const char* name, uint8_t opcode, Lanes lanes = Lanes::Int) {
  return {name, 0x66, opcode, 'x', 'x', kReg | kMem, lanes, 16, true};
}

// With CR0.TS set every form raises #NM; with CR0.EM set or CR4.OSFXSR clear, #UD (forms
// named FX...: FXSAVE and FXRSTOR raise #NM for EM, and run without OSFXSR, so they are not
// tried then). Decode-time faults: they come before any memory access (the address registers
// are wild here) and before any SIMD exception, and change nothing. Reports mismatches
// through GoogleTest.
void expect_unavailable_sse_state_faults_first(const std::vector<Form>& forms, const char* group);

}  // namespace rw::cputest
