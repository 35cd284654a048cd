#include "forms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

uint64_t group_seed(const char* group) {
  uint64_t h = test_seed();
  for (const char* p = group; *p; ++p) h = (h ^ static_cast<uint8_t>(*p)) * 0x100000001B3ull;
  return h;
}

void run_group(const char* group, const std::vector<Form>& forms, unsigned iterations) {
  std::printf("%s:\n", group);
  RunStats st = run_forms(forms, iterations, group_seed(group));
  EXPECT_EQ(st.failures, 0u);
  EXPECT_GT(st.cases, 0u);
}

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


Mem random_operand_address(Rng& r, bool a32, uint32_t avoid, bool need_base) {
  for (;;) {
    Mem m = random_mem(r, true);
    auto ok = [&](int x) { return x < 0 || !((avoid >> x) & 1); };
    if (!ok(m.base) || !ok(m.index) || (m.base >= 0 && m.base == m.index)) continue;
    if (a32 && m.base < 0 && m.scale == 0) continue;
    if (need_base && m.base < 0) continue;
    return m;
  }
}

Form simd_form(std::string name, Bytes bytes, Lanes lanes) {
  Form f;
  f.name = std::move(name);
  f.bytes = std::move(bytes);
  f.simd = true;
  f.lanes = lanes;
  f.xmm_named = {0, 1};
  return f;
}

void simd_operand_at(Form& f, int base, unsigned align, unsigned misalign) {
  Mem m;
  m.base = base;
  f.mem = m;
  f.mem_bytes = 16;
  f.mem_align = align;
  f.misalign = misalign;
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
  bool mxcsr = false;
  // x87: the fields that differ, a bit each: 0 FCW, 1 FSW, 2 FTW, 3 FOP, 4 FIP, 5 FDP,
  // 8 + i ST(i).
  uint32_t x87 = 0;
  uint64_t flags_host = 0, flags_table = 0;  // mismatching flag bits
  uint16_t gpr_host = 0, gpr_table = 0;      // mismatching registers
  uint16_t xmm_host = 0, xmm_table = 0;      // mismatching XMM registers
  bool bad() const {
    return end_rip || mem || no_table || mxcsr || x87 || flags_host || flags_table || gpr_host || gpr_table || xmm_host ||
           xmm_table;
  }
};

bool any_bits(const cpu::Xmm& x) { return (x.q[0] | x.q[1]) != 0; }

// Whether a and b differ in the bits of `mask` (or outside them, `outside`).
bool differ(const cpu::Xmm& a, const cpu::Xmm& b, const cpu::Xmm& mask, bool outside) {
  for (unsigned k = 0; k < 2; ++k)
    if ((a.q[k] ^ b.q[k]) & (outside ? ~mask.q[k] : mask.q[k])) return true;
  return false;
}

// Where the x87 pointers are compared, a value that points into the bytes under test or
// into the data window becomes an offset from them (both runs have their own addresses).
struct X87Places {
  uint64_t native_code = 0, emu_code = 0, native_window = 0, emu_window = 0;
};

uint64_t x87_place(uint64_t v, uint64_t code, uint64_t window) {
  if (v - code < EmuRunner::kSlotBytes) return 0xC0DE000000000000ull + (v - code);
  if (v - window < kWindowBytes) return 0xDA7A000000000000ull + (v - window);
  return v;
}

uint32_t judge_x87(const Form& f, const Regs& nin, const Regs& nout, const Regs& eout, const X87Places& at) {
  const X87Regs &n = nout.x87, &e = eout.x87;
  uint32_t bad = 0;
  bad |= (n.fcw != e.fcw) << 0;
  bad |= (n.fsw != e.fsw) << 1;
  bad |= (n.ftw != e.ftw) << 2;
  if ((n.fsw | e.fsw) & x87b::ES) {
    bad |= (n.fop != e.fop) << 3;
    bad |= (x87_place(n.fip, at.native_code, at.native_window) != x87_place(e.fip, at.emu_code, at.emu_window)) << 4;
    if (f.mem || (nin.x87.fsw & x87b::ES))
      bad |= (x87_place(n.fdp, at.native_code, at.native_window) != x87_place(e.fdp, at.emu_code, at.emu_window)) << 5;
  }
  for (unsigned i = 0; i < 8; ++i) bad |= static_cast<uint32_t>(!(n.st[i] == e.st[i])) << (8 + i);
  return bad;
}

Verdict judge(const Form& f, const Check& c, const Regs& nin, const Regs& ein, const Regs& nout, const Regs& eout,
              const Regs& expect, uint16_t addr_regs, const X87Places& at) {
  Verdict v;
  if (f.x87) v.x87 = judge_x87(f, nin, nout, eout, at);
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
  if (f.simd || f.x87) {
    v.mxcsr = nout.mxcsr != eout.mxcsr;
    for (unsigned x = 0; x < 16; ++x) {
      const cpu::Xmm& u = c.xmm_undefined[x];
      has_undefined |= any_bits(u);
      v.xmm_host |= static_cast<uint16_t>(differ(nout.xmm[x], eout.xmm[x], u, true) << x);
      v.xmm_table |= static_cast<uint16_t>((f.table && differ(eout.xmm[x], expect.xmm[x], u, false)) << x);
    }
  }
  v.no_table = has_undefined && !f.table && !f.undefined_unread;
  return v;
}

std::string xmm_string(const cpu::Xmm& x) {
  char b[40];
  std::snprintf(b, sizeof b, "%016llx_%016llx", static_cast<unsigned long long>(x.q[1]), static_cast<unsigned long long>(x.q[0]));
  return b;
}

// What the SIMD state and the memory operand were and became: MXCSR, the XMM registers
// the instruction names, mismatches or changes, and the operand's bytes.
std::string describe_simd(const Form& f, const Check& c, const Regs& nin, const Regs& nout, const Regs& eout, const Regs& expect,
                          const Verdict& v, const uint8_t* operand_in, const uint8_t* operand_native, const uint8_t* operand_emulated) {
  std::string s;
  char b[320];
  std::snprintf(b, sizeof b, "  mxcsr in=%08x native=%08x emulated=%08x%s\n", nin.mxcsr, nout.mxcsr, eout.mxcsr,
                v.mxcsr ? "   <-- MISMATCH with the host" : "");
  s += b;
  for (unsigned x = 0; x < 16; ++x) {
    const bool named = std::find(f.xmm_named.begin(), f.xmm_named.end(), static_cast<int>(x)) != f.xmm_named.end();
    const bool changed = !(nout.xmm[x] == nin.xmm[x]) || !(eout.xmm[x] == nin.xmm[x]);
    const bool bad = ((v.xmm_host | v.xmm_table) >> x) & 1;
    if (!named && !changed && !bad) continue;
    std::string note;
    if (any_bits(c.xmm_undefined[x])) note += " (bits " + xmm_string(c.xmm_undefined[x]) + " from the table: " + xmm_string(expect.xmm[x]) + ")";
    if ((v.xmm_host >> x) & 1) note += "   <-- MISMATCH with the host";
    if ((v.xmm_table >> x) & 1) note += "   <-- MISMATCH with the table";
    std::snprintf(b, sizeof b, "  xmm%-2u in=%s native=%s emulated=%s%s\n", x, xmm_string(nin.xmm[x]).c_str(),
                  xmm_string(nout.xmm[x]).c_str(), xmm_string(eout.xmm[x]).c_str(), note.c_str());
    s += b;
  }
  if (f.mem) {
    const size_t n = std::min<size_t>(f.mem_bytes, 32);
    s += "  memory operand in=" + hex_bytes({operand_in, n}) + "\n                 native=" + hex_bytes({operand_native, n}) +
         "\n               emulated=" + hex_bytes({operand_emulated, n}) + "\n";
  }
  return s;
}

std::string f80_string(const X87Regs::Reg& r) {
  char b[32];
  std::snprintf(b, sizeof b, "%04x:%016llx", r.sign_exponent, static_cast<unsigned long long>(r.significand));
  return b;
}

std::string fsw_string(uint16_t fsw) {
  using namespace x87b;
  static const char* const kNames[] = {"IE", "DE", "ZE", "OE", "UE", "PE", "SF", "ES"};
  std::string s;
  char b[48];
  std::snprintf(b, sizeof b, "%04x [TOP=%u C3..C0=%d%d%d%d", fsw, (fsw >> 11) & 7, !!(fsw & C3), !!(fsw & C2), !!(fsw & C1),
                !!(fsw & C0));
  s = b;
  for (unsigned k = 0; k < 8; ++k)
    if (fsw & (1u << k)) s += std::string(" ") + kNames[k];
  if (fsw & B) s += " B";
  return s + "]";
}

std::string fcw_string(uint16_t fcw) {
  static const char* const kRc[] = {"nearest", "down", "up", "zero"};
  static const char* const kPc[] = {"single", "reserved", "double", "extended"};
  char b[96];
  std::snprintf(b, sizeof b, "%04x [%s, %s, unmasked %02x]", fcw, kRc[(fcw >> 10) & 3], kPc[(fcw >> 8) & 3], ~fcw & 0x3F);
  return b;
}

// The x87 state before and after on both, the differing fields marked.
std::string describe_x87(const Regs& nin, const Regs& nout, const Regs& eout, uint32_t bad) {
  std::string s;
  char b[320];
  auto mark = [&](unsigned bit) { return ((bad >> bit) & 1) ? "   <-- MISMATCH with the host" : ""; };
  const X87Regs &i = nin.x87, &n = nout.x87, &e = eout.x87;
  std::snprintf(b, sizeof b, "  fcw in=%s native=%04x emulated=%04x%s\n", fcw_string(i.fcw).c_str(), n.fcw, e.fcw, mark(0));
  s += b;
  s += "  fsw in=" + fsw_string(i.fsw) + "\n     native=" + fsw_string(n.fsw) + "\n   emulated=" + fsw_string(e.fsw) + mark(1) + "\n";
  std::snprintf(b, sizeof b, "  ftw in=%02x native=%02x emulated=%02x%s\n", i.ftw, n.ftw, e.ftw, mark(2));
  s += b;
  std::snprintf(b, sizeof b, "  fop in=%03x native=%03x emulated=%03x%s\n  fip in=%llx native=%llx emulated=%llx%s\n"
                "  fdp in=%llx native=%llx emulated=%llx%s\n",
                i.fop, n.fop, e.fop, mark(3), static_cast<unsigned long long>(i.fip), static_cast<unsigned long long>(n.fip),
                static_cast<unsigned long long>(e.fip), mark(4), static_cast<unsigned long long>(i.fdp),
                static_cast<unsigned long long>(n.fdp), static_cast<unsigned long long>(e.fdp), mark(5));
  s += b;
  for (unsigned k = 0; k < 8; ++k) {
    std::snprintf(b, sizeof b, "  st%u in=%s%s native=%s%s emulated=%s%s%s\n", k, f80_string(i.st[k]).c_str(), i.empty(k) ? " (empty)" : "",
                  f80_string(n.st[k]).c_str(), n.empty(k) ? " (empty)" : "", f80_string(e.st[k]).c_str(), e.empty(k) ? " (empty)" : "",
                  mark(8 + k));
    s += b;
  }
  return s;
}

std::string describe(const Form& f, const Regs& nin, const Regs& nout, const Regs& eout, const Regs& expect, const Check& c, const Verdict& v, uint64_t end_rip, uint64_t want_rip,
                     uint16_t addr_regs, int native_vector, unsigned operand_off) {
  std::string s;
  char b[320];
  std::snprintf(b, sizeof b, "%s  [%s]\n", f.name.c_str(), hex_bytes(f.bytes).c_str());
  s += b;
  if (native_vector != kNoFault) s += "  the host raised exception vector " + std::to_string(native_vector) + "\n";
  if (v.end_rip) {
    if (native_vector != kNoFault) want_rip = EmuRunner::kHandlerBase + 16 * static_cast<uint64_t>(native_vector) + 1;
    std::snprintf(b, sizeof b, "  emulator ended at rip=%#llx, expected %#llx", static_cast<unsigned long long>(end_rip),
                  static_cast<unsigned long long>(want_rip));
    s += b;
    if (EmuRunner::vector_at(end_rip) != kNoFault) s += " (exception vector " + std::to_string(EmuRunner::vector_at(end_rip)) + ")";
    s += "\n";
  }
  if (v.no_table) s += "  the case has undefined results but the form has no table for them\n";
  for (unsigned r = 0; r < 16; ++r) {
    if (r == cpu::RSP) continue;
    const bool addr = addr_regs & (1u << r);
    // SIMD forms: only the GPRs that matter (addresses, changes, mismatches).
    if ((f.simd || f.x87) && !addr && !c.undefined[r] && !(((v.gpr_host | v.gpr_table) >> r) & 1) && nout.gpr[r] == nin.gpr[r] &&
        eout.gpr[r] == nin.gpr[r])
      continue;
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
  if (v.mem) {
    // Where: the first differing bytes, as offsets from the operand.
    const uint8_t* n = process().native.window();
    const uint8_t* e = process().emu.window();
    unsigned k = 0;
    while (k < kWindowBytes && n[k] == e[k]) ++k;
    const unsigned len = std::min(16u, kWindowBytes - k);
    std::snprintf(b, sizeof b, "  memory window differs from operand%+d: native=%s emulated=%s\n", static_cast<int>(k) - static_cast<int>(operand_off),
                  hex_bytes({n + k, len}).c_str(), hex_bytes({e + k, len}).c_str());
    s += b;
  }
  return s;
}

}  // namespace

RunStats run_forms(const std::vector<Form>& forms, unsigned iterations, uint64_t seed, bool report) {
  Process& p = process();
  Rng rng(seed);
  RunStats st;
  // SIMD forms fault natively (#XM, #GP): catch those for the whole run.
  std::optional<NativeFaultCatcher> catcher;
  if (std::any_of(forms.begin(), forms.end(), [](const Form& f) { return f.simd || f.x87; })) catcher.emplace();
  unsigned printed = 0;
  std::string mismatching;  // a line per form with mismatches
  const auto t0 = std::chrono::steady_clock::now();
  Regs in, nin, ein, nout, eout, expect;  // without SIMD, only their GPRs and RFLAGS are used
  // REWIND_CPU_FORMS=text: only the forms whose name contains it (to look at one closely).
  const char* only = std::getenv("REWIND_CPU_FORMS");
  // REWIND_CPU_REPORT=n: the first n mismatches of every form in detail (default: two of
  // each, twelve in all).
  const char* more = std::getenv("REWIND_CPU_REPORT");
  const unsigned per_form = more ? static_cast<unsigned>(std::atoi(more)) : 2, max_printed = more ? ~0u : 12;
  for (const Form& f : forms) {
    if (only && f.name.find(only) == std::string::npos) continue;
    const bool simd = f.simd || f.x87;
    p.native.load(f.bytes, simd, f.x87);
    const uint64_t rip = p.emu.place(f.emu_bytes.empty() ? f.bytes : f.emu_bytes, f.page_split);
    const uint64_t want_rip = rip + f.bytes.size();
    unsigned form_failures = 0, first_failure = 0;
    uint16_t operands = 0;  // the XMM registers that get edge values
    for (int x : f.xmm_named) operands |= static_cast<uint16_t>(1u << x);
    for (unsigned it = 0; it < iterations; ++it) {
      fill_random_regs(in, rng);
      if (simd) random_simd(in, rng, f.lanes, operands);
      if (f.x87) random_x87(in.x87, rng);
      if (f.fixup) f.fixup(in, rng);
      if (f.skip && f.skip(in)) {
        ++st.skipped;
        continue;
      }
      copy_regs(nin, in, simd);
      copy_regs(ein, in, simd);
      uint16_t addr_regs = 0;
      Operand operand;  // the memory operand's first bytes, for the table
      uint8_t operand_in[32] = {};
      unsigned off = 0;
      if (f.mem) {
        const Mem& m = *f.mem;
        // Operand address: near the page boundary, inside the window with room to reach.
        unsigned lo = static_cast<unsigned>(f.mem_reach), hi = kWindowBytes - f.mem_bytes - f.mem_reach;
        off = kWindowBefore - 40 + static_cast<unsigned>(rng.below(80));
        if (off < lo) off = lo;
        if (off > hi) off = hi;
        off &= ~(f.mem_align - 1);
        if (f.misalign && rng.chance(f.misalign)) {
          const unsigned d = 1 + static_cast<unsigned>(rng.below(f.mem_align - 1));
          off = off + d <= hi ? off + d : off >= f.mem_align ? off - f.mem_align + d : off;
        }
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
        uint8_t* const window = p.native.window();
        if (simd) {
          for (unsigned k = 0; k < kWindowBytes; k += 8) {
            const uint64_t v = rng.next();
            std::memcpy(window + k, &v, 8);
          }
          // Edge values lane by lane at the operand itself, however it is aligned; now
          // and then the value of the instruction's XMM register.
          cpu::Xmm x = random_xmm(rng, f.lanes, 0);
          if (!f.xmm_named.empty() && rng.chance(8)) x = nin.xmm[f.xmm_named[0]];
          std::memcpy(window + off, x.q, std::min(16u, kWindowBytes - off));
        } else {
          for (unsigned k = 0; k < kWindowBytes; k += 8) {
            const uint64_t v = edge_value(rng);
            std::memcpy(window + k, &v, 8);
          }
        }
        if (f.operand_fixup) f.operand_fixup(window + off, rng);
        std::memcpy(p.emu.window(), window, kWindowBytes);
        if (f.mem_fixup) {
          const uint64_t random = rng.next();
          f.mem_fixup(nin, window + off, random);
          f.mem_fixup(ein, window + off, random);
        }
        std::memcpy(operand.q, window + off, std::min(16u, kWindowBytes - off));
        std::memcpy(operand_in, window + off, std::min(32u, kWindowBytes - off));
      }
      const int native_vector = p.native.run(nin, nout);
      const uint64_t end_rip = p.emu.run(rip, f.count, ein, eout, simd, f.x87);
      // Where the emulator should end: after the bytes, or in the handler of the host's
      // exception (its HLT retired or not).
      bool rip_ok = end_rip == want_rip || (f.ends_early && end_rip == want_rip + 1);
      std::string frame_mismatch;  // the exception frame: where the fault was, its error code
      if (native_vector != kNoFault) {
        ++st.faulted;
        if (native_vector >= 0 && native_vector < 32) ++st.by_vector[native_vector];
        const uint64_t handler = EmuRunner::kHandlerBase + 16 * static_cast<uint64_t>(native_vector);
        rip_ok = end_rip == handler || end_rip == handler + 1;
        if (rip_ok) {
          const NativeRunner::Fault n = p.native.last_fault(), e = p.emu.frame(native_vector, eout, rip);
          if (n.offset != e.offset || n.error != e.error)
            frame_mismatch = "  exception frame: native at byte " + std::to_string(n.offset) + " error " + std::to_string(n.error) +
                             ", emulated at byte " + std::to_string(e.offset) + " error " + std::to_string(e.error) + "\n";
        }
      }
      ++st.cases;
      // A fault changes nothing: then all of the state is the host's, undefined parts included.
      const Check c = native_vector != kNoFault ? Check{} : f.check ? f.check(in) : Check{};
      copy_regs(expect, ein, simd);
      if (f.table && native_vector == kNoFault) f.table(ein, operand, expect);
      if (f.vendor_state) f.vendor_state(nin, nout, native_vector, p.native.last_fault().offset);
      const X87Places places{p.native.code_address(), rip, p.native.window_address(), EmuRunner::window_address()};
      Verdict verdict = judge(f, c, nin, ein, nout, eout, expect, addr_regs, places);
      verdict.end_rip = !rip_ok;
      if (f.vendor_operand && native_vector == kNoFault) f.vendor_operand(p.native.window() + off);
      // (Not when the host faulted at the first instruction: nothing was stored.)
      if (f.unchecked_operand && (native_vector == kNoFault || p.native.last_fault().offset > 0)) {
        f.unchecked_operand(nin, p.native.window() + off, true);
        f.unchecked_operand(ein, p.emu.window() + off, false);
      }
      verdict.mem = f.mem && std::memcmp(p.native.window(), p.emu.window(), kWindowBytes) != 0;
      if (!verdict.bad() && frame_mismatch.empty()) continue;
      ++st.failures;
      if (form_failures++ == 0) first_failure = it;
      if (report && printed < max_printed && form_failures <= per_form) {
        ++printed;
        ADD_FAILURE() << "seed " << seed << ", iteration " << it << ":\n"
                      << describe(f, nin, nout, eout, expect, c, verdict, end_rip, want_rip, addr_regs, native_vector, off)
                      << frame_mismatch
                      << (simd ? describe_simd(f, c, nin, nout, eout, expect, verdict, operand_in, p.native.window() + off,
                                               p.emu.window() + off)
                               : "")
                      << (f.x87 ? describe_x87(nin, nout, eout, verdict.x87) : "");
      }
    }
    if (form_failures) {
      char b[96];
      std::snprintf(b, sizeof b, "] %u of %u cases, the first at iteration %u\n", form_failures, iterations, first_failure);
      mismatching += "    " + f.name + " [" + hex_bytes(f.bytes) + b;
    }
  }
  if (!report) return st;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string raised;
  for (unsigned v = 0; v < 32; ++v)
    if (st.by_vector[v]) raised += " " + std::to_string(st.by_vector[v]) + " #" + std::to_string(v);
  std::printf("  %zu forms, %llu cases (%llu skipped as faulting natively, %llu raised an exception natively%s), %llu mismatches, %.2f s\n",
              forms.size(), static_cast<unsigned long long>(st.cases), static_cast<unsigned long long>(st.skipped),
              static_cast<unsigned long long>(st.faulted), raised.empty() ? "" : (":" + raised).c_str(),
              static_cast<unsigned long long>(st.failures), secs);
  if (!mismatching.empty()) std::printf("  forms with mismatches:\n%s", mismatching.c_str());
  return st;
}

}  // namespace rw::cputest
