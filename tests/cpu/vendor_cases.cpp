#include "vendor_cases.h"

#include <cpuid.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "undefined_table.h"

namespace rw::cputest {
namespace {

using namespace fl;
constexpr int RAX = 0, RCX = 1, RDX = 2, RBX = 3;

Check defined_flags(uint64_t f) { return Check{f}; }

// Sets CL to counts[k] (the rest of RCX stays random).
std::function<void(Regs&, unsigned)> counts(std::vector<unsigned> list) {
  return [list](Regs& s, unsigned k) { s.gpr[RCX] = (s.gpr[RCX] & ~uint64_t{0xFF}) | list[k % list.size()]; };
}

unsigned cl(const Regs& s) { return static_cast<unsigned>(s.gpr[RCX] & 0xFF); }

using VendorModel = std::function<bool(const Regs& in, const Regs& out)>;

uint64_t parity_flag(uint64_t v) { return table::logic_flags(v & 0xFF, 1) & PF; }

// What the AMD hosts we captured do (docs/cpu.md): `flags` is a function of the input
// and the host's own output, and only the `mask` bits are held to it.
VendorModel amd_flags(uint64_t mask, std::function<uint64_t(const Regs& in, const Regs& out)> flags) {
  return [=](const Regs& in, const Regs& out) { return ((out.rflags ^ flags(in, out)) & mask) == 0; };
}

// Shifts and double shifts on AMD: AF set, OF as rewind's table.
VendorModel amd_af_set_of_as_table(std::function<void(const Regs&, Regs&)> table) {
  return amd_flags(AF | OF, [table](const Regs& in, const Regs&) {
    Regs e = in;
    table(in, e);
    return e.rflags | AF;
  });
}

// MUL/IMUL: SF ZF AF PF undefined.
VendorCase multiply(std::string name, Bytes bytes, bool sign, unsigned size, int a, int b) {
  VendorCase c;
  c.name = std::move(name);
  c.row = "MUL IMUL flags";
  c.bytes = std::move(bytes);
  c.check = [](const Regs&) { return defined_flags(OF | CF); };
  c.table = [=](const Regs& in, Regs& e) {
    e.rflags = table::multiply_flags(sign, size, get_op(in, a, size), get_op(in, b, size), in.rflags);
  };
  c.amd = amd_flags(SF | ZF | AF | PF, [](const Regs& in, const Regs&) { return in.rflags; });  // unchanged
  return c;
}

// A shift or rotate of `reg` by CL.
VendorCase shift(std::string name, std::string row, Bytes bytes, unsigned op, unsigned size, std::vector<unsigned> list,
                 uint64_t defined) {
  VendorCase c;
  c.name = std::move(name);
  c.row = std::move(row);
  c.bytes = std::move(bytes);
  c.inputs = counts(std::move(list));
  c.check = [defined](const Regs&) { return defined_flags(defined); };
  c.table = [=](const Regs& in, Regs& e) { e.rflags = table::shift_flags(op, size, get_op(in, RAX, size), cl(in), in.rflags); };
  const unsigned n = 8 * size;
  if (op >= 4) {
    c.amd = amd_af_set_of_as_table(c.table);
  } else if (op == 2) {  // RCL: OF = MSB(result) ^ CF, even for a full-circle count
    c.amd = amd_flags(OF, [size, n](const Regs&, const Regs& out) {
      return (((get_op(out, RAX, size) >> (n - 1)) ^ out.rflags) & 1) ? OF : 0;
    });
  } else if (op == 3) {  // RCR: OF = the top two result bits differ, even for a full-circle count
    c.amd = amd_flags(OF, [size, n](const Regs&, const Regs& out) {
      const uint64_t r = get_op(out, RAX, size);
      return (((r >> (n - 1)) ^ (r >> (n - 2))) & 1) ? OF : 0;
    });
  } else {
    c.amd = amd_flags(OF, [table = c.table](const Regs& in, const Regs&) {
      Regs e = in;
      table(in, e);
      return e.rflags;
    });
  }
  return c;
}

// SHLD/SHRD of AX/EAX/RAX with bits from BX/EBX/RBX by CL.
VendorCase shift_double(std::string name, std::string row, Bytes bytes, bool right, unsigned size, std::vector<unsigned> list) {
  VendorCase c;
  c.name = std::move(name);
  c.row = std::move(row);
  c.bytes = std::move(bytes);
  c.inputs = counts(std::move(list));
  c.check = [size](const Regs& s) {
    if (cl(s) > 8 * size) {
      Check k{0};
      k.undefined[RAX] = size_mask(size);
      return k;
    }
    return defined_flags(SF | ZF | PF | CF);
  };
  c.table = [=](const Regs& in, Regs& e) {
    const table::Outcome o = table::shift_double(right, size, get_op(in, RAX, size), get_op(in, RBX, size), cl(in), in.rflags);
    e.rflags = o.flags;
    set_op(e, RAX, size, o.value);
  };
  // AMD: AF set; OF from the top two result bits (for 64-bit SHRD too, unlike QEMU 7.2).
  // Its 16-bit results for counts above 16 follow no pattern we have documented.
  if (size == 8 && right)
    c.amd = amd_flags(AF | OF, [](const Regs&, const Regs& out) {
      const uint64_t r = out.gpr[RAX];
      return AF | ((((r >> 63) ^ (r >> 62)) & 1) ? OF : 0);
    });
  else if (size != 2)
    c.amd = amd_af_set_of_as_table(c.table);
  return c;
}

// BSF/BSR EAX-sized destination from BX/EBX/RBX.
VendorCase bit_scan(std::string name, std::string row, Bytes bytes, bool reverse, unsigned size, bool zero) {
  VendorCase c;
  c.name = std::move(name);
  c.row = std::move(row);
  c.bytes = std::move(bytes);
  c.inputs = [zero, size](Regs& s, unsigned k) {
    if (zero) set_op(s, RBX, size, 0);
    else if (get_op(s, RBX, size) == 0) set_op(s, RBX, size, uint64_t{1} << (k % (8 * size)));
  };
  c.check = [size](const Regs& s) {
    Check k{ZF};
    if (get_op(s, RBX, size) == 0) k.undefined[RAX] = size == 2 ? 0xFFFF : ~uint64_t{0};
    return k;
  };
  c.table = [=](const Regs& in, Regs& e) {
    const table::Outcome o = table::bit_scan(reverse, size, get_op(in, RBX, size), in.gpr[RAX], in.rflags);
    e.rflags = o.flags;
    e.gpr[RAX] = o.value;
  };
  // AMD: flags as a logic operation on the result index (on zero: ZF PF set), and a
  // zero source leaves all 64 bits of the destination alone.
  c.amd = [size](const Regs& in, const Regs& out) {
    const bool zero = get_op(in, RBX, size) == 0;
    const uint64_t want = zero ? ZF | PF : parity_flag(out.gpr[RAX]);
    return ((out.rflags ^ want) & (OF | SF | AF | PF | CF)) == 0 && (!zero || out.gpr[RAX] == in.gpr[RAX]);
  };
  return c;
}

// A REP string instruction with a 32-bit address size and ECX = 0 (the upper half random).
VendorCase rep_zero(std::string name, Bytes bytes) {
  VendorCase c;
  c.name = std::move(name);
  c.row = "REP count register, 32-bit address size, ECX = 0";
  c.bytes = std::move(bytes);
  c.inputs = [](Regs& s, unsigned) { s.gpr[RCX] &= 0xFFFFFFFF00000000ull; };
  c.check = [](const Regs&) {
    Check k;
    k.undefined[RCX] = 0xFFFFFFFF00000000ull;
    return k;
  };
  c.table = [](const Regs& in, Regs& e) { e.gpr[RCX] = in.gpr[RCX]; };
  c.amd = [](const Regs& in, const Regs& out) { return out.gpr[RCX] == in.gpr[RCX]; };
  // The issue report: "rcx in=555fedb000000000 native=0" on an Intel Xeon.
  c.intel = [](const Regs&, const Regs& out) { return out.gpr[RCX] == 0; };
  return c;
}

std::vector<VendorCase> make_cases() {
  std::vector<VendorCase> v;
  v.push_back(multiply("mul r64", {0x48, 0xF7, 0xE3}, false, 8, RAX, RBX));
  v.push_back(multiply("mul r8", {0xF6, 0xE3}, false, 1, RAX, RBX));
  v.push_back(multiply("imul r32 r32", {0x0F, 0xAF, 0xCB}, true, 4, RCX, RBX));

  for (auto [name, bytes, size] : {std::tuple{"div r64", Bytes{0x48, 0xF7, 0xF3}, 8u}, std::tuple{"idiv r32", Bytes{0xF7, 0xFB}, 4u}}) {
    VendorCase c;
    c.name = name;
    c.row = "DIV IDIV flags";
    c.bytes = bytes;
    const bool sign = c.bytes.back() == 0xFB;
    c.inputs = [size, sign](Regs& s, unsigned k) {
      // No #DE: a divisor of at least 2 and a high half that keeps the quotient in range.
      set_op(s, RBX, size, (get_op(s, RBX, size) >> 1 | 2) & (sign ? size_mask(size) >> 1 : size_mask(size)));
      const bool negative = sign && ((get_op(s, RAX, size) >> (8 * size - 1)) & 1);
      set_op(s, RDX, size, negative ? ~uint64_t{0} : 0);
      if (k == 0) set_op(s, RAX, size, 0);
    };
    c.check = [](const Regs&) { return defined_flags(0); };
    c.table = [](const Regs&, Regs&) {};  // unchanged
    // AMD: OF CF unchanged, SF ZF PF clear, AF set.
    c.amd = amd_flags(kAll, [](const Regs& in, const Regs&) { return (in.rflags & (OF | CF)) | AF; });
    v.push_back(std::move(c));
  }

  for (auto [name, bytes, size] : {std::tuple{"and r32", Bytes{0x21, 0xD8}, 4u}, std::tuple{"xor r8", Bytes{0x30, 0xCB}, 1u},
                                   std::tuple{"test r64", Bytes{0x48, 0x85, 0xD8}, 8u}}) {
    VendorCase c;
    c.name = name;
    c.row = "AND OR XOR TEST AF";
    c.bytes = bytes;
    c.check = [](const Regs&) { return defined_flags(kAll & ~AF); };
    c.table = [](const Regs&, Regs& e) { e.rflags &= ~AF; };
    c.amd = amd_flags(AF, [](const Regs&, const Regs&) { return uint64_t{0}; });
    v.push_back(std::move(c));
  }

  const uint64_t shifted = SF | ZF | PF | CF;
  v.push_back(shift("shl r32", "SHL SHR SAR OF AF", {0xD3, 0xE0}, 4, 4, {2, 3, 7, 17, 31}, shifted));
  v.push_back(shift("shr r32", "SHL SHR SAR OF AF", {0xD3, 0xE8}, 5, 4, {2, 5, 15, 30, 31}, shifted));
  v.push_back(shift("sar r32", "SHL SHR SAR OF AF", {0xD3, 0xF8}, 7, 4, {2, 4, 9, 16, 31}, shifted));
  v.push_back(shift("shl r8 wide", "SHL SHR CF beyond the width", {0xD2, 0xE0}, 4, 1, {8, 9, 12, 16, 31}, SF | ZF | PF));
  v.push_back(shift("shr r16 wide", "SHL SHR CF beyond the width", {0x66, 0xD3, 0xE8}, 5, 2, {16, 17, 20, 24, 31}, SF | ZF | PF));
  const uint64_t rotated = kAll & ~OF;
  v.push_back(shift("rol r32", "ROL ROR RCL RCR OF", {0xD3, 0xC0}, 0, 4, {2, 3, 8, 17, 31}, rotated));
  v.push_back(shift("ror r32", "ROL ROR RCL RCR OF", {0xD3, 0xC8}, 1, 4, {2, 3, 8, 17, 31}, rotated));
  v.push_back(shift("rcl r8", "ROL ROR RCL RCR OF", {0xD2, 0xD0}, 2, 1, {2, 5, 9, 10, 18}, rotated));
  v.push_back(shift("rcr r16", "ROL ROR RCL RCR OF", {0x66, 0xD3, 0xD8}, 3, 2, {2, 7, 17, 18, 31}, rotated));
  v.push_back(shift("rcl r64", "ROL ROR RCL RCR OF", {0x48, 0xD3, 0xD0}, 2, 8, {2, 3, 33, 63, 64}, rotated));

  v.push_back(shift_double("shld r32", "SHLD SHRD OF AF", {0x0F, 0xA5, 0xD8}, false, 4, {2, 3, 16, 31, 30}));
  v.push_back(shift_double("shrd r32", "SHLD SHRD OF AF", {0x0F, 0xAD, 0xD8}, true, 4, {2, 3, 16, 31, 30}));
  v.push_back(shift_double("shrd r64", "SHLD SHRD OF AF", {0x48, 0x0F, 0xAD, 0xD8}, true, 8, {2, 3, 40, 63, 62}));
  v.push_back(shift_double("shld r16 wide", "SHLD SHRD 16-bit, count above 16", {0x66, 0x0F, 0xA5, 0xD8}, false, 2,
                           {17, 20, 24, 31, 16}));
  v.push_back(shift_double("shrd r16 wide", "SHLD SHRD 16-bit, count above 16", {0x66, 0x0F, 0xAD, 0xD8}, true, 2,
                           {17, 20, 24, 31, 16}));

  v.push_back(bit_scan("bsf r32", "BSF BSR flags", {0x0F, 0xBC, 0xC3}, false, 4, false));
  v.push_back(bit_scan("bsr r64", "BSF BSR flags", {0x48, 0x0F, 0xBD, 0xC3}, true, 8, false));
  v.push_back(bit_scan("bsf r32 zero", "BSF BSR zero source", {0x0F, 0xBC, 0xC3}, false, 4, true));
  v.push_back(bit_scan("bsf r16 zero", "BSF BSR zero source", {0x66, 0x0F, 0xBC, 0xC3}, false, 2, true));
  v.push_back(bit_scan("bsr r64 zero", "BSF BSR zero source", {0x48, 0x0F, 0xBD, 0xC3}, true, 8, true));

  for (auto [name, bytes] : {std::pair{"bt r32", Bytes{0x0F, 0xA3, 0xD8}}, std::pair{"bts r64", Bytes{0x48, 0x0F, 0xAB, 0xD8}},
                             std::pair{"btc r32 imm", Bytes{0x0F, 0xBA, 0xF8, 0x05}}}) {
    VendorCase c;
    c.name = name;
    c.row = "BT BTS BTR BTC flags";
    c.bytes = bytes;
    c.check = [](const Regs&) { return defined_flags(CF | ZF); };
    c.table = [](const Regs&, Regs&) {};  // unchanged
    c.amd = amd_flags(OF | SF | AF | PF, [](const Regs& in, const Regs&) { return in.rflags; });
    v.push_back(std::move(c));
  }

  for (auto [name, bytes, size] : {std::tuple{"lzcnt r32", Bytes{0xF3, 0x0F, 0xBD, 0xC3}, 4u},
                                   std::tuple{"lzcnt r16", Bytes{0x66, 0xF3, 0x0F, 0xBD, 0xC3}, 2u}}) {
    VendorCase c;
    c.name = name;
    c.row = "LZCNT flags";
    c.bytes = bytes;
    c.inputs = [size](Regs& s, unsigned k) {
      if (k == 0) set_op(s, RBX, size, 0);
    };
    c.check = [](const Regs&) { return defined_flags(CF | ZF); };
    c.table = [size](const Regs& in, Regs& e) { e.rflags = table::lzcnt_flags(size, get_op(in, RBX, size), in.rflags); };
    // AMD: OF unchanged, SF AF PF clear.
    c.amd = amd_flags(OF | SF | AF | PF, [](const Regs& in, const Regs&) { return in.rflags & OF; });
    v.push_back(std::move(c));
  }

  v.push_back(rep_zero("rep cmpsw down a32", {0xFD, 0x67, 0x66, 0xF3, 0xA7, 0xFC}));  // the case
  v.back().count = 3;
  v.push_back(rep_zero("rep movsb a32", {0x67, 0xF3, 0xA4}));
  v.push_back(rep_zero("rep stosq a32", {0x67, 0xF3, 0x48, 0xAB}));
  v.push_back(rep_zero("repne scasd a32", {0x67, 0xF2, 0xAF}));

  {
    VendorCase c;
    c.name = "bswap r16";
    c.row = "BSWAP r16";
    c.bytes = {0x66, 0x0F, 0xC8};
    c.check = [](const Regs&) {
      Check k;
      k.undefined[RAX] = 0xFFFF;
      return k;
    };
    c.table = [](const Regs&, Regs& e) { e.gpr[RAX] &= ~uint64_t{0xFFFF}; };
    c.amd = [](const Regs& in, const Regs& out) { return out.gpr[RAX] == (in.gpr[RAX] & ~uint64_t{0xFFFF}); };
    v.push_back(std::move(c));
  }
  return v;
}

}  // namespace

const std::vector<VendorCase>& vendor_cases() {
  static const std::vector<VendorCase> cases = make_cases();
  return cases;
}

std::vector<Regs> vendor_case_inputs(const VendorCase& c) {
  uint64_t seed = 0x7AB1E;
  for (char ch : c.name) seed = (seed ^ static_cast<uint8_t>(ch)) * 0x100000001B3ull;
  Rng rng(seed);
  std::vector<Regs> v;
  for (unsigned k = 0; k < kInputsPerCase; ++k) {
    Regs s = random_regs(rng);
    for (unsigned r = 4; r < 16; ++r) s.gpr[r] = 0;
    if (c.inputs) c.inputs(s, k);
    v.push_back(s);
  }
  return v;
}

std::string host_vendor() {
  unsigned a, b, c, d;
  __cpuid(0, a, b, c, d);
  char id[13] = {};
  std::memcpy(id, &b, 4);
  std::memcpy(id + 4, &d, 4);
  std::memcpy(id + 8, &c, 4);
  if (std::strcmp(id, "AuthenticAMD") == 0) return "amd";
  if (std::strcmp(id, "GenuineIntel") == 0) return "intel";
  return "other";
}

std::string host_cpu_name() {
  unsigned regs[12] = {};
  for (unsigned k = 0; k < 3; ++k) __cpuid(0x80000002 + k, regs[4 * k], regs[4 * k + 1], regs[4 * k + 2], regs[4 * k + 3]);
  char name[49] = {};
  std::memcpy(name, regs, 48);
  std::string s = name;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool capture_vendor_results(const std::string& path) {
  const std::string vendor = host_vendor();
  std::vector<std::string> kept;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      // This vendor's rows and its "captured on" note are replaced.
      if (line.rfind(vendor + ",", 0) == 0 || line.rfind("# " + vendor + ": ", 0) == 0) continue;
      kept.push_back(line);
    }
  }
  if (kept.empty()) {
    kept.push_back("# Native results for the table \"Undefined and vendor-dependent results\" in docs/cpu.md.");
    kept.push_back("# Regenerate one vendor's rows on such a host: rewind_cpu_tests --capture-vendor-results <this file>");
    kept.push_back("# vendor,case,bytes,in rax,in rcx,in rdx,in rbx,in flags,out rax,out rcx,out rdx,out rbx,out flags");
  }
  std::ofstream out(path, std::ios::trunc);
  if (!out) return false;
  for (const std::string& line : kept) out << line << "\n";
  out << "# " << vendor << ": captured on " << host_cpu_name() << "\n";
  NativeRunner native;
  char b[64];
  auto hex = [&](uint64_t v) {
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return std::string(b);
  };
  for (const VendorCase& c : vendor_cases()) {
    native.load(c.bytes);
    for (const Regs& in : vendor_case_inputs(c)) {
      Regs o;
      native.run(in, o);
      std::string bytes = hex_bytes(c.bytes);
      out << vendor << "," << c.name << "," << bytes;
      for (int r : kFixtureRegs) out << "," << hex(in.gpr[r]);
      out << "," << hex(in.rflags & (kAll | 0x2));
      for (int r : kFixtureRegs) out << "," << hex(o.gpr[r]);
      out << "," << hex(o.rflags & (kAll | 0x2)) << "\n";
    }
  }
  return static_cast<bool>(out);
}

}  // namespace rw::cputest
