// A small x86-64 instruction encoder for the differential tests: legacy prefixes,
// REX, opcode, ModRM/SIB/displacement for register and memory operands, immediates.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rw::cputest {

using Bytes = std::vector<uint8_t>;

// Register operand: 0..15 in encoding order (for byte operands 4..7 are SPL..DIL and
// need a REX prefix), or kAH..kBH, the legacy high bytes (no REX allowed).
constexpr int kAH = 16, kCH = 17, kDH = 18, kBH = 19;

// A memory operand [base + index << scale + disp]; -1 = no base / no index.
struct Mem {
  int base = -1;
  int index = -1;
  unsigned scale = 0;
  int32_t disp = 0;
  bool disp32 = false;  // force a 32-bit displacement even when a shorter one fits
  bool rip = false;     // RIP-relative [rip + disp32]
};

struct Enc {
  unsigned size = 4;      // operand size: 2 adds 66, 8 adds REX.W
  Bytes prefix;           // mandatory prefixes (F3...), placed after 66 and before REX
  Bytes opcode;
  int reg = 0;            // ModRM.reg: a register, or the /digit when reg_digit
  bool reg_digit = false;
  bool reg_byte = false;  // reg is a byte register
  int rm = 0;             // ModRM.rm register (when mem is null)
  bool rm_byte = false;   // rm is a byte register
  const Mem* mem = nullptr;
  bool addr32 = false;    // 67 prefix
  bool no_modrm = false;  // register in the low opcode bits (BSWAP, XCHG eAX, r)
  Bytes imm;
};

inline Bytes encode(const Enc& e) {
  Bytes out;
  if (e.addr32) out.push_back(0x67);
  if (e.size == 2) out.push_back(0x66);
  out.insert(out.end(), e.prefix.begin(), e.prefix.end());
  uint8_t rex = e.size == 8 ? 8 : 0;
  bool need_rex = false, forbid_rex = false;
  auto reg_bits = [&](int spec, bool byte, uint8_t rex_bit) -> unsigned {
    if (spec >= kAH) {
      forbid_rex = true;
      return static_cast<unsigned>(spec - kAH + 4);
    }
    if (spec & 8) rex |= rex_bit;
    if (byte && spec >= 4 && spec < 8) need_rex = true;
    return static_cast<unsigned>(spec & 7);
  };
  const unsigned regf = e.reg_digit ? static_cast<unsigned>(e.reg) : reg_bits(e.reg, e.reg_byte, 4);
  Bytes tail;  // ModRM, SIB, displacement
  Bytes opcode = e.opcode;
  if (e.no_modrm) {
    opcode.back() = static_cast<uint8_t>(opcode.back() + reg_bits(e.rm, e.rm_byte, 1));
  } else if (!e.mem) {
    tail.push_back(static_cast<uint8_t>(0xC0 | regf << 3 | reg_bits(e.rm, e.rm_byte, 1)));
  } else {
    const Mem& m = *e.mem;
    unsigned mod, disp_bytes;
    if (m.rip) {
      tail.push_back(static_cast<uint8_t>(regf << 3 | 5));
      disp_bytes = 4;
    } else {
      if (m.index == 4) throw std::logic_error("RSP cannot be an index");
      if (m.index >= 0 && (m.index & 8)) rex |= 2;
      if (m.base >= 0 && (m.base & 8)) rex |= 1;
      const bool sib = m.index >= 0 || m.base < 0 || (m.base & 7) == 4;
      if (m.base < 0) {
        mod = 0, disp_bytes = 4;
      } else if (m.disp == 0 && !m.disp32 && (m.base & 7) != 5) {
        mod = 0, disp_bytes = 0;
      } else if (!m.disp32 && m.disp >= -128 && m.disp <= 127) {
        mod = 1, disp_bytes = 1;
      } else {
        mod = 2, disp_bytes = 4;
      }
      if (sib) {
        tail.push_back(static_cast<uint8_t>(mod << 6 | regf << 3 | 4));
        tail.push_back(static_cast<uint8_t>(m.scale << 6 | (m.index >= 0 ? (m.index & 7) : 4) << 3 |
                                            (m.base >= 0 ? (m.base & 7) : 5)));
      } else {
        tail.push_back(static_cast<uint8_t>(mod << 6 | regf << 3 | (m.base & 7)));
      }
    }
    for (unsigned k = 0; k < disp_bytes; ++k) tail.push_back(static_cast<uint8_t>(static_cast<uint32_t>(m.disp) >> (8 * k)));
  }
  if (rex || need_rex) {
    if (forbid_rex) throw std::logic_error("AH..BH cannot be encoded with REX");
    out.push_back(static_cast<uint8_t>(0x40 | rex));
  }
  out.insert(out.end(), opcode.begin(), opcode.end());
  out.insert(out.end(), tail.begin(), tail.end());
  out.insert(out.end(), e.imm.begin(), e.imm.end());
  return out;
}

inline Bytes imm_bytes(uint64_t v, unsigned n) {
  Bytes b;
  for (unsigned k = 0; k < n; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
  return b;
}

inline std::string reg_name(int spec, unsigned size) {
  static const char* const k64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  static const char* const k8[] = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"};
  static const char* const kHigh[] = {"ah", "ch", "dh", "bh"};
  if (spec >= kAH) return kHigh[spec - kAH];
  std::string n = k64[spec];
  if (size == 8) return n;
  if (spec >= 8) return n + (size == 4 ? "d" : size == 2 ? "w" : "b");
  if (size == 1) return k8[spec];
  if (size == 2) return n.substr(1);
  return "e" + n.substr(1);
}

}  // namespace rw::cputest
