// The CPU's architectural state, described once: snapshots save and restore it and state
// digests hash it through this template (machine/machine_state.cpp), and every field is
// named, so that a divergence report can say "rax" or "cs.base".
//
// Everything in Cpu but its caches and wiring and what the loop reports about its last
// stop. Not the loop's `target` (cpu::run() sets it on entry, and it depends on how a run
// was cut into slices), nor next_rip (a trace's fall-through, meaningless between runs for
// the same reason). RFLAGS goes through `rflags`, materialized from the lazy flags by the
// caller (get_rflags before saving, set_rflags after loading).
#pragma once

#include <cereal/cereal.hpp>

#include <cstdint>
#include <iterator>

#include "cpu/cpu.h"

namespace rw::cpu {

template <class Archive>
void serialize(Archive& ar, Segment& s) {
  ar(cereal::make_nvp("selector", s.selector), cereal::make_nvp("base", s.base), cereal::make_nvp("limit", s.limit),
     cereal::make_nvp("attributes", s.attr));
}

template <class Archive>
void serialize(Archive& ar, TableRegister& t) {
  ar(cereal::make_nvp("base", t.base), cereal::make_nvp("limit", t.limit));
}

template <class Archive>
void serialize(Archive& ar, F80& f) {
  ar(cereal::make_nvp("significand", f.significand), cereal::make_nvp("sign_exponent", f.sign_exponent));
}

template <class Archive>
void architectural_state(Archive& ar, Cpu& c, uint64_t& rflags) {
  using cereal::make_nvp;
  static constexpr const char* kGpr[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  static constexpr const char* kSeg[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
  // Derived from the segments and the mode, kept so that a restore recomputes nothing.
  static constexpr const char* kSegBase[8] = {"es.effective_base", "cs.effective_base", "ss.effective_base",
                                              "ds.effective_base", "fs.effective_base", "gs.effective_base",
                                              "no_segment.effective_base", "unused.effective_base"};
  static constexpr const char* kDr[8] = {"dr0", "dr1", "dr2", "dr3", "dr4", "dr5", "dr6", "dr7"};
  static constexpr const char* kFaultChain[4] = {"fault_chain0", "fault_chain1", "fault_chain2", "fault_chain3"};
  static_assert(std::size(kSegBase) == std::size(Cpu{}.seg_base) && std::size(kDr) == std::size(Cpu{}.dr) &&
                std::size(kFaultChain) == std::size(Cpu{}.fault_chain));

  for (unsigned i = 0; i < 16; ++i) ar(make_nvp(kGpr[i], c.gpr[i]));
  ar(make_nvp("rip", c.rip), make_nvp("rflags", rflags));
  for (unsigned i = 0; i < 6; ++i) ar(make_nvp(kSeg[i], c.seg[i]));
  ar(make_nvp("ldtr", c.ldtr), make_nvp("tr", c.tr), make_nvp("gdtr", c.gdtr), make_nvp("idtr", c.idtr));
  ar(make_nvp("cr0", c.cr0), make_nvp("cr2", c.cr2), make_nvp("cr3", c.cr3), make_nvp("cr4", c.cr4),
     make_nvp("cr8", c.cr8));
  ar(make_nvp("xcr0", c.xcr0));
  for (unsigned i = 0; i < 8; ++i) ar(make_nvp(kDr[i], c.dr[i]));
  ar(make_nvp("efer", c.efer), make_nvp("star", c.star), make_nvp("lstar", c.lstar), make_nvp("cstar", c.cstar),
     make_nvp("sfmask", c.sfmask), make_nvp("kernel_gs_base", c.kernel_gs_base), make_nvp("sysenter_cs", c.sysenter_cs),
     make_nvp("sysenter_esp", c.sysenter_esp), make_nvp("sysenter_eip", c.sysenter_eip), make_nvp("pat", c.pat),
     make_nvp("tsc_aux", c.tsc_aux), make_nvp("apic_base", c.apic_base), make_nvp("tsc_offset", c.tsc_offset));
  static constexpr const char* kXmm[16][2] = {
      {"xmm0.lo", "xmm0.hi"},   {"xmm1.lo", "xmm1.hi"},   {"xmm2.lo", "xmm2.hi"},   {"xmm3.lo", "xmm3.hi"},
      {"xmm4.lo", "xmm4.hi"},   {"xmm5.lo", "xmm5.hi"},   {"xmm6.lo", "xmm6.hi"},   {"xmm7.lo", "xmm7.hi"},
      {"xmm8.lo", "xmm8.hi"},   {"xmm9.lo", "xmm9.hi"},   {"xmm10.lo", "xmm10.hi"}, {"xmm11.lo", "xmm11.hi"},
      {"xmm12.lo", "xmm12.hi"}, {"xmm13.lo", "xmm13.hi"}, {"xmm14.lo", "xmm14.hi"}, {"xmm15.lo", "xmm15.hi"}};
  static constexpr const char* kFpr[8] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};  // physical
  for (unsigned i = 0; i < 16; ++i) ar(make_nvp(kXmm[i][0], c.xmm[i].q[0]), make_nvp(kXmm[i][1], c.xmm[i].q[1]));
  ar(make_nvp("mxcsr", c.mxcsr));
  X87State& x = c.x87;
  ar(make_nvp("fcw", x.fcw), make_nvp("fsw", x.fsw), make_nvp("ftw", x.ftw), make_nvp("fop", x.fop),
     make_nvp("fip", x.fip), make_nvp("fdp", x.fdp), make_nvp("fcs", x.fcs), make_nvp("fds", x.fds));
  for (unsigned i = 0; i < 8; ++i) ar(make_nvp(kFpr[i], x.regs[i]));
  ar(make_nvp("cpl", c.cpl), make_nvp("code_size", c.code_size), make_nvp("linear_mask", c.lin_mask));
  for (unsigned i = 0; i < 8; ++i) ar(make_nvp(kSegBase[i], c.seg_base[i]));
  ar(make_nvp("icount", c.icount), make_nvp("halted", c.halted), make_nvp("intr", c.intr),
     make_nvp("interrupt_shadow_until", c.interrupt_shadow_until), make_nvp("unimplemented_count", c.unimplemented_count));
  for (unsigned i = 0; i < 4; ++i) ar(make_nvp(kFaultChain[i], c.fault_chain[i]));
  ar(make_nvp("fault_chain_len", c.fault_chain_len), make_nvp("fault_rip", c.fault_rip));
}

}  // namespace rw::cpu
