#include "forms.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace rw::cputest {

uint64_t size_mask(unsigned size) { return size == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1; }

uint64_t get_op(const Regs& s, int spec, unsigned size) {
  if (spec >= kAH) return (s.gpr[spec - kAH] >> 8) & 0xFF;
  return s.gpr[spec] & size_mask(size);
}

void set_op(Regs& s, int spec, unsigned size, uint64_t v) {
  if (spec >= kAH) {
    s.gpr[spec - kAH] = (s.gpr[spec - kAH] & ~uint64_t{0xFF00}) | (v & 0xFF) << 8;
    return;
  }
  const uint64_t m = size_mask(size);
  s.gpr[spec] = (s.gpr[spec] & ~m) | (v & m);
}

namespace {

struct Process {
  NativeRunner native;
  EmuRunner emu;
};

Process& process() {
  static Process p;
  return p;
}

// Sets the address registers of `m` so that the operand is at `target`; returns the
// registers that hold addresses (their values differ between native and emulated).
uint16_t point_at(const Mem& m, Regs& s, uint64_t target, uint64_t index_value) {
  uint16_t regs = 0;
  uint64_t scaled = 0;
  if (m.index >= 0) {
    regs |= 1u << m.index;
    if (m.base < 0) {
      // [index << scale + disp]: the caller made (target - disp) a multiple of 1 << scale.
      s.gpr[m.index] = static_cast<uint64_t>(static_cast<int64_t>(target - static_cast<uint64_t>(int64_t{m.disp})) >> m.scale);
      return regs;
    }
    s.gpr[m.index] = index_value;
    scaled = index_value << m.scale;
  }
  regs |= 1u << m.base;
  s.gpr[m.base] = target - scaled - static_cast<uint64_t>(static_cast<int64_t>(m.disp));
  return regs;
}

// What a case found, register by register: host and table mismatches.
struct Verdict {
  bool end_rip = false;
  bool mem = false;
  bool no_table = false;
  uint64_t flags_host = 0, flags_table = 0;  // mismatching flag bits
  uint16_t gpr_host = 0, gpr_table = 0;      // mismatching registers
  bool bad() const { return end_rip || mem || no_table || flags_host || flags_table || gpr_host || gpr_table; }
};

Verdict judge(const Form& f, const Check& c, const Regs& nin, const Regs& ein, const Regs& nout, const Regs& eout,
              const Regs& expect, uint16_t addr_regs) {
  Verdict v;
  const uint64_t undefined_flags = fl::kAll & ~c.flags;
  bool has_undefined = undefined_flags != 0;
  v.flags_host = (nout.rflags ^ eout.rflags) & c.flags;
  if (f.table) v.flags_table = (eout.rflags ^ expect.rflags) & undefined_flags;
  for (unsigned r = 0; r < 16; ++r) {
    if (r == cpu::RSP) continue;
    const uint64_t u = c.undefined[r];
    has_undefined |= u != 0;
    bool host, table = false;
    if (addr_regs & (1u << r)) {
      host = (nout.gpr[r] - nin.gpr[r]) != (eout.gpr[r] - ein.gpr[r]);
    } else {
      host = ((nout.gpr[r] ^ eout.gpr[r]) & ~u) != 0;
      table = f.table && ((eout.gpr[r] ^ expect.gpr[r]) & u) != 0;
    }
    v.gpr_host |= static_cast<uint16_t>(host << r);
    v.gpr_table |= static_cast<uint16_t>(table << r);
  }
  v.no_table = has_undefined && !f.table && !f.undefined_unread;
  return v;
}

std::string describe(const Form& f, const Regs& nin, const Regs& nout, const Regs& eout, const Regs& expect, const Check& c, const Verdict& v, uint64_t end_rip, uint64_t want_rip,
                     uint16_t addr_regs) {
  std::string s;
  char b[320];
  std::snprintf(b, sizeof b, "%s  [%s]\n", f.name.c_str(), hex_bytes(f.bytes).c_str());
  s += b;
  if (end_rip != want_rip) {
    std::snprintf(b, sizeof b, "  emulator ended at rip=%#llx, expected %#llx", static_cast<unsigned long long>(end_rip),
                  static_cast<unsigned long long>(want_rip));
    s += b;
    if (end_rip >= EmuRunner::kHandlerBase && end_rip < EmuRunner::kHandlerBase + 32 * 16)
      s += " (exception vector " + std::to_string((end_rip - EmuRunner::kHandlerBase) / 16) + ")";
    s += "\n";
  }
  if (v.no_table) s += "  the case has undefined results but the form has no table for them\n";
  for (unsigned r = 0; r < 16; ++r) {
    if (r == cpu::RSP) continue;
    const bool addr = addr_regs & (1u << r);
    std::string note = addr ? " (address)" : "";
    if (c.undefined[r]) {
      std::snprintf(b, sizeof b, " (bits %016llx from the table: %016llx)", static_cast<unsigned long long>(c.undefined[r]),
                    static_cast<unsigned long long>(expect.gpr[r] & c.undefined[r]));
      note += b;
    }
    if ((v.gpr_host >> r) & 1) note += "   <-- MISMATCH with the host";
    if ((v.gpr_table >> r) & 1) note += "   <-- MISMATCH with the table";
    std::snprintf(b, sizeof b, "  %-3s in=%016llx native=%016llx emulated=%016llx%s\n", reg_name(r, 8).c_str(),
                  static_cast<unsigned long long>(nin.gpr[r]), static_cast<unsigned long long>(nout.gpr[r]),
                  static_cast<unsigned long long>(eout.gpr[r]), note.c_str());
    s += b;
  }
  std::snprintf(b, sizeof b, "  flags in=%s native=%s emulated=%s defined=%s table=%s%s%s\n", flags_string(nin.rflags).c_str(),
                flags_string(nout.rflags).c_str(), flags_string(eout.rflags).c_str(), flags_string(c.flags).c_str(),
                f.table ? flags_string(expect.rflags).c_str() : "none", v.flags_host ? "   <-- MISMATCH with the host" : "",
                v.flags_table ? "   <-- MISMATCH with the table" : "");
  s += b;
  if (v.mem) s += "  memory window differs\n";
  return s;
}

}  // namespace

RunStats run_forms(const std::vector<Form>& forms, unsigned iterations, uint64_t seed, bool report) {
  Process& p = process();
  Rng rng(seed);
  RunStats st;
  unsigned printed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const Form& f : forms) {
    p.native.load(f.bytes);
    const uint64_t rip = p.emu.place(f.emu_bytes.empty() ? f.bytes : f.emu_bytes, f.page_split);
    const uint64_t want_rip = rip + f.bytes.size();
    unsigned form_failures = 0;
    for (unsigned it = 0; it < iterations; ++it) {
      Regs in = random_regs(rng);
      if (f.fixup) f.fixup(in, rng);
      if (f.skip && f.skip(in)) {
        ++st.skipped;
        continue;
      }
      Regs nin = in, ein = in;
      uint16_t addr_regs = 0;
      uint64_t operand = 0;  // the memory operand's first bytes, for the table
      if (f.mem) {
        const Mem& m = *f.mem;
        // Operand address: near the page boundary, inside the window with room to reach.
        unsigned lo = static_cast<unsigned>(f.mem_reach), hi = kWindowBytes - f.mem_bytes - f.mem_reach;
        unsigned off = kWindowBefore - 40 + static_cast<unsigned>(rng.below(80));
        if (off < lo) off = lo;
        if (off > hi) off = hi;
        off &= ~(f.mem_align - 1);
        // Without a base, target - disp must be a multiple of 1 << scale (see point_at).
        // Both windows have the same address modulo 4096, so one offset suits both.
        if (m.base < 0)
          off -= static_cast<unsigned>((EmuRunner::window_address() + off - static_cast<uint64_t>(int64_t{m.disp})) &
                                       ((1u << m.scale) - 1));
        const uint64_t index_value = static_cast<uint64_t>(static_cast<int64_t>(rng.below(65)) - 32);
        addr_regs = point_at(m, nin, p.native.window_address() + off, index_value);
        point_at(m, ein, EmuRunner::window_address() + off, index_value);
        if (f.pointer2 >= 0) {
          const unsigned off2 = kWindowBefore - 40 + static_cast<unsigned>(rng.below(80));
          nin.gpr[f.pointer2] = p.native.window_address() + off2;
          ein.gpr[f.pointer2] = EmuRunner::window_address() + off2;
          addr_regs |= 1u << f.pointer2;
        }
        if (f.addr32) {
          // 32-bit addressing ignores the upper halves: fill them with garbage.
          for (unsigned r = 0; r < 16; ++r) {
            if (!(addr_regs & (1u << r))) continue;
            const uint64_t garbage = rng.next() << 32;
            nin.gpr[r] = static_cast<uint32_t>(nin.gpr[r]) | garbage;
            ein.gpr[r] = static_cast<uint32_t>(ein.gpr[r]) | garbage;
          }
        }
        for (unsigned k = 0; k < kWindowBytes; k += 8) {
          const uint64_t v = edge_value(rng);
          std::memcpy(p.native.window() + k, &v, 8);
          std::memcpy(p.emu.window() + k, &v, 8);
        }
        if (f.mem_fixup) {
          const uint64_t random = rng.next();
          f.mem_fixup(nin, p.native.window() + off, random);
          f.mem_fixup(ein, p.native.window() + off, random);
        }
        std::memcpy(&operand, p.emu.window() + off, 8);
      }
      Regs nout, eout;
      p.native.run(nin, nout);
      uint64_t end_rip = p.emu.run(rip, f.count, ein, eout);
      if (f.ends_early && end_rip == want_rip + 1) end_rip = want_rip;
      ++st.cases;
      const Check c = f.check ? f.check(in) : Check{};
      Regs expect = ein;
      if (f.table) f.table(ein, operand, expect);
      Verdict verdict = judge(f, c, nin, ein, nout, eout, expect, addr_regs);
      verdict.end_rip = end_rip != want_rip;
      verdict.mem = f.mem && std::memcmp(p.native.window(), p.emu.window(), kWindowBytes) != 0;
      if (!verdict.bad()) continue;
      ++st.failures;
      ++form_failures;
      if (report && printed < 12 && form_failures <= 2) {
        ++printed;
        ADD_FAILURE() << "seed " << seed << ", iteration " << it << ":\n"
                      << describe(f, nin, nout, eout, expect, c, verdict, end_rip, want_rip, addr_regs);
      }
    }
  }
  if (!report) return st;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  %zu forms, %llu cases (%llu skipped as faulting natively), %llu mismatches, %.2f s\n", forms.size(),
              static_cast<unsigned long long>(st.cases), static_cast<unsigned long long>(st.skipped),
              static_cast<unsigned long long>(st.failures), secs);
  return st;
}

}  // namespace rw::cputest
