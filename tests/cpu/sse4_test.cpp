// Differential tests of SSE3, SSSE3, SSE4.1 and SSE4.2 on XMM registers, and CRC32 (issue 16),
// as sse_test.cpp does for SSE and SSE2: every form runs on the host CPU and in the emulator
// with the same edge-biased inputs and must agree bit for bit (XMM0-15, MXCSR, GPRs, flags,
// the data window, and the exception: #XM, #GP for a misaligned operand of an aligned form,
// #UD). Register and memory forms, with and without REX (REX.W where it selects a form),
// immediates that cover each field the instruction has (all 128 meaningful ones for the
// string compares) and some reserved bits. The string compares get strings made to match
// (a small alphabet, substrings, ranges), embedded zero bytes and words, and for the explicit
// forms lengths in RAX and RDX that are negative, beyond 16, or have garbage above EAX.
//
// What the host cannot show (Sse4Exception below): the SSE state unavailable (CR0.TS, CR0.EM,
// CR4.OSFXSR) for every form, CRC32 needing none, the MMX forms of SSSE3 staying #UD, CPUID.
#include <gtest/gtest.h>

#include <cstring>
#include <iterator>

#include "cpu/fault.h"
#include "sse_forms.h"

namespace rw::cputest {
namespace {

// Iterations per form: the whole file runs in about a second on a 2-core machine.
constexpr unsigned kIters = 400;

// 66 0F 38 op xmm, xmm/m (aligned m128 unless said otherwise).
Sse op38(const char* name, uint8_t opcode, Lanes lanes = Lanes::Int, unsigned mem = 16, bool aligned = true) {
  Sse s{name, 0x66, opcode, 'x', 'x', kReg | kMem, lanes, mem, aligned};
  s.map = 0x38;
  return s;
}

// 66 0F 3A op xmm, xmm/m, imm8.
Sse op3a(const char* name, uint8_t opcode, std::vector<unsigned> imms, Lanes lanes = Lanes::Int, unsigned mem = 16,
         bool aligned = true) {
  Sse s{name, 0x66, opcode, 'x', 'x', kReg | kMem, lanes, mem, aligned, std::move(imms)};
  s.map = 0x3A;
  return s;
}

std::vector<unsigned> with_random(std::vector<unsigned> fixed, unsigned random, Rng& r) {
  for (unsigned k = 0; k < random; ++k) fixed.push_back(static_cast<unsigned>(r.below(256)));
  return fixed;
}

// --- SSE3 ---

std::vector<Form> sse3_forms() {
  Builder b("sse3");
  b.add({
      {"ADDSUBPD", 0x66, 0xD0, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"ADDSUBPS", 0xF2, 0xD0, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"HADDPD", 0x66, 0x7C, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"HADDPS", 0xF2, 0x7C, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"HSUBPD", 0x66, 0x7D, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"HSUBPS", 0xF2, 0x7D, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"MOVSLDUP", 0xF3, 0x12, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"MOVSHDUP", 0xF3, 0x16, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"MOVDDUP", 0xF2, 0x12, 'x', 'x', kReg | kMem, Lanes::F64, 8},
      {"LDDQU", 0xF2, 0xF0, 'x', 'x', kMem, Lanes::Int, 16},
  });
  return std::move(b.forms());
}

TEST(Sse4Diff, Sse3) { run_group("SSE3", sse3_forms(), 2 * kIters); }

// --- SSSE3 ---

std::vector<Form> ssse3_forms() {
  Builder b("ssse3");
  b.add({op38("PSHUFB", 0x00), op38("PHADDW", 0x01), op38("PHADDD", 0x02), op38("PHADDSW", 0x03),
         op38("PMADDUBSW", 0x04), op38("PHSUBW", 0x05), op38("PHSUBD", 0x06), op38("PHSUBSW", 0x07),
         op38("PSIGNB", 0x08), op38("PSIGNW", 0x09), op38("PSIGND", 0x0A), op38("PMULHRSW", 0x0B),
         op38("PABSB", 0x1C), op38("PABSW", 0x1D), op38("PABSD", 0x1E)});
  b.reg_variants = 2;
  b.mem_variants = 1;
  b.add(op3a("PALIGNR", 0x0F, with_random({0, 1, 4, 8, 15, 16, 17, 24, 31, 32, 33, 0xFF}, 3, b.rng())));
  return std::move(b.forms());
}

TEST(Sse4Diff, Ssse3) { run_group("SSSE3", ssse3_forms(), kIters); }

// --- SSE4.1 and SSE4.2 integer operations ---

std::vector<Form> sse41_integer_forms() {
  Builder b("sse41-integer");
  b.add({op38("PMULDQ", 0x28), op38("PCMPEQQ", 0x29), op38("PACKUSDW", 0x2B), op38("PCMPGTQ", 0x37),
         op38("PMINSB", 0x38), op38("PMINSD", 0x39), op38("PMINUW", 0x3A), op38("PMINUD", 0x3B),
         op38("PMAXSB", 0x3C), op38("PMAXSD", 0x3D), op38("PMAXUW", 0x3E), op38("PMAXUD", 0x3F),
         op38("PMULLD", 0x40), op38("PHMINPOSUW", 0x41), op38("PTEST", 0x17)});
  // PMOVSX, PMOVZX: the low 8, 4 or 2 bytes of the source, any alignment.
  const std::pair<const char*, unsigned> widths[] = {{"BW", 8}, {"BD", 4}, {"BQ", 2}, {"WD", 8}, {"WQ", 4}, {"DQ", 8}};
  for (unsigned k = 0; k < 6; ++k) {
    b.add(op38(("PMOVSX" + std::string(widths[k].first)).c_str(), static_cast<uint8_t>(0x20 + k), Lanes::Int, widths[k].second, false));
    b.add(op38(("PMOVZX" + std::string(widths[k].first)).c_str(), static_cast<uint8_t>(0x30 + k), Lanes::Int, widths[k].second, false));
  }
  Sse movntdqa = op38("MOVNTDQA", 0x2A);
  movntdqa.forms = kMem;
  b.mem_variants = 4;
  b.add(movntdqa);
  return std::move(b.forms());
}

TEST(Sse4Diff, Integer) { run_group("SSE4.1 and SSE4.2 integer operations", sse41_integer_forms(), kIters); }

// Blends by an immediate or by XMM0, MPSADBW.
std::vector<Form> blend_forms() {
  Builder b("sse41-blend");
  Rng& r = b.rng();
  b.reg_variants = 2;
  b.mem_variants = 1;
  b.add({op3a("BLENDPS", 0x0C, with_random({0x0, 0x5, 0xA, 0xF, 0xF0, 0x3C}, 2, r), Lanes::F32),
         op3a("BLENDPD", 0x0D, {0, 1, 2, 3, 0xFC, 0x81}, Lanes::F64),
         op3a("PBLENDW", 0x0E, with_random({0x00, 0xFF, 0x55, 0x81}, 3, r)),
         op3a("MPSADBW", 0x42, {0, 1, 2, 3, 4, 5, 6, 7, 0xF8, 0xFF})});
  b.reg_variants = 3;
  b.mem_variants = 2;
  for (Sse s : {op38("PBLENDVB", 0x10), op38("BLENDVPS", 0x14, Lanes::F32), op38("BLENDVPD", 0x15, Lanes::F64)}) {
    s.xmm0 = true;
    b.add(s);
  }
  return std::move(b.forms());
}

TEST(Sse4Diff, Blend) { run_group("SSE4.1 blends, MPSADBW", blend_forms(), kIters); }

// Inserts and extracts: general registers (REX.W: PINSRQ, PEXTRQ; ignored by the others, or a
// 64-bit destination zero-extended) and memory of the lane's size, any alignment.
std::vector<Form> insert_extract_forms() {
  Builder b("sse41-insert-extract");
  Rng& r = b.rng();
  b.reg_variants = 2;
  b.mem_variants = 1;
  auto gpr_form = [](const char* name, uint8_t opcode, unsigned mem, std::vector<unsigned> imms) {
    Sse s{name, 0x66, opcode, 'x', 'g', kReg | kMem, Lanes::Int, mem, false, std::move(imms), true};
    s.map = 0x3A;
    return s;
  };
  b.add({gpr_form("PEXTRB", 0x14, 1, {0, 5, 15, 16, 0xFF}), gpr_form("PEXTRW", 0x15, 2, {0, 3, 7, 8, 0xFF}),
         gpr_form("PEXTRD/PEXTRQ", 0x16, 0, {0, 1, 2, 3, 4, 0xFF}), gpr_form("EXTRACTPS", 0x17, 4, {0, 1, 2, 3, 4, 0xFF}),
         gpr_form("PINSRB", 0x20, 1, {0, 7, 15, 16, 0xFF}), gpr_form("PINSRD/PINSRQ", 0x22, 0, {0, 1, 2, 3, 4, 0xFF})});
  b.add(op3a("INSERTPS", 0x21, with_random({0x00, 0xFF, 0xC0, 0x30, 0x0F, 0x4A, 0xB5}, 5, r), Lanes::F32, 4, false));
  return std::move(b.forms());
}

TEST(Sse4Diff, InsertExtract) { run_group("SSE4.1 inserts and extracts", insert_extract_forms(), kIters); }

// --- SSE4.1 floating point: ROUNDxx (under MXCSR), DPPS, DPPD ---

std::vector<Form> sse41_float_forms() {
  Builder b("sse41-float");
  Rng& r = b.rng();
  b.reg_variants = 2;
  b.mem_variants = 1;
  // Every rounding control (imm8[3:0]) and some reserved bits above.
  std::vector<unsigned> round;
  for (unsigned k = 0; k < 16; ++k) round.push_back(k);
  for (unsigned k : {0x10u, 0x3Cu, 0xF9u, 0xFFu}) round.push_back(k);
  b.add({op3a("ROUNDPS", 0x08, round, Lanes::F32), op3a("ROUNDPD", 0x09, round, Lanes::F64),
         op3a("ROUNDSS", 0x0A, round, Lanes::F32, 4, false), op3a("ROUNDSD", 0x0B, round, Lanes::F64, 8, false)});
  b.reg_variants = 3;
  b.mem_variants = 2;
  b.add({op3a("DPPS", 0x40, with_random({0xFF, 0xF1, 0x31, 0x7F, 0x00, 0x0F, 0xF0, 0x55, 0xAA, 0x1F, 0xE2}, 5, r), Lanes::F32),
         op3a("DPPD", 0x41, with_random({0x33, 0x31, 0x13, 0x00, 0x11, 0x22, 0x3F, 0xCC, 0xFF}, 3, r), Lanes::F64)});
  return std::move(b.forms());
}

TEST(Sse4Diff, Float) { run_group("SSE4.1 ROUNDPS ROUNDPD ROUNDSS ROUNDSD DPPS DPPD", sse41_float_forms(), kIters); }

// --- SSE4.2 string compares ---

// A string operand: characters from a small alphabet (so that they match), or random bytes;
// now and then a zero byte or a zero word (the end of an implicit-length string).
void string_operand(uint8_t* p, Rng& r) {
  static constexpr uint8_t kAlphabet[] = {'a', 'b', 'c', 'z', 0x80, 0xFF, 0x7F, 0x01};
  const unsigned kind = static_cast<unsigned>(r.below(8));
  const unsigned letters = kind == 1 ? 2 : kind < 4 ? 4 : 8;
  for (unsigned k = 0; k < 16; ++k) p[k] = kind == 0 ? static_cast<uint8_t>(r.next()) : kAlphabet[r.below(letters)];
  if (r.chance(3)) return;
  const unsigned at = static_cast<unsigned>(r.below(16));
  p[at] = 0;
  if (r.chance(2)) p[at ^ 1] = 0;
  if (r.chance(4)) p[r.below(16)] = 0;  // and another
}

// The other operand of a compare: another string, the same one changed a little or shifted
// (a substring at another place), or ranges (pairs low, high).
void related_operand(uint8_t* p, const uint8_t* other, Rng& r) {
  switch (r.below(5)) {
    case 0: string_operand(p, r); break;
    case 1:
      std::memcpy(p, other, 16);
      for (unsigned n = static_cast<unsigned>(r.below(3)); n > 0; --n) p[r.below(16)] = static_cast<uint8_t>(r.chance(2) ? 'a' : r.next());
      break;
    case 2: {
      const unsigned shift = static_cast<unsigned>(r.below(16));
      for (unsigned k = 0; k < 16; ++k) p[k] = k + shift < 16 ? other[k + shift] : 0;
      if (r.chance(2)) p[r.below(16)] = 0;
      break;
    }
    case 3: {
      for (unsigned k = 0; k < 16; k += 2) {
        uint8_t lo = static_cast<uint8_t>('a' + r.below(26)), hi = static_cast<uint8_t>('a' + r.below(26));
        if (r.chance(5)) lo = static_cast<uint8_t>(r.next()), hi = static_cast<uint8_t>(r.next());
        p[k] = std::min(lo, hi);
        p[k + 1] = std::max(lo, hi);
      }
      if (r.chance(2)) p[2 * r.below(8)] = 0;
      break;
    }
    default: std::memcpy(p, other, 16); break;
  }
}

// An explicit length for RAX or RDX: small, negative, beyond 16, extreme, garbage above EAX.
uint64_t string_length(Rng& r) {
  static constexpr uint64_t kExtremes[] = {0x80000000,         0x7FFFFFFF,         0xFFFFFFFF,           0x8000000000000000,
                                           0x7FFFFFFFFFFFFFFF, 0x100000004,        0xFFFFFFFF00000003,   0xFFFFFFF0,
                                           0xFFFFFFFFFFFFFFF0, 0x80000010,         0xFFFFFFFFFFFFFFEF,   0xFFFFFFF8};
  switch (r.below(8)) {
    case 0: case 1: case 2: return r.below(17);
    case 3: return static_cast<uint64_t>(-static_cast<int64_t>(r.below(20)));
    case 4: return 17 + r.below(8);
    case 5: return kExtremes[r.below(std::size(kExtremes))];
    case 6: return r.below(17) | r.next() << 32;
    default: return r.next();
  }
}

// Inputs for a string compare form: its XMM operands strings (the memory operand one too,
// the register then often a string related to it), and with `lengths` RAX and RDX.
void string_inputs(Form& f, bool lengths) {
  const int d = f.xmm_named[0];
  const int s = f.mem ? -1 : f.xmm_named[1];
  f.fixup = [d, s, lengths](Regs& in, Rng& r) {
    uint8_t a[16], b[16];
    string_operand(a, r);
    related_operand(b, a, r);
    if (r.chance(2)) std::swap(a, b);
    std::memcpy(in.xmm[d].q, a, 16);
    if (s >= 0 && s != d) std::memcpy(in.xmm[s].q, b, 16);
    if (lengths) {
      in.gpr[cpu::RAX] = string_length(r);
      in.gpr[cpu::RDX] = string_length(r);
    }
  };
  if (!f.mem) return;
  f.operand_fixup = [](uint8_t* p, Rng& r) { string_operand(p, r); };
  f.mem_fixup = [d](Regs& in, const uint8_t* operand, uint64_t random) {
    Rng r(random);
    if (r.chance(3)) return;
    uint8_t a[16];
    related_operand(a, operand, r);
    std::memcpy(in.xmm[d].q, a, 16);
  };
}

// PCMPESTRM 60, PCMPESTRI 61, PCMPISTRM 62, PCMPISTRI 63: the index in ECX or the mask in
// XMM0; the explicit forms read RAX and RDX (REX.W: 64-bit); no alignment.
std::vector<Form> string_forms(bool every_imm) {
  Builder b(every_imm ? "sse42-string-imm" : "sse42-string");
  Rng& r = b.rng();
  std::vector<unsigned> imms;
  if (every_imm) {
    for (unsigned k = 0; k < 128; ++k) imms.push_back(k);
    b.reg_variants = 1;
    b.mem_variants = 0;
  } else {
    imms = with_random({0x00, 0x01, 0x04, 0x08, 0x0C, 0x0D, 0x18, 0x1A, 0x3A, 0x40, 0x44, 0x4C, 0x7F, 0x80, 0xC5, 0xFF}, 4, r);
    b.reg_variants = 3;
    b.mem_variants = 2;
  }
  constexpr uint32_t kStringRegs = 1u << cpu::RAX | 1u << cpu::RCX | 1u << cpu::RDX;  // never addresses
  struct Op {
    const char* name;
    uint8_t opcode;
    bool lengths, mask;
  };
  for (const Op& op : {Op{"PCMPESTRM", 0x60, true, true}, Op{"PCMPESTRI", 0x61, true, false}, Op{"PCMPISTRM", 0x62, false, true},
                       Op{"PCMPISTRI", 0x63, false, false}}) {
    Sse s = op3a(op.name, op.opcode, imms, Lanes::Int, 16, false);
    s.xmm0 = op.mask;
    s.avoid = kStringRegs;
    const size_t first = b.forms().size();
    if (op.lengths) {
      // Forms with and without REX.W, by hand: the Builder's `wide` is for GPR operands.
      Builder wide(every_imm ? "sse42-string-imm-w" : "sse42-string-w");
      wide.reg_variants = b.reg_variants;
      wide.mem_variants = b.mem_variants;
      wide.add(s);
      for (Form& f : wide.forms()) {
        // REX.W: 48 or 4x with W set, just before 0F.
        const auto at = std::find(f.bytes.begin(), f.bytes.end(), uint8_t{0x0F});
        if (at != f.bytes.begin() && (at[-1] & 0xF0) == 0x40) {
          if (at[-1] & 8) continue;  // the Builder's own REX.W: the form is in `b` already
          at[-1] |= 8;
        } else {
          f.bytes.insert(at, 0x48);
        }
        f.name += " rex.w";
        b.forms().push_back(std::move(f));
      }
    }
    b.add(s);
    for (size_t k = first; k < b.forms().size(); ++k) string_inputs(b.forms()[k], op.lengths);
  }
  return std::move(b.forms());
}

TEST(Sse4Diff, StringCompareEveryImmediate) {
  run_group("SSE4.2 PCMPESTRI PCMPESTRM PCMPISTRI PCMPISTRM, every imm8[6:0]", string_forms(true), kIters / 4);
}
TEST(Sse4Diff, StringCompare) { run_group("SSE4.2 PCMPESTRI PCMPESTRM PCMPISTRI PCMPISTRM", string_forms(false), kIters); }

// --- CRC32: F2 0F 38 F0 (r/m8) and F1 (r/m16 with 66, r/m32, r/m64 with REX.W) ---

std::vector<Form> crc32_forms() {
  Rng r(group_seed("sse42-crc32"));
  std::vector<Form> v;
  struct Size {
    unsigned src, dst;
    bool extra66;  // a 66 that the byte form ignores
  };
  for (const Size& z : {Size{1, 4, false}, Size{1, 8, false}, Size{1, 4, true}, Size{2, 4, false}, Size{4, 4, false},
                        Size{8, 8, false}}) {
    for (unsigned k = 0; k < 5; ++k) {
      const bool mem = k >= 3, legacy = k == 0 || (k == 3);
      Enc e;
      e.size = z.dst == 8 ? 8 : z.src == 2 || z.extra66 ? 2 : 4;
      e.prefix = {0xF2};
      e.opcode = {0x0F, 0x38, static_cast<uint8_t>(z.src == 1 ? 0xF0 : 0xF1)};
      e.reg = pick(r, 8, legacy);
      Mem m;
      std::string src;
      if (mem) {
        const bool a32 = k == 4 && r.chance(2);
        m = random_operand_address(r, a32, 1u << cpu::RSP | 1u << e.reg, false);
        e.mem = &m;
        e.addr32 = a32;
        src = "m" + std::to_string(8 * z.src) + (a32 ? " a32" : "");
      } else {
        // The byte source: AH..BH without REX, SPL..R15B with it.
        e.rm = pick(r, z.src, legacy && z.dst != 8);
        e.rm_byte = z.src == 1;
        src = reg_name(e.rm, z.src);
      }
      Form f;
      f.name = "CRC32 " + reg_name(e.reg, z.dst) + "," + src + (z.extra66 ? " (66)" : "");
      f.bytes = encode(e);
      if (mem) {
        f.mem = m;
        f.mem_bytes = z.src;
        f.addr32 = e.addr32;
      }
      v.push_back(std::move(f));
    }
  }
  // The prefixes in either order; REX.W over 66.
  for (const Bytes& bytes : {Bytes{0x66, 0xF2, 0x0F, 0x38, 0xF1, 0xC1}, Bytes{0xF2, 0x66, 0x0F, 0x38, 0xF1, 0xC1},
                             Bytes{0x66, 0xF2, 0x48, 0x0F, 0x38, 0xF1, 0xC1}}) {
    Form f;
    f.name = "CRC32 prefixes " + hex_bytes(bytes);
    f.bytes = bytes;
    v.push_back(std::move(f));
  }
  return v;
}

TEST(Sse4Diff, Crc32) { run_group("SSE4.2 CRC32", crc32_forms(), 2 * kIters); }

// --- prefixes, code page boundaries, invalid encodings ---

std::vector<Form> three_byte_prefix_forms() {
  std::vector<Form> v;
  // Across a code page boundary, split after each byte: palignr xmm8, xmm9, 5; pcmpistri xmm1, xmm2, 0x0c.
  for (const Bytes& split : {Bytes{0x66, 0x45, 0x0F, 0x3A, 0x0F, 0xC1, 0x05}, Bytes{0x66, 0x0F, 0x3A, 0x63, 0xCA, 0x0C}}) {
    for (unsigned k = 1; k < split.size(); ++k) {
      Form f = simd_form("[" + hex_bytes(split) + "] across a code page, " + std::to_string(k) + " bytes before it", split, Lanes::Int);
      f.page_split = k;
      f.xmm_named = {1, 2, 8, 9};
      v.push_back(std::move(f));
    }
  }
  // REX not last is ignored; a segment override does nothing; 66 twice.
  struct Case {
    const char* name;
    Bytes bytes;
    bool mem;
  };
  const Case cases[] = {
      {"REX.R 66 PSHUFB (REX ignored)", {0x44, 0x66, 0x0F, 0x38, 0x00, 0xC1}, false},
      {"66 66 PMULLD", {0x66, 0x66, 0x0F, 0x38, 0x40, 0xC1}, false},
      {"66 REX.W PTEST (REX.W ignored)", {0x66, 0x48, 0x0F, 0x38, 0x17, 0xC1}, false},
      {"DS 66 PMOVZXBW [rbx]", {0x3E, 0x66, 0x0F, 0x38, 0x30, 0x03}, true},
      {"66 ES ROUNDPS [rbx], 4", {0x66, 0x26, 0x0F, 0x3A, 0x08, 0x03, 0x04}, true},
  };
  for (const Case& c : cases) {
    Form f = simd_form(c.name, c.bytes, Lanes::F32);
    if (c.mem) simd_operand_at(f, cpu::RBX, 16, 6);
    v.push_back(std::move(f));
  }
  return v;
}

TEST(Sse4Diff, PrefixesAndPages) { run_group("0F 38 and 0F 3A: prefixes and code pages", three_byte_prefix_forms(), kIters); }

// Encodings that are #UD on the host: the new instructions with the wrong prefix, memory-only
// forms with a register, LOCK.
std::vector<Form> invalid_forms() {
  Builder b("sse4-invalid");
  b.reg_variants = 1;
  b.mem_variants = 1;
  b.add({
      {"MOVNTDQA mod=11", 0x66, 0x2A, 'x', 'x', kReg, Lanes::Int, 16, false, {}, false, 0x38},
      {"LDDQU mod=11", 0xF2, 0xF0, 'x', 'x', kReg},
      {"F2 0F 16", 0xF2, 0x16, 'x', 'x', kReg | kMem},
      {"HADDPS without F2", 0, 0x7C, 'x', 'x', kReg | kMem},
      {"F3 0F 7C", 0xF3, 0x7C, 'x', 'x', kReg | kMem},
      {"F3 0F 7D", 0xF3, 0x7D, 'x', 'x', kReg},
      {"0F D0", 0, 0xD0, 'x', 'x', kReg | kMem},
      {"F3 0F D0", 0xF3, 0xD0, 'x', 'x', kReg},
      {"66 0F F0", 0x66, 0xF0, 'x', 'x', kMem},
      {"F3 0F F0", 0xF3, 0xF0, 'x', 'x', kMem},
      {"F3 0F 38 00 (PSHUFB with F3)", 0xF3, 0x00, 'x', 'x', kReg, Lanes::Int, 16, false, {}, false, 0x38},
      {"F2 0F 38 17 (PTEST with F2)", 0xF2, 0x17, 'x', 'x', kReg, Lanes::Int, 16, false, {}, false, 0x38},
      {"F2 0F 3A 0F (PALIGNR with F2)", 0xF2, 0x0F, 'x', 'x', kReg, Lanes::Int, 16, false, {3}, false, 0x3A},
      {"F3 0F 3A 63 (PCMPISTRI with F3)", 0xF3, 0x63, 'x', 'x', kReg, Lanes::Int, 16, false, {3}, false, 0x3A},
  });
  // 66 F2 and F2 66 before a 66 0F 38 form: F2 is the mandatory prefix, the form does not exist.
  for (const Bytes& bytes : {Bytes{0x66, 0xF2, 0x0F, 0x38, 0x00, 0xC1}, Bytes{0xF2, 0x66, 0x0F, 0x38, 0x40, 0xC1}}) {
    Form f = simd_form("F2 with 66 [" + hex_bytes(bytes) + "]", bytes, Lanes::Int);
    b.forms().push_back(std::move(f));
  }
  Builder locked("sse4-lock");
  locked.reg_variants = 1;
  locked.mem_variants = 1;
  locked.add({op38("PSHUFB", 0x00), op3a("PCMPISTRI", 0x63, {0x0C}, Lanes::Int, 16, false), op3a("PEXTRB", 0x14, {1}),
              {"HADDPS", 0xF2, 0x7C, 'x', 'x', kReg | kMem, Lanes::F32, 16, true}});
  for (Form& f : locked.forms()) {
    f.bytes.insert(f.bytes.begin(), 0xF0);
    f.name = "LOCK " + f.name;
    b.forms().push_back(std::move(f));
  }
  for (const Bytes& bytes : {Bytes{0xF0, 0xF2, 0x0F, 0x38, 0xF1, 0x03}, Bytes{0xF0, 0xF2, 0x0F, 0x38, 0xF0, 0xC1}}) {
    Form f = simd_form("LOCK CRC32 [" + hex_bytes(bytes) + "]", bytes, Lanes::Int);
    if (bytes[5] == 0x03) simd_operand_at(f, cpu::RBX);
    b.forms().push_back(std::move(f));
  }
  return std::move(b.forms());
}

TEST(Sse4Diff, InvalidEncodings) { run_group("invalid SSE3-SSE4.2 encodings (#UD)", invalid_forms(), kIters / 8); }

// --- what the host cannot show ---

// With CR0.TS set every new SSE form raises #NM; with CR0.EM set or CR4.OSFXSR clear, #UD;
// before any memory access or SIMD exception, and changing nothing.
TEST(Sse4Exception, UnavailableSseStateFaultsFirst) {
  std::vector<Form> forms;
  for (auto make : {sse3_forms, ssse3_forms, sse41_integer_forms, blend_forms, insert_extract_forms, sse41_float_forms})
    for (Form& f : make()) forms.push_back(std::move(f));
  for (Form& f : string_forms(false)) forms.push_back(std::move(f));
  expect_unavailable_sse_state_faults_first(forms, "sse4-unavailable");
}

// CRC32 is a general-register instruction: it runs whatever CR0.TS, CR0.EM and CR4.OSFXSR say.
TEST(Sse4Exception, Crc32NeedsNoSseState) {
  EmuRunner emu;
  emu.cpu().cr0 |= cpu::cr0::TS | cpu::cr0::EM;
  emu.cpu().cr4 &= ~(cpu::cr4::OSFXSR | cpu::cr4::OSXMMEXCPT);
  struct Case {
    Bytes bytes;
    uint64_t want;  // CRC-32C of "1", "12", "1234", "12345678" (as little-endian values) from 0
  };
  // The reflected CRC-32C (Castagnoli) of the bytes, without the usual pre- and post-inversion.
  auto crc32c = [](uint32_t crc, const uint8_t* p, size_t n) {
    for (size_t k = 0; k < n; ++k) {
      crc ^= p[k];
      for (unsigned bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
    }
    return crc;
  };
  const uint8_t digits[8] = {'1', '2', '3', '4', '5', '6', '7', '8'};
  const Case cases[] = {
      {{0xF2, 0x0F, 0x38, 0xF0, 0xC1}, crc32c(0xFFFFFFFF, digits, 1)},              // crc32 eax, cl
      {{0x66, 0xF2, 0x0F, 0x38, 0xF1, 0xC1}, crc32c(0xFFFFFFFF, digits, 2)},        // crc32 eax, cx
      {{0xF2, 0x0F, 0x38, 0xF1, 0xC1}, crc32c(0xFFFFFFFF, digits, 4)},              // crc32 eax, ecx
      {{0xF2, 0x48, 0x0F, 0x38, 0xF1, 0xC1}, crc32c(0xFFFFFFFF, digits, 8)},        // crc32 rax, rcx
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(hex_bytes(c.bytes));
    Regs in, out;
    in.gpr[cpu::RAX] = 0xAAAAAAAAFFFFFFFFull;  // only the low 32 bits are the CRC
    std::memcpy(&in.gpr[cpu::RCX], digits, 8);
    const uint64_t rip = emu.place(c.bytes);
    EXPECT_EQ(emu.run(rip, 1, in, out), rip + c.bytes.size());
    EXPECT_EQ(out.gpr[cpu::RAX], c.want);
  }
}

// The MMX forms of SSSE3 (no 66) are MMX, which rewind does not have: #UD, nothing changed.
TEST(Sse4Exception, MmxFormsStayUndefined) {
  const Bytes cases[] = {
      {0x0F, 0x38, 0x00, 0xC1},        // pshufb mm0, mm1
      {0x0F, 0x38, 0x04, 0xC1},        // pmaddubsw mm0, mm1
      {0x0F, 0x38, 0x0B, 0x03},        // pmulhrsw mm0, [rbx]
      {0x0F, 0x38, 0x1C, 0xC1},        // pabsb mm0, mm1
      {0x0F, 0x3A, 0x0F, 0xC1, 0x03},  // palignr mm0, mm1, 3
  };
  EmuRunner emu;
  for (const Bytes& b : cases) {
    SCOPED_TRACE(hex_bytes(b));
    Regs in, out;
    in.gpr[cpu::RBX] = EmuRunner::window_address();
    Rng rng(b.size() * 131 + b[2]);
    random_simd(in, rng, Lanes::Int, 0xFFFF);
    EXPECT_EQ(EmuRunner::vector_at(emu.run(emu.place(b), 1, in, out, true)), cpu::vec::UD);
    for (unsigned k = 0; k < 16; ++k) EXPECT_EQ(out.xmm[k], in.xmm[k]) << k;
  }
}

// CPUID leaf 1 reports SSE3, SSSE3, SSE4.1 and SSE4.2 (and POPCNT), not MONITOR, AVX or the
// rest of what rewind does not have.
TEST(Sse4Exception, CpuidReportsTheExtensions) {
  EmuRunner emu;
  Regs in, out;
  in.gpr[cpu::RAX] = 1;
  const Bytes cpuid = {0x0F, 0xA2};
  const uint64_t rip = emu.place(cpuid);
  ASSERT_EQ(emu.run(rip, 1, in, out), rip + 2);
  const uint32_t ecx = static_cast<uint32_t>(out.gpr[cpu::RCX]);
  for (unsigned bit : {0u, 9u, 19u, 20u, 23u}) EXPECT_TRUE((ecx >> bit) & 1) << bit;
  // PCLMULQDQ, MONITOR, FMA, MOVBE, AES, AVX, F16C, RDRAND: not there.
  for (unsigned bit : {1u, 3u, 12u, 22u, 25u, 28u, 29u, 30u}) EXPECT_FALSE((ecx >> bit) & 1) << bit;
}

}  // namespace
}  // namespace rw::cputest
