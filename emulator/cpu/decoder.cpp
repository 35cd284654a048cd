// The decoder follows the opcode maps of the Intel SDM, volume 2, appendix A.
// Operand notation in comments is the manual's: E = ModRM r/m, G = ModRM reg,
// I = immediate, b/w/d/q/v/z = byte/word/dword/qword/operand size/16-or-32.
#include "cpu/decoder.h"

#include <algorithm>

#include "cpu/fault.h"
#include "cpu/handlers.h"
#include "cpu/mmu.h"

namespace rw::cpu {
namespace {

class Decoder {
 public:
  Decoder(Cpu& cpu, uint64_t rip, Insn& out) : c_(cpu), rip_(rip), i_(out) {
    mode_ = cpu.code_size;
    lin_ = (cpu.seg_base[CS] + rip) & cpu.lin_mask;
  }

  DecodeInfo run();

 private:
  // --- bytes ---
  uint8_t next() {
    if (pos_ >= 15) {
      too_long_ = true;
      return 0x90;
    }
    if (pos_ >= have_) fill();
    return buf_[pos_++];
  }
  void fill() {
    uint64_t at = (lin_ + have_) & c_.lin_mask;
    unsigned n = std::min<unsigned>(16 - have_, 4096 - (at & 4095));
    fetch_code(c_, at, buf_ + have_, n);
    have_ += n;
  }
  uint16_t next16() { uint16_t lo = next(); return lo | uint16_t(next()) << 8; }
  uint32_t next32() { uint32_t lo = next16(); return lo | uint32_t(next16()) << 16; }
  uint64_t next64() { uint64_t lo = next32(); return lo | uint64_t(next32()) << 32; }

  // --- operand helpers ---
  unsigned byte_reg(unsigned r) const { return (rex_ || r < 4) ? r * 8 : (r - 4) * 8 + 1; }
  void modrm();
  void modrm16();
  void set_reg_operand(unsigned size) { i_.reg = size == 1 ? byte_reg(reg_) : reg_; }
  void set_rm_operand(unsigned size) { if (!mem_) i_.rm = size == 1 ? byte_reg(rm_) : rm_; }
  uint64_t imm_sized(unsigned size) {  // Ib / Iw / Iz (sign-extended to 64 for q)
    switch (size) {
      case 1: return next();
      case 2: return next16();
      case 4: return next32();
      default: return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(next32())));
    }
  }
  uint64_t imm8s(unsigned size) {
    uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(next())));
    return size == 8 ? v : v & ((uint64_t{1} << (size * 8)) - 1);
  }
  void rel(int64_t offset) { rel_ = true; rel_offset_ = offset; }
  unsigned osize_default64() const {
    if (mode_ == CodeSize::k64) return opsize_prefix_ ? 2 : 8;
    return osize_;
  }
  void invalid() { i_.fn = op_invalid; ends_ = true; }
  void unimplemented() { i_.fn = op_unimplemented; ends_ = true; }
  bool lock_ok_ = false;

  void one_byte(uint8_t op);
  void two_byte(uint8_t op);
  void group1(uint8_t op);
  void group2(uint8_t op);
  void group3(uint8_t op);
  void group45(uint8_t op);
  void group6();
  void group7();
  void group15();
  void sse(uint8_t op);
  void three_byte(uint8_t map);
  void x87(uint8_t op);
  void alu_form(AluOp op, uint8_t low3);

  Cpu& c_;
  uint64_t rip_;
  Insn& i_;
  CodeSize mode_;
  uint64_t lin_;
  uint8_t buf_[16];
  unsigned have_ = 0, pos_ = 0;
  bool too_long_ = false;

  bool opsize_prefix_ = false, addrsize_prefix_ = false, lock_ = false;
  uint8_t rep_ = 0;  // 0, 0xF2, 0xF3
  int seg_override_ = -1;
  bool rex_ = false, rex_w_ = false;
  unsigned rex_r_ = 0, rex_x_ = 0, rex_b_ = 0;
  unsigned osize_ = 4;  // bytes
  unsigned asize_ = kAddr32;

  bool has_modrm_ = false, mem_ = false, riprel_ = false;
  unsigned mod_ = 0, reg_ = 0, rm_ = 0, reg_raw_ = 0;
  bool rel_ = false;
  int64_t rel_offset_ = 0;
  unsigned rel_size_ = 8;
  bool ends_ = false;
};

void Decoder::modrm16() {
  static constexpr uint8_t kBase[8] = {RBX, RBX, RBP, RBP, RSI, RDI, RBP, RBX};
  static constexpr uint8_t kIndex[8] = {RSI, RDI, RSI, RDI, kZeroReg, kZeroReg, kZeroReg, kZeroReg};
  i_.base = kBase[rm_];
  i_.index = kIndex[rm_];
  i_.scale = 0;
  uint8_t default_seg = (rm_ == 2 || rm_ == 3 || (rm_ == 6 && mod_ != 0)) ? SS : DS;
  if (mod_ == 0 && rm_ == 6) {
    i_.base = kZeroReg;
    i_.disp = next16();
  } else if (mod_ == 1) {
    i_.disp = static_cast<int8_t>(next());
  } else if (mod_ == 2) {
    i_.disp = static_cast<int16_t>(next16());
  }
  i_.seg = seg_override_ >= 0 ? static_cast<uint8_t>(seg_override_) : default_seg;
}

void Decoder::modrm() {
  has_modrm_ = true;
  uint8_t m = next();
  mod_ = m >> 6;
  reg_raw_ = (m >> 3) & 7;
  reg_ = reg_raw_ | rex_r_;
  rm_ = (m & 7) | (mod_ == 3 ? rex_b_ : 0);
  i_.disp = 0;
  i_.base = kZeroReg;
  i_.index = kZeroReg;
  i_.scale = 0;
  if (mod_ == 3) {
    mem_ = false;
    return;
  }
  mem_ = true;
  rm_ = m & 7;
  if (asize_ == kAddr16) {
    modrm16();
    return;
  }
  uint8_t default_seg = DS;
  unsigned base_field = rm_;
  if (rm_ == 4) {
    uint8_t sib = next();
    i_.scale = sib >> 6;
    unsigned index = ((sib >> 3) & 7) | rex_x_;
    i_.index = index == RSP ? uint8_t{kZeroReg} : static_cast<uint8_t>(index);
    base_field = sib & 7;
    if (base_field == 5 && mod_ == 0) {
      i_.base = kZeroReg;
      i_.disp = static_cast<int32_t>(next32());
    } else {
      i_.base = base_field | rex_b_;
    }
  } else if (rm_ == 5 && mod_ == 0) {
    i_.disp = static_cast<int32_t>(next32());
    if (mode_ == CodeSize::k64) riprel_ = true;
  } else {
    i_.base = rm_ | rex_b_;
  }
  if ((base_field == RSP || base_field == RBP) && i_.base != kZeroReg) default_seg = SS;
  if (mod_ == 1) i_.disp = static_cast<int8_t>(next());
  if (mod_ == 2) i_.disp = static_cast<int32_t>(next32());
  i_.seg = seg_override_ >= 0 ? static_cast<uint8_t>(seg_override_) : default_seg;
}

void Decoder::alu_form(AluOp op, uint8_t low3) {
  // 00-05 pattern: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / rAX,Iz
  unsigned size = (low3 & 1) ? osize_ : 1;
  switch (low3) {
    case 0:
    case 1:
      modrm();
      set_reg_operand(size);
      set_rm_operand(size);
      i_.fn = select_alu(op, Form::EG, size, mem_);
      lock_ok_ = mem_ && op != AluOp::Cmp;
      break;
    case 2:
    case 3:
      modrm();
      set_reg_operand(size);
      set_rm_operand(size);
      i_.fn = select_alu(op, Form::GE, size, mem_);
      break;
    default:
      i_.rm = RAX;
      i_.imm = imm_sized(size);
      i_.fn = select_alu(op, Form::EI, size, false);
      break;
  }
  i_.osize = size;
}

void Decoder::group1(uint8_t op) {
  unsigned size = op == 0x80 || op == 0x82 ? 1 : osize_;
  modrm();
  set_rm_operand(size);
  i_.imm = op == 0x81 ? imm_sized(size) : imm8s(size);
  AluOp alu = static_cast<AluOp>(reg_raw_);
  i_.fn = select_alu(alu, Form::EI, size, mem_);
  i_.osize = size;
  lock_ok_ = mem_ && alu != AluOp::Cmp;
}

void Decoder::group2(uint8_t op) {
  unsigned size = (op & 1) ? osize_ : 1;
  modrm();
  set_rm_operand(size);
  Count count = Count::One;
  if (op == 0xC0 || op == 0xC1) {
    count = Count::Imm;
    i_.imm = next();
  } else if (op == 0xD2 || op == 0xD3) {
    count = Count::Cl;
  }
  i_.fn = select_shift(static_cast<ShiftOp>(reg_raw_), count, size, mem_);
  i_.osize = size;
}

void Decoder::group3(uint8_t op) {
  unsigned size = op == 0xF6 ? 1 : osize_;
  modrm();
  set_rm_operand(size);
  i_.osize = size;
  switch (reg_raw_) {
    case 0:
    case 1:
      i_.imm = imm_sized(size);
      i_.fn = select_alu(AluOp::Test, Form::EI, size, mem_);
      break;
    case 2:
      i_.fn = select_unary(UnaryOp::Not, size, mem_);
      lock_ok_ = mem_;
      break;
    case 3:
      i_.fn = select_unary(UnaryOp::Neg, size, mem_);
      lock_ok_ = mem_;
      break;
    default:
      i_.fn = select_muldiv(static_cast<MulOp>(reg_raw_ - 4), size, mem_);
      break;
  }
}

void Decoder::group45(uint8_t op) {
  modrm();
  if (op == 0xFE) {
    set_rm_operand(1);
    i_.osize = 1;
    if (reg_raw_ > 1) return invalid();
    i_.fn = select_unary(reg_raw_ == 0 ? UnaryOp::Inc : UnaryOp::Dec, 1, mem_);
    lock_ok_ = mem_;
    return;
  }
  set_rm_operand(osize_);
  i_.osize = osize_;
  switch (reg_raw_) {
    case 0:
    case 1:
      i_.fn = select_unary(reg_raw_ == 0 ? UnaryOp::Inc : UnaryOp::Dec, osize_, mem_);
      lock_ok_ = mem_;
      break;
    case 2:
      i_.osize = osize_default64();
      i_.fn = select_call_indirect(i_.osize, mem_);
      ends_ = true;
      break;
    case 3:
      if (!mem_) return invalid();
      i_.fn = select_far_mem(true, osize_);
      ends_ = true;
      break;
    case 4:
      i_.osize = osize_default64();
      i_.fn = select_jmp_indirect(i_.osize, mem_);
      ends_ = true;
      break;
    case 5:
      if (!mem_) return invalid();
      i_.fn = select_far_mem(false, osize_);
      ends_ = true;
      break;
    case 6:
      i_.osize = osize_default64();
      i_.fn = mem_ ? select_push_mem(i_.osize) : select_push_reg(i_.osize);
      if (!mem_) i_.reg = rm_;
      break;
    default:
      invalid();
  }
}

void Decoder::group6() {  // 0F 00
  modrm();
  switch (reg_raw_) {
    case 0:  // SLDT
    case 1:  // STR
      set_rm_operand(mem_ ? 2 : osize_);
      i_.fn = select_store_selector(reg_raw_, mem_ ? 2 : osize_, mem_);
      break;
    case 2:
      set_rm_operand(2);
      i_.fn = op_lldt;
      i_.ext = mem_;
      i_.osize = 2;
      ends_ = true;
      break;
    case 3:
      set_rm_operand(2);
      i_.fn = op_ltr;
      i_.ext = mem_;
      i_.osize = 2;
      ends_ = true;
      break;
    case 4:
      set_rm_operand(2);
      i_.fn = op_verr;
      i_.ext = mem_;
      break;
    case 5:
      set_rm_operand(2);
      i_.fn = op_verw;
      i_.ext = mem_;
      break;
    default:
      invalid();
  }
}

void Decoder::group7() {  // 0F 01
  modrm();
  if (mem_) {
    switch (reg_raw_) {
      case 0: i_.fn = select_descriptor_table(true, false); break;
      case 1: i_.fn = select_descriptor_table(true, true); break;
      case 2: i_.fn = select_descriptor_table(false, false); ends_ = true; break;
      case 3: i_.fn = select_descriptor_table(false, true); ends_ = true; break;
      case 4: i_.fn = select_store_selector(2, 2, true); break;
      case 6: i_.fn = op_lmsw; i_.ext = 1; ends_ = true; break;
      case 7: i_.fn = op_invlpg; ends_ = true; break;
      default: invalid();
    }
    i_.osize = mode_ == CodeSize::k64 ? 8 : osize_;
    return;
  }
  unsigned low = rm_ & 7;
  switch (reg_raw_) {
    case 2:
      if (low == 0) {
        i_.fn = op_xgetbv;
      } else if (low == 1) {
        i_.fn = op_xsetbv;
        ends_ = true;
      } else {
        unimplemented();  // VMFUNC, XEND, XTEST, ENCLU
      }
      break;
    case 4:
      set_rm_operand(osize_);
      i_.fn = select_store_selector(2, osize_, false);
      break;
    case 6:
      set_rm_operand(2);
      i_.fn = op_lmsw;
      i_.ext = 0;
      ends_ = true;
      break;
    case 7:
      if (low == 0 && mode_ == CodeSize::k64) {
        i_.fn = op_swapgs;
        ends_ = true;
      } else if (low == 1) {
        i_.fn = op_rdtscp;
      } else {
        unimplemented();
      }
      break;
    default:
      unimplemented();  // MONITOR/MWAIT, VMX and friends
  }
}

void Decoder::group15() {  // 0F AE
  modrm();
  if (!mem_) {
    if (reg_raw_ >= 5 && !rep_ && !opsize_prefix_) {  // LFENCE, MFENCE, SFENCE
      i_.fn = op_nop;
      return;
    }
    return unimplemented();  // RDFSBASE and friends
  }
  if (rep_ || opsize_prefix_) return unimplemented();  // CLFLUSHOPT, CLWB, PTWRITE
  if (reg_raw_ <= 3) {  // FXSAVE, FXRSTOR, LDMXCSR, STMXCSR
    i_.fn = reg_raw_ <= 1 ? select_fxsave(reg_raw_ == 1, rex_w_) : select_mxcsr(reg_raw_ == 3);
    return;
  }
  if (reg_raw_ == 7) {
    i_.fn = select_clflush();
    return;
  }
  i_.fn = select_xsave(reg_raw_, rex_w_);  // XSAVE, XRSTOR, XSAVEOPT
}

// x87 (D8-DF): ModRM.reg and, for register forms, the whole ModRM byte pick the instruction.
void Decoder::x87(uint8_t op) {
  const unsigned at = pos_;
  modrm();
  const uint8_t byte = buf_[at];
  i_.imm2 = static_cast<uint16_t>(((op & 7) << 8) | byte);  // FOP
  i_.rm = rm_ & 7;
  i_.ext = static_cast<uint8_t>(reg_raw_ | (op == 0xDB ? 8 : 0));  // FCMOVcc's condition
  const Handler fn = x87::select(op, byte, mem_, osize_);
  if (!fn) return unimplemented();
  i_.fn = fn;
  if (fn == op_invalid) ends_ = true;
}

// SSE, SSE2 and SSE3 (0F 10-17, 28-2F, 50-7F, C2-C6, D0-FF): the mandatory prefix (F3 or F2, the
// last one given, else 66) picks the form; ModRM.reg is an XMM register (or, for conversions
// to an integer, a general one), ModRM.rm an XMM register, a general one or memory.
void Decoder::sse(uint8_t op) {
  modrm();
  const unsigned prefix = rep_ == 0xF3 ? 2 : rep_ == 0xF2 ? 3 : opsize_prefix_ ? 1 : 0;
  const bool has_imm = (op >= 0x70 && op <= 0x73) || op == 0xC2 || op == 0xC4 || op == 0xC5 || op == 0xC6;
  if (has_imm) i_.imm = next();
  i_.reg = reg_;
  if (!mem_) i_.rm = rm_;
  Handler fn = select_sse_fp(op, prefix, mem_, rex_w_, has_imm ? static_cast<uint8_t>(i_.imm) : 0);
  if (!fn) fn = select_sse_int(op, prefix, mem_, rex_w_, reg_raw_);
  if (!fn) return unimplemented();  // MMX
  i_.fn = fn;
  if (fn == op_invalid) ends_ = true;
}

// The three-byte maps 0F 38 and 0F 3A (the latter with an imm8): SSSE3, SSE4.1 and SSE4.2 with
// the mandatory prefix 66, and CRC32 (F2 0F 38 F0/F1), whose operands are general registers:
// a byte source (F0; REX gives SPL..DIL, none AH..BH) or a word, dword or qword one (F1, by 66
// and REX.W), into a 32- or 64-bit register.
void Decoder::three_byte(uint8_t map) {
  const uint8_t op = next();
  modrm();
  if (map == 0x3A) i_.imm = next();
  if (map == 0x38 && (op == 0xF0 || op == 0xF1) && rep_ == 0xF2) {
    const unsigned size = op == 0xF0 ? 1 : osize_;
    i_.reg = reg_;
    set_rm_operand(size);
    i_.fn = select_crc32(size, mem_);
    return;
  }
  const unsigned prefix = rep_ == 0xF3 ? 2 : rep_ == 0xF2 ? 3 : opsize_prefix_ ? 1 : 0;
  i_.reg = reg_;
  if (!mem_) i_.rm = rm_;
  const Handler fn = select_sse4(map, op, prefix, mem_, rex_w_);
  if (!fn) return unimplemented();  // MMX forms, and instructions rewind does not have
  i_.fn = fn;
  if (fn == op_invalid) ends_ = true;
}

DecodeInfo Decoder::run() {
  i_ = Insn{};
  i_.base = kZeroReg;
  i_.index = kZeroReg;
  i_.seg = DS;

  osize_ = mode_ == CodeSize::k16 ? 2 : 4;
  asize_ = mode_ == CodeSize::k16 ? kAddr16 : mode_ == CodeSize::k32 ? kAddr32 : kAddr64;

  uint8_t op;
  for (;;) {
    op = next();
    switch (op) {
      case 0x66: opsize_prefix_ = true; rex_ = false; continue;
      case 0x67: addrsize_prefix_ = true; rex_ = false; continue;
      case 0xF0: lock_ = true; rex_ = false; continue;
      case 0xF2:
      case 0xF3: rep_ = op; rex_ = false; continue;
      case 0x26: case 0x2E: case 0x36: case 0x3E:
        if (mode_ != CodeSize::k64) seg_override_ = (op >> 3) & 3;
        rex_ = false;
        continue;
      case 0x64: case 0x65:
        seg_override_ = op - 0x64 + FS;
        rex_ = false;
        continue;
      default: break;
    }
    if (mode_ == CodeSize::k64 && (op & 0xF0) == 0x40) {
      rex_ = true;
      rex_w_ = op & 8;
      rex_r_ = (op & 4) << 1;
      rex_x_ = (op & 2) << 2;
      rex_b_ = (op & 1) << 3;
      continue;
    }
    break;
  }
  if (!rex_) rex_w_ = false, rex_r_ = rex_x_ = rex_b_ = 0;

  if (opsize_prefix_) osize_ = mode_ == CodeSize::k16 ? 4 : 2;
  if (rex_w_) osize_ = 8;
  if (addrsize_prefix_) asize_ = mode_ == CodeSize::k32 ? kAddr16 : kAddr32;
  i_.asize = asize_;
  i_.osize = osize_;
  i_.prefixes = (rep_ == 0xF3 ? prefix::kRep : 0) | (rep_ == 0xF2 ? prefix::kRepne : 0) |
                (lock_ ? prefix::kLock : 0) | (opsize_prefix_ ? prefix::kOpsize : 0) | (rex_ ? prefix::kRex : 0) |
                (rex_w_ ? prefix::kRexW : 0);
  if (seg_override_ >= 0) i_.seg = seg_override_;

  if (op == 0x0F)
    two_byte(next());
  else
    one_byte(op);

  DecodeInfo info;
  if (too_long_) {
    i_.fn = op_gp0;
    ends_ = true;
    pos_ = 15;
  }
  i_.len = pos_;
  if (lock_ && !lock_ok_ && !too_long_) {
    i_.fn = op_invalid;
    ends_ = true;
  }
  uint64_t next_rip = rip_ + pos_;
  if (riprel_) i_.disp += static_cast<int64_t>(next_rip);
  if (rel_) {
    uint64_t target = next_rip + static_cast<uint64_t>(rel_offset_);
    if (mode_ != CodeSize::k64) target &= rel_size_ == 2 ? 0xFFFF : 0xFFFFFFFF;
    i_.imm = target;
  }
  info.ends_trace = ends_;
  info.last_byte_lin = (lin_ + pos_ - 1) & c_.lin_mask;
  info.crosses_page = ((lin_ & c_.lin_mask) >> 12) != (info.last_byte_lin >> 12);
  return info;
}

void Decoder::one_byte(uint8_t op) {
  const bool m64 = mode_ == CodeSize::k64;
  if (op < 0x40 && (op & 7) < 6) return alu_form(static_cast<AluOp>(op >> 3), op & 7);
  switch (op) {
    // PUSH/POP ES, CS, SS, DS (invalid in 64-bit mode)
    case 0x06: case 0x0E: case 0x16: case 0x1E:
      if (m64) return invalid();
      i_.ext = op >> 3;
      i_.fn = select_push_seg(osize_);
      return;
    case 0x07: case 0x17: case 0x1F:
      if (m64) return invalid();
      i_.ext = op >> 3;
      i_.fn = select_pop_seg(osize_);
      ends_ = true;
      return;
    case 0x27: case 0x2F: case 0x37: case 0x3F:  // DAA DAS AAA AAS
      return m64 ? invalid() : unimplemented();
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
      i_.rm = op & 7;
      i_.fn = select_unary(UnaryOp::Inc, osize_, false);
      return;
    case 0x48: case 0x49: case 0x4A: case 0x4B: case 0x4C: case 0x4D: case 0x4E: case 0x4F:
      i_.rm = op & 7;
      i_.fn = select_unary(UnaryOp::Dec, osize_, false);
      return;
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
      i_.reg = (op & 7) | rex_b_;
      i_.osize = osize_default64();
      i_.fn = select_push_reg(i_.osize);
      return;
    case 0x58: case 0x59: case 0x5A: case 0x5B: case 0x5C: case 0x5D: case 0x5E: case 0x5F:
      i_.reg = (op & 7) | rex_b_;
      i_.osize = osize_default64();
      i_.fn = select_pop_reg(i_.osize);
      return;
    case 0x60:
      if (m64) return invalid();
      i_.fn = select_pusha(osize_);
      return;
    case 0x61:
      if (m64) return invalid();
      i_.fn = select_popa(osize_);
      return;
    case 0x62:  // BOUND
      return m64 ? invalid() : unimplemented();
    case 0x63:
      if (m64) {  // MOVSXD Gv, Ed
        modrm();
        set_reg_operand(osize_);
        set_rm_operand(4);
        i_.fn = osize_ == 8 ? select_movx(true, 8, 4, mem_) : select_mov(Form::GE, osize_, mem_);
        return;
      }
      return unimplemented();  // ARPL
    case 0x68:
      i_.osize = osize_default64();
      i_.imm = imm_sized(i_.osize == 8 ? 8 : i_.osize);
      i_.fn = select_push_imm(i_.osize);
      return;
    case 0x6A:
      i_.osize = osize_default64();
      i_.imm = imm8s(i_.osize);
      i_.fn = select_push_imm(i_.osize);
      return;
    case 0x69:
    case 0x6B:
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(osize_);
      i_.imm = op == 0x69 ? imm_sized(osize_) : imm8s(osize_);
      i_.fn = select_imul3(osize_, mem_);
      return;
    case 0x6C: case 0x6D: case 0x6E: case 0x6F: {
      unsigned size = (op & 1) ? (osize_ == 8 ? 4 : osize_) : 1;
      Rep rep = rep_ ? kRepE : kNoRep;
      i_.fn = select_string(op < 0x6E ? StrOp::Ins : StrOp::Outs, size, asize_, rep);
      i_.osize = size;
      ends_ = true;
      return;
    }
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7A: case 0x7B: case 0x7C: case 0x7D: case 0x7E: case 0x7F:
      rel(static_cast<int8_t>(next()));
      rel_size_ = m64 ? 8 : osize_;
      i_.fn = select_jcc(op & 15);  // a side exit: the trace goes on past it
      return;
    case 0x80: case 0x81: case 0x82: case 0x83:
      if (op == 0x82 && m64) return invalid();
      return group1(op);
    case 0x84:
    case 0x85: {
      unsigned size = op == 0x84 ? 1 : osize_;
      modrm();
      set_reg_operand(size);
      set_rm_operand(size);
      i_.osize = size;
      i_.fn = select_alu(AluOp::Test, Form::EG, size, mem_);
      return;
    }
    case 0x86:
    case 0x87: {
      unsigned size = op == 0x86 ? 1 : osize_;
      modrm();
      set_reg_operand(size);
      set_rm_operand(size);
      i_.osize = size;
      i_.fn = select_xchg(size, mem_);
      lock_ok_ = mem_;
      return;
    }
    case 0x88: case 0x89: case 0x8A: case 0x8B: {
      unsigned size = (op & 1) ? osize_ : 1;
      modrm();
      set_reg_operand(size);
      set_rm_operand(size);
      i_.osize = size;
      i_.fn = select_mov(op < 0x8A ? Form::EG : Form::GE, size, mem_);
      return;
    }
    case 0x8C:  // MOV Ev, Sw
      modrm();
      if (reg_raw_ > 5) return invalid();
      i_.reg = reg_raw_;
      set_rm_operand(mem_ ? 2 : osize_);
      i_.fn = select_mov_from_seg(mem_ ? 2 : osize_, mem_);
      return;
    case 0x8D:
      modrm();
      if (!mem_) return invalid();
      set_reg_operand(osize_);
      i_.fn = select_lea(osize_);
      return;
    case 0x8E:  // MOV Sw, Ew
      modrm();
      if (reg_raw_ > 5 || reg_raw_ == CS) return invalid();
      i_.reg = reg_raw_;
      set_rm_operand(2);
      i_.fn = select_mov_to_seg(mem_);
      ends_ = true;
      return;
    case 0x8F:
      modrm();
      if (reg_raw_ != 0) return unimplemented();  // XOP
      i_.osize = osize_default64();
      if (mem_) {
        i_.fn = select_pop_mem(i_.osize);
      } else {
        i_.reg = rm_;
        i_.fn = select_pop_reg(i_.osize);
      }
      return;
    case 0x90:
      if (!rex_b_) {
        i_.fn = op_nop;  // NOP and PAUSE
        return;
      }
      [[fallthrough]];
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
      i_.reg = RAX;
      i_.rm = (op & 7) | rex_b_;
      i_.fn = select_xchg(osize_, false);
      return;
    case 0x98: i_.fn = select_sign_extend_acc(osize_); return;
    case 0x99: i_.fn = select_sign_split_acc(osize_); return;
    case 0x9A:
      if (m64) return invalid();
      i_.imm = osize_ == 2 ? next16() : next32();
      i_.imm2 = next16();
      i_.fn = select_far_ptr(true, osize_);
      ends_ = true;
      return;
    case 0x9B: i_.fn = x87::op_fwait; return;  // FWAIT
    case 0x9C:
      i_.osize = osize_default64();
      i_.fn = select_pushf(i_.osize);
      return;
    case 0x9D:
      i_.osize = osize_default64();
      i_.fn = select_popf(i_.osize);
      ends_ = true;
      return;
    case 0x9E: i_.fn = op_sahf; return;
    case 0x9F: i_.fn = op_lahf; return;
    case 0xA0: case 0xA1: case 0xA2: case 0xA3: {
      unsigned size = (op & 1) ? osize_ : 1;
      mem_ = true;
      i_.base = kZeroReg;
      i_.index = kZeroReg;
      i_.disp = static_cast<int64_t>(asize_ == kAddr64 ? next64() : asize_ == kAddr32 ? next32() : next16());
      i_.seg = seg_override_ >= 0 ? seg_override_ : DS;
      i_.reg = RAX;
      i_.osize = size;
      i_.fn = select_mov(op < 0xA2 ? Form::GE : Form::EG, size, true);
      return;
    }
    case 0xA4: case 0xA5: case 0xA6: case 0xA7: case 0xAA: case 0xAB: case 0xAC: case 0xAD: case 0xAE: case 0xAF: {
      // A4/A5 MOVS, A6/A7 CMPS, (A8/A9 are TEST), AA/AB STOS, AC/AD LODS, AE/AF SCAS
      static constexpr StrOp kOps[] = {StrOp::Movs, StrOp::Cmps, StrOp::Movs, StrOp::Stos, StrOp::Lods, StrOp::Scas};
      unsigned size = (op & 1) ? osize_ : 1;
      StrOp sop = kOps[(op - 0xA4) >> 1];
      Rep rep = kNoRep;
      if (rep_) {
        bool compares = sop == StrOp::Cmps || sop == StrOp::Scas;
        rep = (compares && rep_ == 0xF2) ? kRepNE : kRepE;
      }
      i_.osize = size;
      i_.fn = select_string(sop, size, asize_, rep);
      if (rep) ends_ = true;
      return;
    }
    case 0xA8:
    case 0xA9: {
      unsigned size = op == 0xA8 ? 1 : osize_;
      i_.rm = RAX;
      i_.imm = imm_sized(size);
      i_.osize = size;
      i_.fn = select_alu(AluOp::Test, Form::EI, size, false);
      return;
    }
    case 0xB0: case 0xB1: case 0xB2: case 0xB3: case 0xB4: case 0xB5: case 0xB6: case 0xB7:
      i_.rm = byte_reg((op & 7) | rex_b_);
      i_.imm = next();
      i_.osize = 1;
      i_.fn = select_mov(Form::EI, 1, false);
      return;
    case 0xB8: case 0xB9: case 0xBA: case 0xBB: case 0xBC: case 0xBD: case 0xBE: case 0xBF:
      i_.rm = (op & 7) | rex_b_;
      i_.imm = osize_ == 8 ? next64() : osize_ == 4 ? next32() : next16();
      i_.fn = select_mov(Form::EI, osize_, false);
      return;
    case 0xC0: case 0xC1: case 0xD0: case 0xD1: case 0xD2: case 0xD3:
      return group2(op);
    case 0xC2:
    case 0xC3:
      if (op == 0xC2) i_.imm2 = next16();
      i_.osize = osize_default64();
      i_.fn = select_ret(i_.osize, op == 0xC2);
      ends_ = true;
      return;
    case 0xC4:
    case 0xC5:
      if (m64) return unimplemented();  // VEX
      modrm();
      if (!mem_) return unimplemented();  // VEX in 32-bit mode
      set_reg_operand(osize_);
      i_.ext = op == 0xC4 ? ES : DS;
      i_.fn = select_load_far_pointer(osize_);
      ends_ = true;
      return;
    case 0xC6:
    case 0xC7: {
      unsigned size = op == 0xC6 ? 1 : osize_;
      modrm();
      if (reg_raw_ != 0) return unimplemented();  // XABORT/XBEGIN
      set_rm_operand(size);
      i_.imm = imm_sized(size);
      i_.osize = size;
      i_.fn = select_mov(Form::EI, size, mem_);
      return;
    }
    case 0xC8:
      i_.imm = next16();
      i_.imm2 = next();
      i_.osize = osize_default64();
      i_.fn = select_enter(i_.osize);
      return;
    case 0xC9:
      i_.osize = osize_default64();
      i_.fn = select_leave(i_.osize);
      return;
    case 0xCA:
    case 0xCB:
      if (op == 0xCA) i_.imm2 = next16();
      i_.fn = select_retf(osize_, op == 0xCA);
      ends_ = true;
      return;
    case 0xCC: i_.fn = op_int3; ends_ = true; return;
    case 0xCD: i_.imm = next(); i_.fn = op_int; ends_ = true; return;
    case 0xCE:
      if (m64) return invalid();
      i_.fn = op_into;
      ends_ = true;
      return;
    case 0xCF: i_.fn = select_iret(osize_); ends_ = true; return;
    case 0xD4: case 0xD5: case 0xD6:  // AAM AAD SALC
      if (m64) return invalid();
      if (op != 0xD6) next();
      return unimplemented();
    case 0xD7: i_.seg = seg_override_ >= 0 ? seg_override_ : DS; i_.fn = select_xlat(asize_); return;
    case 0xD8: case 0xD9: case 0xDA: case 0xDB: case 0xDC: case 0xDD: case 0xDE: case 0xDF:
      return x87(op);
    case 0xE0: case 0xE1: case 0xE2:
      rel(static_cast<int8_t>(next()));
      rel_size_ = m64 ? 8 : osize_;
      i_.fn = select_loop(op - 0xE0, asize_);
      return;
    case 0xE3:
      rel(static_cast<int8_t>(next()));
      rel_size_ = m64 ? 8 : osize_;
      i_.fn = select_jcxz(asize_);
      return;
    case 0xE4: case 0xE5: case 0xE6: case 0xE7: case 0xEC: case 0xED: case 0xEE: case 0xEF: {
      unsigned size = (op & 1) ? (osize_ == 8 ? 4 : osize_) : 1;
      bool imm = op < 0xE8;
      if (imm) i_.imm = next();
      i_.osize = size;
      i_.fn = (op & 2) ? select_out(size, imm) : select_in(size, imm);
      ends_ = true;
      return;
    }
    case 0xE8:
      rel(m64 || osize_ == 4 ? static_cast<int32_t>(next32()) : static_cast<int16_t>(next16()));
      rel_size_ = m64 ? 8 : osize_;
      i_.osize = osize_default64();
      i_.fn = select_call(i_.osize);
      ends_ = true;
      return;
    case 0xE9:
      rel(m64 || osize_ == 4 ? static_cast<int32_t>(next32()) : static_cast<int16_t>(next16()));
      rel_size_ = m64 ? 8 : osize_;
      i_.fn = select_jmp();
      ends_ = true;
      return;
    case 0xEA:
      if (m64) return invalid();
      i_.imm = osize_ == 2 ? next16() : next32();
      i_.imm2 = next16();
      i_.fn = select_far_ptr(false, osize_);
      ends_ = true;
      return;
    case 0xEB:
      rel(static_cast<int8_t>(next()));
      rel_size_ = m64 ? 8 : osize_;
      i_.fn = select_jmp();
      ends_ = true;
      return;
    case 0xF1: i_.fn = op_int1; ends_ = true; return;
    case 0xF4: i_.fn = op_hlt; ends_ = true; return;
    case 0xF5: i_.fn = op_cmc; return;
    case 0xF6: case 0xF7: return group3(op);
    case 0xF8: i_.fn = op_clc; return;
    case 0xF9: i_.fn = op_stc; return;
    case 0xFA: i_.fn = op_cli; ends_ = true; return;
    case 0xFB: i_.fn = op_sti; ends_ = true; return;
    case 0xFC: i_.fn = op_cld; return;
    case 0xFD: i_.fn = op_std; return;
    case 0xFE: case 0xFF: return group45(op);
    default: return unimplemented();
  }
}

void Decoder::two_byte(uint8_t op) {
  const bool m64 = mode_ == CodeSize::k64;
  switch (op) {
    case 0x00: return group6();
    case 0x01: return group7();
    case 0x02:
    case 0x03:
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(2);
      i_.fn = select_lar_lsl(op == 0x03, osize_, mem_);
      return;
    case 0x05:
      if (!m64) return invalid();  // SYSCALL is only valid in 64-bit mode on Intel
      i_.fn = op_syscall;
      ends_ = true;
      return;
    case 0x06: i_.fn = op_clts; ends_ = true; return;
    case 0x07:
      if (!m64) return invalid();
      i_.fn = select_sysret(rex_w_ ? 8 : 4);
      ends_ = true;
      return;
    case 0x08: case 0x09: i_.fn = op_wbinvd; return;
    case 0x0B: i_.fn = op_invalid; ends_ = true; return;  // UD2
    case 0x0D:  // prefetch hints
    case 0x18: case 0x19: case 0x1A: case 0x1B: case 0x1C: case 0x1D: case 0x1E: case 0x1F:
      modrm();
      i_.fn = op_nop;
      return;
    case 0x20: case 0x22: {
      modrm();
      i_.rm = rm_;
      unsigned cr = reg_;
      if (cr == 1 || (cr > 4 && cr != 8)) return invalid();
      i_.ext = cr;
      i_.fn = select_mov_cr(op == 0x22);
      ends_ = op == 0x22;
      return;
    }
    case 0x21: case 0x23:
      modrm();
      i_.rm = rm_;
      i_.ext = reg_raw_;
      i_.fn = select_mov_dr(op == 0x23);
      ends_ = op == 0x23;
      return;
    case 0x30: i_.fn = op_wrmsr; ends_ = true; return;
    case 0x31: i_.fn = op_rdtsc; return;
    case 0x32: i_.fn = op_rdmsr; return;
    case 0x34: i_.fn = op_sysenter; ends_ = true; return;
    case 0x35: i_.fn = select_sysexit(rex_w_ ? 8 : 4); ends_ = true; return;
    case 0x38: case 0x3A: return three_byte(op);
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4A: case 0x4B: case 0x4C: case 0x4D: case 0x4E: case 0x4F:
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(osize_);
      i_.fn = select_cmov(op & 15, osize_, mem_);
      return;
    case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
    case 0x88: case 0x89: case 0x8A: case 0x8B: case 0x8C: case 0x8D: case 0x8E: case 0x8F:
      rel(m64 || osize_ == 4 ? static_cast<int32_t>(next32()) : static_cast<int16_t>(next16()));
      rel_size_ = m64 ? 8 : osize_;
      i_.fn = select_jcc(op & 15);
      return;
    case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9A: case 0x9B: case 0x9C: case 0x9D: case 0x9E: case 0x9F:
      modrm();
      set_rm_operand(1);
      i_.fn = select_setcc(op & 15, mem_);
      return;
    case 0xA0: case 0xA8:
      i_.ext = op == 0xA0 ? FS : GS;
      i_.osize = osize_default64();
      i_.fn = select_push_seg(i_.osize);
      return;
    case 0xA1: case 0xA9:
      i_.ext = op == 0xA1 ? FS : GS;
      i_.osize = osize_default64();
      i_.fn = select_pop_seg(i_.osize);
      ends_ = true;
      return;
    case 0xA2: i_.fn = op_cpuid; return;
    case 0xA3: case 0xAB: case 0xB3: case 0xBB:
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(osize_);
      i_.fn = select_bit_test(static_cast<BitOp>((op >> 3) & 3), false, osize_, mem_);
      lock_ok_ = mem_ && op != 0xA3;
      return;
    case 0xA4: case 0xA5: case 0xAC: case 0xAD:
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(osize_);
      if (!(op & 1)) i_.imm = next();
      i_.fn = select_shift_double(op >= 0xAC, (op & 1) ? Count::Cl : Count::Imm, osize_, mem_);
      return;
    case 0xAE: return group15();
    case 0xAF:
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(osize_);
      i_.fn = select_imul2(osize_, mem_);
      return;
    case 0xB0:
    case 0xB1: {
      unsigned size = op == 0xB0 ? 1 : osize_;
      modrm();
      set_reg_operand(size);
      set_rm_operand(size);
      i_.osize = size;
      i_.fn = select_cmpxchg(size, mem_);
      lock_ok_ = mem_;
      return;
    }
    case 0xB2: case 0xB4: case 0xB5:
      modrm();
      if (!mem_) return invalid();
      set_reg_operand(osize_);
      i_.ext = op == 0xB2 ? SS : op == 0xB4 ? FS : GS;
      i_.fn = select_load_far_pointer(osize_);
      ends_ = true;
      return;
    case 0xB6: case 0xB7: case 0xBE: case 0xBF: {
      unsigned src = (op & 1) ? 2 : 1;
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(src);
      i_.fn = select_movx(op >= 0xBE, osize_, src, mem_);
      return;
    }
    case 0xB8:
      if (rep_ != 0xF3) return unimplemented();  // JMPE
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(osize_);
      i_.fn = select_scan(ScanOp::Popcnt, osize_, mem_);
      return;
    case 0xBA:
      modrm();
      if (reg_raw_ < 4) return invalid();
      set_rm_operand(osize_);
      i_.imm = next();
      i_.fn = select_bit_test(static_cast<BitOp>(reg_raw_ - 4), true, osize_, mem_);
      lock_ok_ = mem_ && reg_raw_ != 4;
      return;
    case 0xBC:
    case 0xBD:
      modrm();
      set_reg_operand(osize_);
      set_rm_operand(osize_);
      if (rep_ == 0xF3)
        i_.fn = select_scan(op == 0xBC ? ScanOp::Tzcnt : ScanOp::Lzcnt, osize_, mem_);
      else
        i_.fn = select_scan(op == 0xBC ? ScanOp::Bsf : ScanOp::Bsr, osize_, mem_);
      return;
    case 0xC0:
    case 0xC1: {
      unsigned size = op == 0xC0 ? 1 : osize_;
      modrm();
      set_reg_operand(size);
      set_rm_operand(size);
      i_.osize = size;
      i_.fn = select_xadd(size, mem_);
      lock_ok_ = mem_;
      return;
    }
    case 0xC7:
      modrm();
      if (reg_raw_ == 1 && mem_) {
        i_.fn = select_cmpxchg_double(rex_w_ ? 16 : 8);
        lock_ok_ = true;
        return;
      }
      return unimplemented();  // RDRAND, RDSEED, VMX
    case 0xC8: case 0xC9: case 0xCA: case 0xCB: case 0xCC: case 0xCD: case 0xCE: case 0xCF:
      i_.rm = (op & 7) | rex_b_;
      i_.fn = select_bswap(osize_);
      return;
    case 0xFF:
      return invalid();  // UD0
    case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: case 0x15: case 0x16: case 0x17:
    case 0x28: case 0x29: case 0x2A: case 0x2B: case 0x2C: case 0x2D: case 0x2E: case 0x2F:
    case 0xC2: case 0xC3: case 0xC4: case 0xC5: case 0xC6:
      return sse(op);
    default:
      if ((op >= 0x50 && op <= 0x7F && op != 0x77 && op != 0x78 && op != 0x79) || op >= 0xD0) return sse(op);
      return unimplemented();  // EMMS, VMREAD/VMWRITE, ...
  }
}

}  // namespace

DecodeInfo decode(Cpu& cpu, uint64_t rip, Insn& out) { return Decoder(cpu, rip, out).run(); }

}  // namespace rw::cpu
