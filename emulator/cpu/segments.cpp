#include "cpu/segments.h"

#include "cpu/fault.h"
#include "cpu/mmu.h"

namespace rw::cpu {

namespace {
bool protected_mode(const Cpu& c) { return c.cr0 & cr0::PE; }
}  // namespace

uint64_t read_descriptor(Cpu& c, uint16_t selector, uint8_t vector) {
  const bool ldt = selector & 4;
  uint64_t base = ldt ? c.ldtr.base : c.gdtr.base;
  uint32_t limit = ldt ? c.ldtr.limit : c.gdtr.limit;
  uint32_t offset = selector & ~7u;
  if ((ldt && c.ldtr.selector == 0) || offset + 7 > limit) raise_fault(vector, selector & ~3u);
  return sys_read<uint64_t>(c, (base + offset) & c.lin_mask);
}

uint64_t read_descriptor_high(Cpu& c, uint16_t selector) {
  uint32_t offset = (selector & ~7u) + 8;
  if (offset + 7 > c.gdtr.limit) raise_fault(vec::GP, selector & ~3u);
  return sys_read<uint64_t>(c, c.gdtr.base + offset);
}

Segment segment_from_descriptor(uint16_t selector, uint64_t d) {
  Segment s;
  s.selector = selector;
  s.base = ((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000);
  uint32_t limit = static_cast<uint32_t>((d & 0xFFFF) | ((d >> 32) & 0xF0000));
  if (d & (uint64_t{1} << 55)) limit = (limit << 12) | 0xFFF;
  s.limit = limit;
  s.attr = static_cast<uint16_t>(((d >> 40) & 0xFF) | (((d >> 52) & 0xF) << 12));
  return s;
}

void mark_descriptor_accessed(Cpu& c, uint16_t selector, uint64_t d) {
  if (d & (uint64_t{1} << 40)) return;
  const bool ldt = selector & 4;
  uint64_t base = ldt ? c.ldtr.base : c.gdtr.base;
  sys_write<uint8_t>(c, (base + (selector & ~7u) + 5) & c.lin_mask, static_cast<uint8_t>((d >> 40) | 1));
}

void update_mode(Cpu& c) {
  if (!protected_mode(c))
    c.code_size = CodeSize::k16;
  else if (c.long_mode() && c.seg[CS].long_mode())
    c.code_size = CodeSize::k64;
  else
    c.code_size = c.seg[CS].default_big() ? CodeSize::k32 : CodeSize::k16;
  const bool m64 = c.code_size == CodeSize::k64;
  c.lin_mask = m64 ? ~uint64_t{0} : 0xFFFFFFFF;
  for (unsigned s = ES; s <= GS; ++s) c.seg_base[s] = (m64 && s < FS) ? 0 : c.seg[s].base;
  c.seg_base[6] = c.seg_base[7] = 0;
  c.tlb.set_user(c.cpl == 3);
  ++c.tlb.generation;
}

void set_code_segment(Cpu& c, uint16_t selector, uint64_t descriptor, unsigned cpl) {
  c.seg[CS] = segment_from_descriptor(static_cast<uint16_t>((selector & ~3u) | cpl), descriptor);
  c.cpl = static_cast<uint8_t>(cpl);
  update_mode(c);
}

void load_data_segment(Cpu& c, SegReg reg, uint16_t selector) {
  if (!protected_mode(c)) {
    c.seg[reg].selector = selector;
    c.seg[reg].base = uint64_t{selector} << 4;
    update_mode(c);
    return;
  }
  const unsigned rpl = selector & 3;
  if ((selector & ~3u) == 0) {
    if (reg == SS && !(c.code_size == CodeSize::k64 && c.cpl < 3)) raise_fault(vec::GP, 0);
    Segment null;
    null.selector = selector;
    null.attr = 0;
    null.limit = 0;
    if (reg == SS) null.attr = c.seg[SS].attr & 0x4000;  // keep the stack width in 64-bit mode
    c.seg[reg] = null;
    update_mode(c);
    return;
  }
  uint64_t d = read_descriptor(c, selector);
  Segment s = segment_from_descriptor(selector, d);
  const bool is_code = s.attr & 0x08;
  const bool system = !(s.attr & 0x10);
  const unsigned dpl = s.dpl();
  if (reg == SS) {
    const bool writable_data = !is_code && (s.attr & 0x02);
    if (system || !writable_data || rpl != c.cpl || dpl != c.cpl) raise_fault(vec::GP, selector & ~3u);
    if (!s.present()) raise_fault(vec::SS, selector & ~3u);
  } else {
    const bool readable = !is_code || (s.attr & 0x02);
    const bool conforming_code = is_code && (s.attr & 0x04);
    if (system || !readable) raise_fault(vec::GP, selector & ~3u);
    if (!conforming_code && (dpl < c.cpl || dpl < rpl)) raise_fault(vec::GP, selector & ~3u);
    if (!s.present()) raise_fault(vec::NP, selector & ~3u);
  }
  mark_descriptor_accessed(c, selector, d);
  s.attr |= 1;
  c.seg[reg] = s;
  update_mode(c);
}

}  // namespace rw::cpu
