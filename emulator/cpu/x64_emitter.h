// A small x86-64 machine-code emitter for the translator (jit.cpp): the handful of
// instruction forms it needs, encoded from the SDM's tables (vol. 2, chapter 2 and the
// instruction pages). Registers are host register numbers (rax = 0 ... r15 = 15).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace rw::cpu::x64 {

enum R : uint8_t { rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15 };

// A memory operand [base + index * 2^scale + disp]; index < 0: none.
struct M {
  int base;
  int32_t disp = 0;
  int index = -1;
  int scale = 0;
};

// ALU opcodes' /digit (and the 00-3F opcode rows: op * 8 + 1 is "r/m, r").
enum Alu : uint8_t { kAdd = 0, kOr = 1, kAnd = 4, kSub = 5, kXor = 6, kCmp = 7 };

class Emitter {
 public:
  std::vector<uint8_t> code;

  size_t size() const { return code.size(); }
  void byte(uint8_t b) { code.push_back(b); }
  void bytes(std::initializer_list<uint8_t> bs) { code.insert(code.end(), bs); }
  void u32(uint32_t v) { for (int k = 0; k < 4; ++k) byte(static_cast<uint8_t>(v >> (8 * k))); }
  void u64(uint64_t v) { for (int k = 0; k < 8; ++k) byte(static_cast<uint8_t>(v >> (8 * k))); }

  // Operand-size prefix and REX for an operation of `size` bytes on reg (ModRM.reg),
  // index and base. `byte_regs`: the 8-bit operation names SPL-DIL (needs a REX).
  void prefix(unsigned size, int reg, int index, int base, bool byte_regs = false) {
    if (size == 2) byte(0x66);
    uint8_t rex = 0x40 | (size == 8 ? 8 : 0) | (reg >= 8 ? 4 : 0) | (index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0);
    if (rex != 0x40 || byte_regs) byte(rex);
  }
  void modrm_mem(int reg, const M& m) {
    const bool small = m.disp >= -128 && m.disp <= 127;
    const int mod = (m.disp == 0 && (m.base & 7) != 5) ? 0 : small ? 1 : 2;
    if (m.index < 0 && (m.base & 7) != 4) {
      byte(static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | (m.base & 7)));
    } else {
      byte(static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | 4));
      const int index = m.index < 0 ? 4 : m.index;
      byte(static_cast<uint8_t>(m.scale << 6 | (index & 7) << 3 | (m.base & 7)));
    }
    if (mod == 1) byte(static_cast<uint8_t>(m.disp));
    if (mod == 2) u32(static_cast<uint32_t>(m.disp));
  }
  // op reg, [m] (or [m], reg, by opcode), `size` the operation's.
  void rm(unsigned size, std::initializer_list<uint8_t> op, int reg, const M& m) {
    prefix(size, reg, m.index, m.base, size == 1 && reg >= 4);
    bytes(op);
    modrm_mem(reg, m);
  }
  // op reg, rm with both registers.
  void rr(unsigned size, std::initializer_list<uint8_t> op, int reg, int rm_reg) {
    prefix(size, reg, -1, rm_reg, size == 1 && (reg >= 4 || rm_reg >= 4));
    bytes(op);
    byte(static_cast<uint8_t>(0xC0 | (reg & 7) << 3 | (rm_reg & 7)));
  }

  // --- moves ---
  // reg <- [m], zero-extended to 64 bits.
  void load(unsigned size, int reg, const M& m) {
    if (size == 1) rm(4, {0x0F, 0xB6}, reg, m);
    else if (size == 2) rm(4, {0x0F, 0xB7}, reg, m);
    else rm(size, {0x8B}, reg, m);
  }
  void store(unsigned size, const M& m, int reg) { rm(size, {static_cast<uint8_t>(size == 1 ? 0x88 : 0x89)}, reg, m); }
  // [m] <- imm32, sign-extended for a 64-bit store.
  void store_imm(unsigned size, const M& m, uint32_t imm) {
    rm(size, {static_cast<uint8_t>(size == 1 ? 0xC6 : 0xC7)}, 0, m);
    if (size == 1) byte(static_cast<uint8_t>(imm));
    else if (size == 2) { byte(static_cast<uint8_t>(imm)); byte(static_cast<uint8_t>(imm >> 8)); }
    else u32(imm);
  }
  void mov(unsigned size, int dst, int src) { rr(size, {static_cast<uint8_t>(size == 1 ? 0x8A : 0x8B)}, dst, src); }
  // dst <- imm, the shortest encoding with the same 64-bit result.
  void mov_imm(int dst, uint64_t imm) {
    if (imm <= 0xFFFFFFFF) {
      prefix(4, 0, -1, dst);
      byte(static_cast<uint8_t>(0xB8 | (dst & 7)));
      u32(static_cast<uint32_t>(imm));
    } else if (static_cast<int64_t>(imm) == static_cast<int32_t>(imm)) {
      prefix(8, 0, -1, dst);
      byte(0xC7);
      byte(static_cast<uint8_t>(0xC0 | (dst & 7)));
      u32(static_cast<uint32_t>(imm));
    } else {
      prefix(8, 0, -1, dst);
      byte(static_cast<uint8_t>(0xB8 | (dst & 7)));
      u64(imm);
    }
  }
  // Zero-extend the low `size` bytes of reg into all of it (no flags change).
  void zero_extend(unsigned size, int reg) {
    if (size == 1) rr(4, {0x0F, 0xB6}, reg, reg);
    else if (size == 2) rr(4, {0x0F, 0xB7}, reg, reg);
    else if (size == 4) rr(4, {0x8B}, reg, reg);
  }
  // Sign-extend the low `size` bytes of reg to 64 bits.
  void sign_extend(unsigned size, int reg) {
    if (size == 1) rr(8, {0x0F, 0xBE}, reg, reg);
    else if (size == 2) rr(8, {0x0F, 0xBF}, reg, reg);
    else if (size == 4) rr(8, {0x63}, reg, reg);
  }
  void lea(int dst, const M& m) { rm(8, {0x8D}, dst, m); }

  // --- arithmetic ---
  void alu_rr(Alu op, unsigned size, int dst, int src) {
    rr(size, {static_cast<uint8_t>(op * 8 + (size == 1 ? 2 : 3))}, dst, src);
  }
  void test_rr(unsigned size, int a, int b) { rr(size, {static_cast<uint8_t>(size == 1 ? 0x84 : 0x85)}, b, a); }
  // op reg, imm (imm8 sign-extended when it fits); for 64 bits imm is sign-extended imm32.
  void alu_ri(Alu op, unsigned size, int reg, int32_t imm) {
    if (size == 1) {
      rr(1, {0x80}, op, reg);
      byte(static_cast<uint8_t>(imm));
    } else if (imm >= -128 && imm <= 127) {
      rr(size, {0x83}, op, reg);
      byte(static_cast<uint8_t>(imm));
    } else {
      rr(size, {0x81}, op, reg);
      if (size == 2) { byte(static_cast<uint8_t>(imm)); byte(static_cast<uint8_t>(imm >> 8)); }
      else u32(static_cast<uint32_t>(imm));
    }
  }
  void shr_ri(unsigned size, int reg, uint8_t n) { shift_ri(5, size, reg, n); }
  // Group 2 (ROL 0, ROR 1, SHL 4, SHR 5, SAR 7) by an immediate or by CL.
  void shift_ri(unsigned digit, unsigned size, int reg, uint8_t n) {
    rr(size, {static_cast<uint8_t>(size == 1 ? 0xC0 : 0xC1)}, static_cast<int>(digit), reg);
    byte(n);
  }
  void shift_cl(unsigned digit, unsigned size, int reg) {
    rr(size, {static_cast<uint8_t>(size == 1 ? 0xD2 : 0xD3)}, static_cast<int>(digit), reg);
  }
  void lahf() { byte(0x9F); }
  void seto(int reg) { rr(1, {0x0F, 0x90}, 0, reg); }
  void inc(unsigned size, int reg) { rr(size, {static_cast<uint8_t>(size == 1 ? 0xFE : 0xFF)}, 0, reg); }
  void dec(unsigned size, int reg) { rr(size, {static_cast<uint8_t>(size == 1 ? 0xFE : 0xFF)}, 1, reg); }
  void neg(unsigned size, int reg) { rr(size, {static_cast<uint8_t>(size == 1 ? 0xF6 : 0xF7)}, 3, reg); }
  void not_(unsigned size, int reg) { rr(size, {static_cast<uint8_t>(size == 1 ? 0xF6 : 0xF7)}, 2, reg); }

  // --- control ---
  // A rel32 field to patch later: returns its position.
  size_t jcc(unsigned cc) { bytes({0x0F, static_cast<uint8_t>(0x80 | cc)}); u32(0); return size() - 4; }
  size_t jmp() { byte(0xE9); u32(0); return size() - 4; }
  void patch(size_t at, size_t target) {
    const uint32_t rel = static_cast<uint32_t>(static_cast<int64_t>(target) - static_cast<int64_t>(at + 4));
    std::memcpy(&code[at], &rel, 4);
  }
  void call_abs(const void* fn) {
    mov_imm(rax, reinterpret_cast<uint64_t>(fn));
    bytes({0xFF, 0xD0});  // call rax
  }
  void jmp_reg(int reg) { rr(4, {0xFF}, 4, reg); }
  void imul_ri(int dst, int src, int32_t imm) { rr(8, {0x69}, dst, src); u32(static_cast<uint32_t>(imm)); }
  // [m] op= reg (64-bit).
  void alu_mr(Alu op, unsigned size, const M& m, int reg) { rm(size, {static_cast<uint8_t>(op * 8 + (size == 1 ? 0 : 1))}, reg, m); }
  // cmp/test [m], imm (imm8 for bytes, imm32 otherwise).
  void cmp_mi(unsigned size, const M& m, int32_t imm) {
    rm(size, {static_cast<uint8_t>(size == 1 ? 0x80 : 0x81)}, kCmp, m);
    imm_sized(size, static_cast<uint32_t>(imm));
  }
  void test_mi(unsigned size, const M& m, uint32_t imm) {
    rm(size, {static_cast<uint8_t>(size == 1 ? 0xF6 : 0xF7)}, 0, m);
    imm_sized(size, imm);
  }
  // An immediate of the operation's size (32 bits for 64-bit operations).
  void imm_sized(unsigned size, uint32_t imm) {
    if (size == 1) byte(static_cast<uint8_t>(imm));
    else if (size == 2) { byte(static_cast<uint8_t>(imm)); byte(static_cast<uint8_t>(imm >> 8)); }
    else u32(imm);
  }
  void push(int reg) { if (reg >= 8) byte(0x41); byte(static_cast<uint8_t>(0x50 | (reg & 7))); }
  void pop(int reg) { if (reg >= 8) byte(0x41); byte(static_cast<uint8_t>(0x58 | (reg & 7))); }
  void ret() { byte(0xC3); }
};

}  // namespace rw::cpu::x64
