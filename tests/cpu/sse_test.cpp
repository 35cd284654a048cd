// Differential tests of SSE and SSE2 on XMM registers (issue 15): every form runs on the
// host CPU and on the emulator with the same edge-biased inputs: XMM0-15 lane by lane
// (harness.h: ±0, denormals, NaNs with payloads, infinities, rounding boundaries,
// integer limits), MXCSR with every rounding mode, FTZ and DAZ, sticky flags and
// unmasked exceptions, GPRs, and the memory operand, which may cross a page boundary.
// Everything must agree bit for bit: XMM0-15, MXCSR, GPRs, the arithmetic flags, the
// data window, and the exception when the host raises one (#XM is SIGFPE natively, #GP
// SIGSEGV, #UD SIGILL; the state at the fault must be the same). The aligned forms
// (16-byte operands but MOVUPS, MOVUPD, MOVDQU, MASKMOVDQU) get misaligned operands
// in some cases: #GP(0) on both.
//
// Not compared with the host, because Intel and AMD differ: RCPPS RCPSS RSQRTPS RSQRTSS
// (rewind's rule, sse_reference.h), FXSAVE's MXCSR_MASK and MXCSR's bit 17 (AMD's MM).
// What the host cannot show (SseException below): the SSE state unavailable (CR0.TS,
// CR0.EM, CR4.OSFXSR), and the MMX-register forms, not implemented, which stay #UD.
#include <gtest/gtest.h>

#include <cstring>

#include "cpu/fault.h"
#include "sse_forms.h"
#include "sse_reference.h"

namespace rw::cputest {
namespace {

// Iterations per form (about 1.5 s for the SseDiff tests on a 2-core machine).
constexpr unsigned kIters = 1000;

// --- moves ---

std::vector<Form> moves_forms() {
  Builder b("sse-moves");
  b.add({
      {"MOVUPS", 0, 0x10, 'x', 'x', kReg | kMem, Lanes::F32, 16},
      {"MOVUPD", 0x66, 0x10, 'x', 'x', kReg | kMem, Lanes::F64, 16},
      {"MOVSS", 0xF3, 0x10, 'x', 'x', kReg | kMem, Lanes::F32, 4},
      {"MOVSD", 0xF2, 0x10, 'x', 'x', kReg | kMem, Lanes::F64, 8},
      {"MOVUPS store", 0, 0x11, 'x', 'x', kReg | kMem, Lanes::F32, 16},
      {"MOVUPD store", 0x66, 0x11, 'x', 'x', kReg | kMem, Lanes::F64, 16},
      {"MOVSS store", 0xF3, 0x11, 'x', 'x', kReg | kMem, Lanes::F32, 4},
      {"MOVSD store", 0xF2, 0x11, 'x', 'x', kReg | kMem, Lanes::F64, 8},
      {"MOVHLPS", 0, 0x12, 'x', 'x', kReg, Lanes::F32},
      {"MOVLPS", 0, 0x12, 'x', 'x', kMem, Lanes::F32, 8},
      {"MOVLPD", 0x66, 0x12, 'x', 'x', kMem, Lanes::F64, 8},
      {"MOVLPS store", 0, 0x13, 'x', 'x', kMem, Lanes::F32, 8},
      {"MOVLPD store", 0x66, 0x13, 'x', 'x', kMem, Lanes::F64, 8},
      {"MOVLHPS", 0, 0x16, 'x', 'x', kReg, Lanes::F32},
      {"MOVHPS", 0, 0x16, 'x', 'x', kMem, Lanes::F32, 8},
      {"MOVHPD", 0x66, 0x16, 'x', 'x', kMem, Lanes::F64, 8},
      {"MOVHPS store", 0, 0x17, 'x', 'x', kMem, Lanes::F32, 8},
      {"MOVHPD store", 0x66, 0x17, 'x', 'x', kMem, Lanes::F64, 8},
      {"MOVAPS", 0, 0x28, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"MOVAPD", 0x66, 0x28, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"MOVAPS store", 0, 0x29, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"MOVAPD store", 0x66, 0x29, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"MOVNTPS", 0, 0x2B, 'x', 'x', kMem, Lanes::F32, 16, true},
      {"MOVNTPD", 0x66, 0x2B, 'x', 'x', kMem, Lanes::F64, 16, true},
      {"MOVD/MOVQ xmm,r/m", 0x66, 0x6E, 'x', 'g', kReg | kMem, Lanes::Int, 0, false, {}, true},
      {"MOVDQA", 0x66, 0x6F, 'x', 'x', kReg | kMem, Lanes::Int, 16, true},
      {"MOVDQU", 0xF3, 0x6F, 'x', 'x', kReg | kMem, Lanes::Int, 16},
      {"MOVD/MOVQ r/m,xmm", 0x66, 0x7E, 'x', 'g', kReg | kMem, Lanes::Int, 0, false, {}, true},
      {"MOVQ xmm,xmm/m64", 0xF3, 0x7E, 'x', 'x', kReg | kMem, Lanes::Int, 8},
      {"MOVDQA store", 0x66, 0x7F, 'x', 'x', kReg | kMem, Lanes::Int, 16, true},
      {"MOVDQU store", 0xF3, 0x7F, 'x', 'x', kReg | kMem, Lanes::Int, 16},
      {"MOVQ xmm/m64,xmm", 0x66, 0xD6, 'x', 'x', kReg | kMem, Lanes::Int, 8},
      {"MOVNTDQ", 0x66, 0xE7, 'x', 'x', kMem, Lanes::Int, 16, true},
      {"MOVMSKPS", 0, 0x50, 'g', 'x', kReg, Lanes::F32, 0, false, {}, true},
      {"MOVMSKPD", 0x66, 0x50, 'g', 'x', kReg, Lanes::F64, 0, false, {}, true},
      {"PMOVMSKB", 0x66, 0xD7, 'g', 'x', kReg, Lanes::Int, 0, false, {}, true},
      {"MOVNTI", 0, 0xC3, 'g', 'g', kMem, Lanes::Int, 0, false, {}, true},
  });
  return std::move(b.forms());
}

TEST(SseDiff, Moves) { run_group("SSE moves", moves_forms(), kIters); }

// MASKMOVDQU xmm1, xmm2: the bytes of xmm1 whose byte in xmm2 has its top bit set go to
// [RDI] (EDI with 67): the address is implicit, the ModRM names two registers.
std::vector<Form> masked_store_forms() {
  Builder b("sse-maskmovdqu");
  std::vector<Form> v;
  Rng& r = b.rng();
  for (unsigned k = 0; k < 8; ++k) {
    Enc e;
    e.prefix = {0x66};
    e.opcode = {0x0F, 0xF7};
    e.reg = static_cast<int>(r.below(k < 2 ? 8 : 16));
    e.rm = static_cast<int>(r.below(k < 2 ? 8 : 16));
    const bool a32 = k % 3 == 2;
    e.addr32 = a32;
    Form f = simd_form("MASKMOVDQU xmm" + std::to_string(e.reg) + ",xmm" + std::to_string(e.rm) + (a32 ? " a32" : ""), encode(e),
                       Lanes::Int);
    simd_operand_at(f, cpu::RDI);  // only to point RDI into the window: the encoding has no memory operand
    f.addr32 = a32;
    f.xmm_named = {e.reg, e.rm};
    v.push_back(std::move(f));
  }
  return v;
}

TEST(SseDiff, MaskedStore) { run_group("MASKMOVDQU", masked_store_forms(), 2 * kIters); }

// --- floating-point arithmetic ---

std::vector<Form> float_arithmetic_forms() {
  Builder b("sse-float-arith");
  four_types(b, "ADD", 0x58);
  four_types(b, "MUL", 0x59);
  four_types(b, "SUB", 0x5C);
  four_types(b, "MIN", 0x5D);
  four_types(b, "DIV", 0x5E);
  four_types(b, "MAX", 0x5F);
  four_types(b, "SQRT", 0x51);
  return std::move(b.forms());
}

TEST(SseDiff, FloatArithmetic) { run_group("SSE floating-point arithmetic", float_arithmetic_forms(), kIters); }

std::vector<Form> logic_forms() {
  Builder b("sse-logic");
  const char* const kNames[] = {"AND", "ANDN", "OR", "XOR"};
  for (uint8_t op = 0; op < 4; ++op) {
    b.add({std::string(kNames[op]) + "PS", 0, static_cast<uint8_t>(0x54 + op), 'x', 'x', kReg | kMem, Lanes::F32, 16, true});
    b.add({std::string(kNames[op]) + "PD", 0x66, static_cast<uint8_t>(0x54 + op), 'x', 'x', kReg | kMem, Lanes::F64, 16, true});
  }
  for (const Sse& s : {integer("PAND", 0xDB), integer("PANDN", 0xDF), integer("POR", 0xEB), integer("PXOR", 0xEF)}) b.add(s);
  return std::move(b.forms());
}

TEST(SseDiff, Logic) { run_group("SSE logic", logic_forms(), kIters / 2); }

// --- comparisons ---

std::vector<Form> compare_forms() {
  Builder b("sse-compare");
  b.reg_variants = 2;
  b.mem_variants = 1;
  // All eight predicates, and two with bits 7:3 set (the legacy encoding ignores them).
  four_types(b, "CMP", 0xC2, {0, 1, 2, 3, 4, 5, 6, 7, 0x0B, 0xFC});
  b.reg_variants = 3;
  b.mem_variants = 2;
  b.add({
      {"UCOMISS", 0, 0x2E, 'x', 'x', kReg | kMem, Lanes::F32, 4},
      {"UCOMISD", 0x66, 0x2E, 'x', 'x', kReg | kMem, Lanes::F64, 8},
      {"COMISS", 0, 0x2F, 'x', 'x', kReg | kMem, Lanes::F32, 4},
      {"COMISD", 0x66, 0x2F, 'x', 'x', kReg | kMem, Lanes::F64, 8},
  });
  return std::move(b.forms());
}

TEST(SseDiff, Compare) { run_group("SSE comparisons", compare_forms(), kIters); }

// --- conversions ---

std::vector<Form> convert_forms() {
  Builder b("sse-convert");
  b.add({
      {"CVTSI2SS", 0xF3, 0x2A, 'x', 'g', kReg | kMem, Lanes::F32, 0, false, {}, true},
      {"CVTSI2SD", 0xF2, 0x2A, 'x', 'g', kReg | kMem, Lanes::F64, 0, false, {}, true},
      {"CVTTSS2SI", 0xF3, 0x2C, 'g', 'x', kReg | kMem, Lanes::F32, 4, false, {}, true},
      {"CVTTSD2SI", 0xF2, 0x2C, 'g', 'x', kReg | kMem, Lanes::F64, 8, false, {}, true},
      {"CVTSS2SI", 0xF3, 0x2D, 'g', 'x', kReg | kMem, Lanes::F32, 4, false, {}, true},
      {"CVTSD2SI", 0xF2, 0x2D, 'g', 'x', kReg | kMem, Lanes::F64, 8, false, {}, true},
      {"CVTPS2PD", 0, 0x5A, 'x', 'x', kReg | kMem, Lanes::F32, 8},
      {"CVTPD2PS", 0x66, 0x5A, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"CVTSS2SD", 0xF3, 0x5A, 'x', 'x', kReg | kMem, Lanes::F32, 4},
      {"CVTSD2SS", 0xF2, 0x5A, 'x', 'x', kReg | kMem, Lanes::F64, 8},
      {"CVTDQ2PS", 0, 0x5B, 'x', 'x', kReg | kMem, Lanes::Int, 16, true},
      {"CVTPS2DQ", 0x66, 0x5B, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"CVTTPS2DQ", 0xF3, 0x5B, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"CVTTPD2DQ", 0x66, 0xE6, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"CVTDQ2PD", 0xF3, 0xE6, 'x', 'x', kReg | kMem, Lanes::Int, 8},
      {"CVTPD2DQ", 0xF2, 0xE6, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
  });
  return std::move(b.forms());
}

TEST(SseDiff, Convert) { run_group("SSE conversions", convert_forms(), kIters); }

// --- shuffles, unpacks, inserts and extracts ---

std::vector<Form> shuffle_forms() {
  Builder b("sse-shuffle");
  Rng& r = b.rng();
  auto imms = [&](std::vector<unsigned> fixed, unsigned random) {
    for (unsigned k = 0; k < random; ++k) fixed.push_back(static_cast<unsigned>(r.below(256)));
    return fixed;
  };
  b.add({
      {"UNPCKLPS", 0, 0x14, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"UNPCKLPD", 0x66, 0x14, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
      {"UNPCKHPS", 0, 0x15, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"UNPCKHPD", 0x66, 0x15, 'x', 'x', kReg | kMem, Lanes::F64, 16, true},
  });
  b.reg_variants = 2;
  b.mem_variants = 1;
  b.add({
      {"SHUFPS", 0, 0xC6, 'x', 'x', kReg | kMem, Lanes::F32, 16, true, imms({0x00, 0x1B, 0xE4, 0xFF}, 3)},
      {"SHUFPD", 0x66, 0xC6, 'x', 'x', kReg | kMem, Lanes::F64, 16, true, imms({0, 1, 2, 3}, 2)},
      {"PSHUFD", 0x66, 0x70, 'x', 'x', kReg | kMem, Lanes::Int, 16, true, imms({0x00, 0x1B, 0xE4, 0xFF}, 3)},
      {"PSHUFHW", 0xF3, 0x70, 'x', 'x', kReg | kMem, Lanes::Int, 16, true, imms({0x00, 0x1B, 0xE4}, 3)},
      {"PSHUFLW", 0xF2, 0x70, 'x', 'x', kReg | kMem, Lanes::Int, 16, true, imms({0x00, 0x1B, 0xE4}, 3)},
      // PINSRW xmm, r32/m16 (REX.W ignored), PEXTRW r32/r64, xmm (zero-extended): the
      // word index is imm8 & 7.
      {"PINSRW", 0x66, 0xC4, 'x', 'g', kReg | kMem, Lanes::Int, 2, false, imms({0, 7, 8, 0xFF}, 2), true},
      {"PEXTRW", 0x66, 0xC5, 'g', 'x', kReg, Lanes::Int, 0, false, imms({0, 7, 8, 0xFF}, 2), true},
  });
  return std::move(b.forms());
}

TEST(SseDiff, Shuffle) { run_group("SSE shuffles, unpacks, PINSRW, PEXTRW", shuffle_forms(), kIters); }

// --- SSE2 integer operations ---

std::vector<Form> integer_forms() {
  Builder b("sse-integer");
  const std::pair<const char*, uint8_t> ops[] = {
      {"PUNPCKLBW", 0x60}, {"PUNPCKLWD", 0x61}, {"PUNPCKLDQ", 0x62},  {"PACKSSWB", 0x63},   {"PCMPGTB", 0x64},
      {"PCMPGTW", 0x65},   {"PCMPGTD", 0x66},   {"PACKUSWB", 0x67},   {"PUNPCKHBW", 0x68},  {"PUNPCKHWD", 0x69},
      {"PUNPCKHDQ", 0x6A}, {"PACKSSDW", 0x6B},  {"PUNPCKLQDQ", 0x6C}, {"PUNPCKHQDQ", 0x6D}, {"PCMPEQB", 0x74},
      {"PCMPEQW", 0x75},   {"PCMPEQD", 0x76},   {"PADDQ", 0xD4},      {"PMULLW", 0xD5},     {"PSUBUSB", 0xD8},
      {"PSUBUSW", 0xD9},   {"PMINUB", 0xDA},    {"PADDUSB", 0xDC},    {"PADDUSW", 0xDD},    {"PMAXUB", 0xDE},
      {"PAVGB", 0xE0},     {"PAVGW", 0xE3},     {"PMULHUW", 0xE4},    {"PMULHW", 0xE5},     {"PSUBSB", 0xE8},
      {"PSUBSW", 0xE9},    {"PMINSW", 0xEA},    {"PADDSB", 0xEC},     {"PADDSW", 0xED},     {"PMAXSW", 0xEE},
      {"PMULUDQ", 0xF4},   {"PMADDWD", 0xF5},   {"PSADBW", 0xF6},     {"PSUBB", 0xF8},      {"PSUBW", 0xF9},
      {"PSUBD", 0xFA},     {"PSUBQ", 0xFB},     {"PADDB", 0xFC},      {"PADDW", 0xFD},      {"PADDD", 0xFE},
  };
  for (const auto& [name, opcode] : ops) b.add(integer(name, opcode));
  return std::move(b.forms());
}

TEST(SseDiff, Integer) { run_group("SSE2 integer operations", integer_forms(), kIters); }

std::vector<Form> shifts_forms() {
  Builder b("sse-shifts");
  // By the low quadword of an XMM register or of memory (Lanes::Count: often small).
  const std::pair<const char*, uint8_t> by_xmm[] = {{"PSRLW", 0xD1}, {"PSRLD", 0xD2}, {"PSRLQ", 0xD3}, {"PSRAW", 0xE1},
                                                    {"PSRAD", 0xE2}, {"PSLLW", 0xF1}, {"PSLLD", 0xF2}, {"PSLLQ", 0xF3}};
  for (const auto& [name, opcode] : by_xmm) b.add(integer(name, opcode, Lanes::Count));
  // By an immediate: 66 0F 71 (words), 72 (dwords), 73 (quadwords, and bytes: PSRLDQ PSLLDQ).
  struct Group {
    const char* name;
    uint8_t opcode;
    char digit;
    std::vector<unsigned> counts;
  };
  const std::vector<unsigned> w = {0, 1, 7, 15, 16, 17, 255}, d = {0, 1, 16, 31, 32, 33, 200}, q = {0, 1, 32, 63, 64, 65, 128};
  const std::vector<unsigned> dq = {0, 1, 7, 8, 15, 16, 17, 255};
  const Group groups[] = {{"PSRLW", 0x71, '2', w}, {"PSRAW", 0x71, '4', w},  {"PSLLW", 0x71, '6', w},
                          {"PSRLD", 0x72, '2', d}, {"PSRAD", 0x72, '4', d},  {"PSLLD", 0x72, '6', d},
                          {"PSRLQ", 0x73, '2', q}, {"PSRLDQ", 0x73, '3', dq}, {"PSLLQ", 0x73, '6', q},
                          {"PSLLDQ", 0x73, '7', dq}};
  b.reg_variants = 2;
  for (const Group& g : groups) b.add({g.name, 0x66, g.opcode, g.digit, 'x', kReg, Lanes::Int, 16, false, g.counts});
  return std::move(b.forms());
}

TEST(SseDiff, Shifts) { run_group("SSE2 shifts", shifts_forms(), kIters); }

// --- RCP and RSQRT: rewind's rule, not the host's (vendors differ) ---

std::vector<Form> reciprocal_forms() {
  Builder b("sse-reciprocal");
  b.add({
      {"RSQRTPS", 0, 0x52, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"RSQRTSS", 0xF3, 0x52, 'x', 'x', kReg | kMem, Lanes::F32, 4},
      {"RCPPS", 0, 0x53, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
      {"RCPSS", 0xF3, 0x53, 'x', 'x', kReg | kMem, Lanes::F32, 4},
  });
  for (Form& f : b.forms()) {
    const bool root = f.name.rfind("RSQRT", 0) == 0;
    const unsigned lanes = f.name.find("PS ") != std::string::npos ? 4 : 1;
    const int dst = f.xmm_named[0];
    const int src = f.mem ? -1 : f.xmm_named[1];
    f.check = [dst, lanes](const Regs&) {
      Check c;
      c.xmm_undefined[dst].q[0] = lanes == 4 ? ~uint64_t{0} : 0xFFFFFFFF;
      c.xmm_undefined[dst].q[1] = lanes == 4 ? ~uint64_t{0} : 0;
      return c;
    };
    f.table = [dst, src, lanes, root](const Regs& in, const Operand& operand, Regs& e) {
      const uint64_t* s = src >= 0 ? in.xmm[src].q : operand.q;
      for (unsigned k = 0; k < lanes; ++k) {
        const auto x = static_cast<uint32_t>(s[k / 2] >> (32 * (k % 2)));
        const uint64_t y = sse_reference::reciprocal(x, in.mxcsr, root);
        uint64_t& q = e.xmm[dst].q[k / 2];
        q = (q & ~(uint64_t{0xFFFFFFFF} << (32 * (k % 2)))) | y << (32 * (k % 2));
      }
    };
  }
  return std::move(b.forms());
}

TEST(SseDiff, ReciprocalsFollowRewindsRule) { run_group("RCPPS RCPSS RSQRTPS RSQRTSS (rewind's rule)", reciprocal_forms(), kIters); }

// --- MXCSR ---

// An MXCSR with a reserved bit set in one case in `one_in` (#GP(0) for LDMXCSR and
// FXRSTOR). Never bit 17: AMD hosts with misaligned SSE mode accept it (MM), Intel
// refuses it; rewind refuses it (SseException.MxcsrReservedBitsFollowRewindsMask).
uint32_t mxcsr_maybe_reserved(Rng& r, unsigned one_in) {
  uint32_t v = random_mxcsr(r);
  if (r.chance(one_in)) {
    unsigned bit;
    do bit = 16 + static_cast<unsigned>(r.below(16));
    while (bit == 17);
    v |= uint32_t{1} << bit;
  }
  return v;
}

void mxcsr_image(uint8_t* operand, Rng& r) {
  const uint32_t v = mxcsr_maybe_reserved(r, 4);
  std::memcpy(operand, &v, 4);
}

std::vector<Form> mxcsr_forms() {
  Builder b("sse-mxcsr");
  b.mem_variants = 4;
  b.add({{"LDMXCSR", 0, 0xAE, '2', 'x', kMem, Lanes::F32, 4}, {"STMXCSR", 0, 0xAE, '3', 'x', kMem, Lanes::F32, 4}});
  for (Form& f : b.forms())
    if (f.name.rfind("LDMXCSR", 0) == 0) f.operand_fixup = mxcsr_image;
  return std::move(b.forms());
}

TEST(SseDiff, Mxcsr) { run_group("LDMXCSR STMXCSR", mxcsr_forms(), kIters); }

// --- FXSAVE FXRSTOR ---

// A valid FXSAVE image that both vendors restore alike: FCW without its reserved bits,
// FSW's exception flags only where FCW masks them (no pending x87 exception: AMD
// recomputes ES and B), FOP FIP FDP CS DS zero (AMD restores them only with ES set),
// reserved bytes zero; random x87 registers, tags, XMM0-15; a random MXCSR, with a
// reserved bit set (#GP) in one case in six. Bytes 464-511 are software's: neither
// instruction touches them, they stay as the window has them.
void fxsave_image(uint8_t* p, Rng& r) {
  std::memset(p, 0, 464);
  const auto fcw = static_cast<uint16_t>((r.next() & 0x1F3F) | 0x40);
  auto fsw = static_cast<uint16_t>((r.next() & 0x7F00) | (r.next() & fcw & 0x3F));
  if (fcw & 1) fsw |= static_cast<uint16_t>(r.next() & 0x40);  // SF, with IE masked
  std::memcpy(p, &fcw, 2);
  std::memcpy(p + 2, &fsw, 2);
  p[4] = static_cast<uint8_t>(r.next());
  const uint32_t mxcsr = mxcsr_maybe_reserved(r, 6);
  const uint32_t mask = static_cast<uint32_t>(r.next());
  std::memcpy(p + 24, &mxcsr, 4);
  std::memcpy(p + 28, &mask, 4);  // MXCSR_MASK: FXRSTOR ignores it
  for (unsigned k = 0; k < 8; ++k) {
    const uint64_t significand = r.next();
    const auto sign_exponent = static_cast<uint16_t>(r.next());
    std::memcpy(p + 32 + 16 * k, &significand, 8);
    std::memcpy(p + 40 + 16 * k, &sign_exponent, 2);
  }
  for (unsigned k = 0; k < 16; ++k) {
    const cpu::Xmm x = random_xmm(r, static_cast<Lanes>(r.below(4)), 0);
    std::memcpy(p + 160 + 16 * k, x.q, 16);
  }
}

std::vector<Form> fxsave_fxrstor_forms() {
  std::vector<Form> v;
  Rng r(group_seed("sse-fxsave"));
  struct Op {
    const char* name;
    std::vector<unsigned> digits;  // FXRSTOR /1, FXSAVE /0, in order
  };
  const Op ops[] = {{"FXSAVE", {0}}, {"FXRSTOR", {1}}, {"FXRSTOR;FXSAVE", {1, 0}}};
  for (const Op& op : ops)
    for (unsigned size : {4u, 8u})
      for (unsigned k = 0; k < 3; ++k) {
        Mem m;
        m.base = k == 0 ? cpu::RBX : pick(r, 8, false);
        m.disp = k == 2 ? static_cast<int32_t>(r.below(256)) - 128 : 0;
        Form f;
        f.name = std::string(op.name) + (size == 8 ? "64" : "") + " [" + reg_name(m.base, 8) + "+" + std::to_string(m.disp) + "]";
        for (unsigned digit : op.digits) {
          Enc e;
          e.size = size;
          e.opcode = {0x0F, 0xAE};
          e.reg = static_cast<int>(digit);
          e.reg_digit = true;
          e.mem = &m;
          const Bytes one = encode(e);
          f.bytes.insert(f.bytes.end(), one.begin(), one.end());
        }
        f.count = static_cast<unsigned>(op.digits.size());
        f.simd = true;
        f.mem = m;
        f.mem_bytes = 464;  // what FXSAVE writes, across the window's page boundary
        f.mem_align = 16;
        f.misalign = 8;
        f.operand_fixup = fxsave_image;
        // The host's MXCSR_MASK is its vendor's: rewind's instead (sse_reference.h).
        if (op.digits.back() == 0)
          f.vendor_operand = [](uint8_t* operand) { std::memcpy(operand + 28, &sse_reference::kMxcsrMask, 4); };
        v.push_back(std::move(f));
      }
  return v;
}

TEST(SseDiff, FxsaveFxrstor) { run_group("FXSAVE FXRSTOR", fxsave_fxrstor_forms(), kIters); }

// --- prefixes around the mandatory one ---

// A REX that is not last before the opcode is ignored; 66 with F3 or F2 is the F3 or F2
// form; segment overrides of CS DS ES SS do nothing in 64-bit mode; an instruction may
// cross a code page.
std::vector<Form> prefix_order_forms() {
  struct Case {
    const char* name;
    Bytes bytes;
    bool mem;    // [rbx]
    bool aligned;
    Lanes lanes;
  };
  const Case cases[] = {
      {"REX.RB F3 ADDSS (REX ignored)", {0x45, 0xF3, 0x0F, 0x58, 0xC1}, false, false, Lanes::F32},
      {"REX.W 66 MOVD xmm0,eax (REX.W ignored)", {0x48, 0x66, 0x0F, 0x6E, 0xC0}, false, false, Lanes::Int},
      {"REX.B 66 PADDD (REX ignored)", {0x41, 0x66, 0x0F, 0xFE, 0xC1}, false, false, Lanes::Int},
      {"F3 REX MOVSS (bare REX)", {0xF3, 0x40, 0x0F, 0x10, 0xC1}, false, false, Lanes::F32},
      {"66 F3 ADDSS", {0x66, 0xF3, 0x0F, 0x58, 0xC1}, false, false, Lanes::F32},
      {"F3 66 ADDSS", {0xF3, 0x66, 0x0F, 0x58, 0xC1}, false, false, Lanes::F32},
      {"66 F2 MOVSD", {0x66, 0xF2, 0x0F, 0x10, 0xC1}, false, false, Lanes::F64},
      {"F2 66 CVTSD2SS", {0xF2, 0x66, 0x0F, 0x5A, 0xC1}, false, false, Lanes::F64},
      {"66 66 PADDD", {0x66, 0x66, 0x0F, 0xFE, 0xC1}, false, false, Lanes::Int},
      {"CS ADDPS [rbx]", {0x2E, 0x0F, 0x58, 0x03}, true, true, Lanes::F32},
      {"DS 66 MOVDQA [rbx]", {0x3E, 0x66, 0x0F, 0x6F, 0x03}, true, true, Lanes::Int},
      {"66 ES MOVUPD [rbx]", {0x66, 0x26, 0x0F, 0x10, 0x03}, true, false, Lanes::F64},
      {"F3 SS REX.W CVTSI2SS xmm0,[rbx]", {0xF3, 0x36, 0x48, 0x0F, 0x2A, 0x03}, true, false, Lanes::Int},
  };
  std::vector<Form> v;
  for (const Case& c : cases) {
    Form f = simd_form(c.name, c.bytes, c.lanes);
    if (c.mem) simd_operand_at(f, cpu::RBX, c.aligned ? 16 : 1, c.aligned ? 6 : 0);
    v.push_back(std::move(f));
  }
  // Across a code page boundary, split after each byte.
  const Bytes split = {0x66, 0x45, 0x0F, 0xC6, 0xC1, 0x1B};  // shufpd xmm8, xmm9, 0x1b
  for (unsigned k = 1; k < split.size(); ++k) {
    Form f = simd_form("SHUFPD across a code page, " + std::to_string(k) + " bytes before it", split, Lanes::F64);
    f.page_split = k;
    f.xmm_named = {8, 9};
    v.push_back(std::move(f));
  }
  return v;
}

TEST(SseDiff, PrefixOrder) { run_group("prefixes around the mandatory one", prefix_order_forms(), kIters); }

// --- fences, CLFLUSH, and encodings that are #UD ---

std::vector<Form> fences_and_flush_forms() {
  Builder b("sse-fences");
  std::vector<Form>& v = b.forms();
  // LFENCE MFENCE SFENCE: 0F AE with mod = 11 and /5 /6 /7, any rm.
  const char* const kFences[] = {"LFENCE", "MFENCE", "SFENCE"};
  for (uint8_t digit = 5; digit <= 7; ++digit)
    for (unsigned rm : {0u, 3u, 7u}) {
      Form f;
      f.name = kFences[digit - 5] + std::string(" (rm ") + std::to_string(rm) + ")";
      f.bytes = {0x0F, 0xAE, static_cast<uint8_t>(0xC0 | digit << 3 | rm)};
      f.simd = true;
      v.push_back(std::move(f));
    }
  b.mem_variants = 4;
  b.add(Sse{"CLFLUSH", 0, 0xAE, '7', 'x', kMem, Lanes::Int, 1});
  return v;
}

TEST(SseDiff, FencesAndFlush) { run_group("fences and CLFLUSH", fences_and_flush_forms(), kIters / 4); }

// Encodings the SDM leaves invalid (#UD on the host: SIGILL), and LOCK on SSE forms.
std::vector<Form> invalid_encodings_forms() {
  Builder b("sse-invalid");
  b.reg_variants = 1;
  b.mem_variants = 1;
  b.add({
      {"MOVLPD mod=11", 0x66, 0x12, 'x', 'x', kReg},
      {"MOVLPS store mod=11", 0, 0x13, 'x', 'x', kReg},
      {"MOVLPD store mod=11", 0x66, 0x13, 'x', 'x', kReg},
      {"MOVHPD mod=11", 0x66, 0x16, 'x', 'x', kReg},
      {"MOVHPS store mod=11", 0, 0x17, 'x', 'x', kReg},
      {"MOVHPD store mod=11", 0x66, 0x17, 'x', 'x', kReg},
      {"MOVNTPS mod=11", 0, 0x2B, 'x', 'x', kReg},
      {"MOVNTPD mod=11", 0x66, 0x2B, 'x', 'x', kReg},
      {"MOVNTDQ mod=11", 0x66, 0xE7, 'x', 'x', kReg},
      {"MOVNTI mod=11", 0, 0xC3, 'g', 'g', kReg},
      {"MOVMSKPS memory", 0, 0x50, 'g', 'x', kMem, Lanes::Int, 16},
      {"PMOVMSKB memory", 0x66, 0xD7, 'g', 'x', kMem, Lanes::Int, 16},
      {"PEXTRW memory", 0x66, 0xC5, 'g', 'x', kMem, Lanes::Int, 16, false, {1}},
      {"MASKMOVDQU memory", 0x66, 0xF7, 'x', 'x', kMem, Lanes::Int, 16},
      {"PSRLW imm memory", 0x66, 0x71, '2', 'x', kMem, Lanes::Int, 16, false, {1}},
      {"PSRLDQ imm memory", 0x66, 0x73, '3', 'x', kMem, Lanes::Int, 16, false, {1}},
      {"LDMXCSR mod=11", 0, 0xAE, '2', 'x', kReg},
      {"STMXCSR mod=11", 0, 0xAE, '3', 'x', kReg},
      {"FXSAVE mod=11", 0, 0xAE, '0', 'x', kReg},
      {"FXRSTOR mod=11", 0, 0xAE, '1', 'x', kReg},
  });
  // The shift groups' digits that name no instruction.
  for (const auto& [opcode, digit] : std::initializer_list<std::pair<uint8_t, char>>{
           {0x71, '0'}, {0x71, '3'}, {0x71, '7'}, {0x72, '1'}, {0x72, '5'}, {0x73, '0'}, {0x73, '4'}, {0x73, '5'}})
    b.add(Sse{"shift group /" + std::string(1, digit), 0x66, opcode, digit, 'x', kReg, Lanes::Int, 16, false, {3}});
  // LOCK before SSE forms, register and memory.
  Builder locked("sse-lock");
  locked.reg_variants = 1;
  locked.mem_variants = 1;
  locked.add({{"ADDPS", 0, 0x58, 'x', 'x', kReg | kMem, Lanes::F32, 16, true},
              {"MOVDQU store", 0xF3, 0x7F, 'x', 'x', kReg | kMem},
              {"PADDD", 0x66, 0xFE, 'x', 'x', kReg | kMem, Lanes::Int, 16, true},
              {"CVTSI2SD", 0xF2, 0x2A, 'x', 'g', kMem, Lanes::F64, 4}});
  for (Form& f : locked.forms()) {
    f.bytes.insert(f.bytes.begin(), 0xF0);
    f.name = "LOCK " + f.name;
    b.forms().push_back(std::move(f));
  }
  return std::move(b.forms());
}

TEST(SseDiff, InvalidEncodings) { run_group("invalid SSE encodings (#UD)", invalid_encodings_forms(), kIters / 8); }

// --- what the host cannot show: the SSE state unavailable, MMX ---

// With CR0.TS set every SSE form raises #NM; with CR0.EM set or CR4.OSFXSR clear, #UD
// (expect_unavailable_sse_state_faults_first, sse_forms.h).
TEST(SseException, UnavailableSseStateFaultsFirst) {
  std::vector<Form> forms;
  for (auto make : {moves_forms, masked_store_forms, float_arithmetic_forms, logic_forms, compare_forms, convert_forms,
                    shuffle_forms, integer_forms, shifts_forms, reciprocal_forms, mxcsr_forms, fxsave_fxrstor_forms}) {
    std::vector<Form> v = make();
    for (Form& f : v)
      if (f.name.rfind("MOVNTI", 0) != 0) forms.push_back(std::move(f));  // a GPR store: no SSE state
  }
  expect_unavailable_sse_state_faults_first(forms, "sse-unavailable");
}

// The fences, CLFLUSH and MOVNTI use no SSE state: they run whatever CR0.TS, CR0.EM and
// CR4.OSFXSR say.
TEST(SseException, FencesFlushAndMovntiNeedNoSseState) {
  const Bytes cases[] = {
      {0x0F, 0xAE, 0xE8},        // lfence
      {0x0F, 0xAE, 0xF0},        // mfence
      {0x0F, 0xAE, 0xF8},        // sfence
      {0x0F, 0xAE, 0x38},        // clflush [rax]
      {0x0F, 0xC3, 0x08},        // movnti [rax], ecx
      {0x48, 0x0F, 0xC3, 0x08},  // movnti [rax], rcx
  };
  EmuRunner emu;
  emu.cpu().cr0 |= cpu::cr0::TS | cpu::cr0::EM;
  emu.cpu().cr4 &= ~(cpu::cr4::OSFXSR | cpu::cr4::OSXMMEXCPT);
  for (const Bytes& b : cases) {
    SCOPED_TRACE(hex_bytes(b));
    Regs in, out;
    in.gpr[cpu::RAX] = EmuRunner::window_address() + 64;
    in.gpr[cpu::RCX] = 0x8877665544332211ull;
    const uint64_t rip = emu.place(b);
    EXPECT_EQ(emu.run(rip, 1, in, out), rip + b.size());
  }
  uint64_t stored = 0;
  emu.memory().read(EmuRunner::window_address() + 64, &stored, 8);
  EXPECT_EQ(stored, 0x8877665544332211ull);
}

// LDMXCSR and FXRSTOR refuse every MXCSR bit outside rewind's MXCSR_MASK with #GP(0),
// bit 17 too (AMD's misaligned-SSE mode, which rewind does not have).
TEST(SseException, MxcsrReservedBitsFollowRewindsMask) {
  EmuRunner emu;
  const uint64_t area = EmuRunner::window_address();  // 16-byte aligned
  const Bytes ldmxcsr = {0x0F, 0xAE, 0x10}, fxrstor = {0x0F, 0xAE, 0x08};  // [rax]
  for (unsigned bit = 0; bit < 32; ++bit) {
    SCOPED_TRACE(bit);
    const uint32_t value = cpu::mxcsr::kReset | uint32_t{1} << bit;
    const bool allowed = (value & ~sse_reference::kMxcsrMask) == 0;
    std::vector<uint8_t> image(512, 0);
    std::memcpy(image.data(), &value, 4);
    std::memcpy(image.data() + 24, &value, 4);
    emu.memory().write(area, image.data(), image.size());
    for (const Bytes& b : {ldmxcsr, fxrstor}) {
      Regs in, out;
      in.gpr[cpu::RAX] = area;
      in.mxcsr = cpu::mxcsr::kReset;
      const uint64_t rip = emu.place(b);
      const uint64_t end = emu.run(rip, 1, in, out, true);
      if (allowed) {
        EXPECT_EQ(end, rip + b.size()) << hex_bytes(b);
        EXPECT_EQ(out.mxcsr, value) << hex_bytes(b);
      } else {
        EXPECT_EQ(EmuRunner::vector_at(end), cpu::vec::GP) << hex_bytes(b);
        EXPECT_EQ(emu.frame(cpu::vec::GP, out, rip).error, 0u) << hex_bytes(b);
        EXPECT_EQ(out.mxcsr, cpu::mxcsr::kReset) << hex_bytes(b);
      }
    }
  }
}

// MMX is not implemented: its register forms, and the SSE forms that name an MMX
// register, raise #UD (the host runs them, so they are not compared with it).
TEST(SseException, MmxFormsStayUndefined) {
  const Bytes cases[] = {
      {0x0F, 0x77},                    // emms
      {0x0F, 0x6F, 0xC1},              // movq mm0, mm1
      {0x0F, 0x6E, 0xC0},              // movd mm0, eax
      {0x0F, 0x7E, 0xC0},              // movd eax, mm0
      {0x0F, 0x7F, 0x03},              // movq [rbx], mm0
      {0x0F, 0xFC, 0xC1},              // paddb mm0, mm1
      {0x0F, 0xEF, 0xC1},              // pxor mm0, mm1
      {0x0F, 0x71, 0xD0, 0x03},        // psrlw mm0, 3
      {0x0F, 0x70, 0xC1, 0x1B},        // pshufw mm0, mm1, 0x1b
      {0x0F, 0xC4, 0xC0, 0x01},        // pinsrw mm0, eax, 1
      {0x0F, 0xC5, 0xC0, 0x01},        // pextrw eax, mm0, 1
      {0x0F, 0xD7, 0xC0},              // pmovmskb eax, mm0
      {0x0F, 0xF7, 0xC1},              // maskmovq mm0, mm1
      {0x0F, 0xE7, 0x03},              // movntq [rbx], mm0
      {0x0F, 0x2A, 0xC1},              // cvtpi2ps xmm0, mm1
      {0x66, 0x0F, 0x2A, 0xC1},        // cvtpi2pd xmm0, mm1
      {0x0F, 0x2C, 0xC1},              // cvttps2pi mm0, xmm1
      {0x66, 0x0F, 0x2D, 0xC1},        // cvtpd2pi mm0, xmm1
      {0xF2, 0x0F, 0xD6, 0xC1},        // movdq2q mm0, xmm1
      {0xF3, 0x0F, 0xD6, 0xC1},        // movq2dq xmm0, mm1
  };
  EmuRunner emu;
  for (const Bytes& b : cases) {
    SCOPED_TRACE(hex_bytes(b));
    Regs in, out;
    in.gpr[cpu::RBX] = EmuRunner::window_address();
    in.gpr[cpu::RAX] = 0x1234;
    Rng rng(b.size() * 131 + b.back());
    random_simd(in, rng, Lanes::Int, 0xFFFF);
    EXPECT_EQ(EmuRunner::vector_at(emu.run(emu.place(b), 1, in, out, true)), cpu::vec::UD);
    EXPECT_EQ(out.gpr[cpu::RAX], 0x1234u);
    for (unsigned k = 0; k < 16; ++k) EXPECT_EQ(out.xmm[k], in.xmm[k]) << k;
  }
}

}  // namespace
}  // namespace rw::cputest
