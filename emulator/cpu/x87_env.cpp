// FNSTENV, FLDENV, FNSAVE, FRSTOR: the x87 environment in its four layouts (16- or 32-bit
// operand size, real or protected mode; Intel SDM vol. 1, figures 8-9 to 8-12), and the full
// tag word they carry.
#include "cpu/handlers.h"
#include "cpu/registers.h"
#include "cpu/x87.h"

namespace rw::cpu {

// 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unsupported), 11 empty; two bits per
// physical register.
uint16_t x87_tag_word(const Cpu& c) {
  uint16_t tags = 0;
  for (unsigned r = 0; r < 8; ++r) {
    unsigned tag;
    const F80& v = c.x87.regs[r];
    const unsigned e = v.sign_exponent & 0x7FFF;
    if (!((c.x87.ftw >> r) & 1))
      tag = 3;
    else if (e == 0)
      tag = v.significand == 0 ? 1 : 2;
    else if (e == 0x7FFF || !(v.significand >> 63))
      tag = 2;
    else
      tag = 0;
    tags |= static_cast<uint16_t>(tag << (2 * r));
  }
  return tags;
}

uint8_t x87_abridged_tags(uint16_t tag_word) {
  uint8_t abridged = 0;
  for (unsigned r = 0; r < 8; ++r)
    if (((tag_word >> (2 * r)) & 3) != 3) abridged |= static_cast<uint8_t>(1u << r);
  return abridged;
}

namespace x87 {
namespace {

bool real_mode(const Cpu& c) { return !(c.cr0 & cr0::PE) || (c.rflags_stored & rflags::VM); }

// The environment as 7 words of `unit` bytes (2 or 4): FCW FSW FTW, then the pointers.
struct Env {
  uint32_t w[7] = {};
};

Env make_env(const Cpu& c, bool wide) {
  const X87State& x = c.x87;
  Env e;
  e.w[0] = x.fcw;
  e.w[1] = x.fsw;
  e.w[2] = x87_tag_word(c);
  const uint32_t fip = static_cast<uint32_t>(x.fip), fdp = static_cast<uint32_t>(x.fdp);
  if (real_mode(c)) {
    const uint32_t ip = fip + (uint32_t{x.fcs} << 4), dp = fdp + (uint32_t{x.fds} << 4);
    e.w[3] = ip & 0xFFFF;
    e.w[4] = (wide ? (ip >> 16) << 12 : ((ip >> 16) & 0xF) << 12) | x.fop;
    e.w[5] = dp & 0xFFFF;
    e.w[6] = wide ? (dp >> 16) << 12 : ((dp >> 16) & 0xF) << 12;
  } else {
    e.w[3] = wide ? fip : fip & 0xFFFF;
    e.w[4] = wide ? x.fcs | uint32_t{x.fop} << 16 : x.fcs;
    e.w[5] = wide ? fdp : fdp & 0xFFFF;
    e.w[6] = x.fds;
  }
  return e;
}

void load_env(Cpu& c, const Env& e, bool wide) {
  X87State& x = c.x87;
  x.fcw = static_cast<uint16_t>(e.w[0]);
  x.fsw = static_cast<uint16_t>(e.w[1]);
  x.ftw = x87_abridged_tags(static_cast<uint16_t>(e.w[2]));
  if (real_mode(c)) {
    x.fip = (e.w[3] & 0xFFFF) | ((e.w[4] >> 12) << 16);
    x.fop = e.w[4] & 0x7FF;
    x.fdp = (e.w[5] & 0xFFFF) | ((e.w[6] >> 12) << 16);
    x.fcs = x.fds = 0;
  } else {
    x.fip = wide ? e.w[3] : e.w[3] & 0xFFFF;
    x.fcs = static_cast<uint16_t>(e.w[4]);
    x.fop = wide ? (e.w[4] >> 16) & 0x7FF : x.fop;
    x.fdp = wide ? e.w[5] : e.w[5] & 0xFFFF;
    x.fds = static_cast<uint16_t>(e.w[6]);
  }
  update_summary(c);
}

template <bool Wide>
uint64_t env_bytes() { return Wide ? 28 : 14; }

template <bool Wide>
void write_env(Cpu& c, uint64_t lin, const Env& e) {
  for (unsigned k = 0; k < 7; ++k) {
    const uint64_t at = (lin + k * (Wide ? 4 : 2)) & c.lin_mask;
    if (Wide)
      mem_write<u32>(c, at, e.w[k]);
    else
      mem_write<u16>(c, at, static_cast<u16>(e.w[k]));
  }
}

template <bool Wide>
Env read_env(Cpu& c, uint64_t lin) {
  Env e;
  for (unsigned k = 0; k < 7; ++k) {
    const uint64_t at = (lin + k * (Wide ? 4 : 2)) & c.lin_mask;
    e.w[k] = Wide ? mem_read<u32>(c, at) : mem_read<u16>(c, at);
  }
  return e;
}

// FNSTENV (then every exception masked), FNSAVE (then as FNINIT).
template <bool Wide, bool Whole>
void store_state(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNoWait);
  const uint64_t lin = linear_address(c, i);
  const uint64_t bytes = env_bytes<Wide>() + (Whole ? 80 : 0);
  probe_write(c, lin, static_cast<unsigned>(bytes));
  write_env<Wide>(c, lin, make_env(c, Wide));
  X87State& x = c.x87;
  if (Whole) {
    for (unsigned k = 0; k < 8; ++k) {
      const uint64_t at = (lin + env_bytes<Wide>() + 10 * k) & c.lin_mask;
      const F80& v = x.regs[phys(c, k)];
      mem_write<u64>(c, at, v.significand);
      mem_write<u16>(c, (at + 8) & c.lin_mask, v.sign_exponent);
    }
    // Then as FNINIT: the control state reset, the registers' contents kept.
    const X87State init;
    x.fcw = init.fcw;
    x.fsw = init.fsw;
    x.ftw = init.ftw;
    x.fop = init.fop;
    x.fip = init.fip;
    x.fdp = init.fdp;
    x.fcs = init.fcs;
    x.fds = init.fds;
    return;
  }
  x.fcw |= sw::kExceptions;
  update_summary(c);
}

// FLDENV, FRSTOR.
template <bool Wide, bool Whole>
void load_state(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kControl);
  const uint64_t lin = linear_address(c, i);
  const Env e = read_env<Wide>(c, lin);
  F80 regs[8];
  if (Whole)
    for (unsigned k = 0; k < 8; ++k) {
      const uint64_t at = (lin + env_bytes<Wide>() + 10 * k) & c.lin_mask;
      regs[k].significand = mem_read<u64>(c, at);
      regs[k].sign_exponent = mem_read<u16>(c, (at + 8) & c.lin_mask);
    }
  load_env(c, e, Wide);
  if (Whole)
    for (unsigned k = 0; k < 8; ++k) c.x87.regs[phys(c, k)] = regs[k];
}

}  // namespace

Handler select_env(bool save, bool whole, unsigned osize) {
  const bool wide = osize != 2;
  if (save) {
    if (whole) return wide ? chain<store_state<true, true>> : chain<store_state<false, true>>;
    return wide ? chain<store_state<true, false>> : chain<store_state<false, false>>;
  }
  if (whole) return wide ? chain<load_state<true, true>> : chain<load_state<false, true>>;
  return wide ? chain<load_state<true, false>> : chain<load_state<false, false>>;
}

}  // namespace x87
}  // namespace rw::cpu
