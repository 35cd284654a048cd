// What the host cannot check for us: #DE delivery for the divisions the differential
// tests skip, and RIP-relative addressing (the host's RIP differs from the guest's).
#include <gtest/gtest.h>

#include <cstring>

#include "cpu/exec.h"
#include "cpu/fault.h"
#include "cpu/operands.h"
#include "encoder.h"
#include "forms.h"
#include "harness.h"

namespace rw::cputest {
namespace {

using cpu::RAX;
using cpu::RBX;
using cpu::RCX;
using cpu::RDX;
using cpu::RSP;

uint64_t read64(EmuRunner& emu, uint64_t pa) {
  uint64_t v;
  emu.memory().read(pa, &v, 8);
  return v;
}

struct DivCase {
  const char* name;
  Bytes bytes;
  uint64_t rax, rdx, rcx, rbx;
};

TEST(CpuException, DivideErrorIsDeliveredThroughTheIdt) {
  const uint64_t kMin64 = 0x8000000000000000ull;
  const DivCase cases[] = {
      {"div ecx, ecx=0", {0xF7, 0xF1}, 5, 0, 0xFFFFFFFF00000000ull, 0},
      {"div rcx, rcx=0", {0x48, 0xF7, 0xF1}, 5, 0, 0, 0},
      {"div cl, quotient > 0xFF", {0xF6, 0xF1}, 0x1000, 0, 0x10, 0},
      {"div cx, quotient > 0xFFFF", {0x66, 0xF7, 0xF1}, 0, 0x10, 0x10, 0},
      {"div ecx, edx >= ecx", {0xF7, 0xF1}, 0, 7, 7, 0},
      {"div rcx, rdx >= rcx", {0x48, 0xF7, 0xF1}, 0, ~0ull, ~0ull, 0},
      {"idiv cl, -128 / -1", {0xF6, 0xF9}, 0xFF80, 0, 0xFF, 0},
      {"idiv cx, -32768 / -1", {0x66, 0xF7, 0xF9}, 0x8000, 0xFFFF, 0xFFFF, 0},
      {"idiv ecx, INT32_MIN / -1", {0xF7, 0xF9}, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFF, 0},
      {"idiv rcx, INT64_MIN / -1", {0x48, 0xF7, 0xF9}, kMin64, ~0ull, ~0ull, 0},
      {"idiv rcx, positive quotient too big", {0x48, 0xF7, 0xF9}, 0, 1, 2, 0},
      {"idiv rcx, negative quotient too small", {0x48, 0xF7, 0xF9}, 0, ~0ull - 1, 2, 0},
      {"idiv ecx, by zero", {0xF7, 0xF9}, 1, 0, 0, 0},
      {"div dword [rbx], zero in memory", {0xF7, 0x33}, 1, 0, 0, EmuRunner::window_address()},
      {"idiv byte [rbx+rcx*2+4], zero in memory", {0xF6, 0x7C, 0x4B, 0x04}, 1, 0, 2, EmuRunner::window_address()},
  };
  EmuRunner emu;
  std::memset(emu.window(), 0, kWindowBytes);
  for (const DivCase& c : cases) {
    SCOPED_TRACE(c.name);
    const uint64_t rip = emu.place(c.bytes);
    Regs in, out;
    for (unsigned r = 0; r < 16; ++r) in.gpr[r] = 0x1111111111111111ull * r;
    in.gpr[RAX] = c.rax;
    in.gpr[RDX] = c.rdx;
    in.gpr[RCX] = c.rcx;
    in.gpr[RBX] = c.rbx ? c.rbx : in.gpr[RBX];
    in.rflags = cpu::rflags::CF | cpu::rflags::ZF;
    const uint64_t end = emu.run(rip, 1, in, out);
    // The handler for vector 0 ran (its HLT retired).
    EXPECT_EQ(end, EmuRunner::kHandlerBase + 16 * cpu::vec::DE + 1) << std::hex << end;
    // A fault: nothing changed, and the frame returns to the divide itself.
    EXPECT_EQ(out.gpr[RAX], in.gpr[RAX]);
    EXPECT_EQ(out.gpr[RDX], in.gpr[RDX]);
    EXPECT_EQ(out.gpr[RCX], in.gpr[RCX]);
    const uint64_t frame = EmuRunner::kStackTop - 40;
    EXPECT_EQ(out.gpr[RSP], frame);
    EXPECT_EQ(read64(emu, frame), rip);
    EXPECT_EQ(read64(emu, frame + 8), 0x08u);
    EXPECT_EQ(read64(emu, frame + 16) & cpu::rflags::kArith, cpu::rflags::CF | cpu::rflags::ZF);
    EXPECT_EQ(read64(emu, frame + 24), EmuRunner::kStackTop);
  }
}

// The same divisions one step away from faulting complete normally.
TEST(CpuException, DivisionsAtTheLimitDoNotFault) {
  struct Case {
    const char* name;
    Bytes bytes;
    uint64_t rax, rdx, rcx, want_rax, want_rdx;
  };
  const Case cases[] = {
      {"div cl, quotient 0xFF", {0xF6, 0xF1}, 0x0FF0, 0, 0x10, 0x00FF, 0},
      {"idiv cl, -128 / 1", {0xF6, 0xF9}, 0xFF80, 0, 0x01, 0x0080, 0},
      {"idiv ecx, INT32_MIN / 1", {0xF7, 0xF9}, 0x80000000, 0xFFFFFFFF, 1, 0x80000000, 0},
      {"idiv rcx, -(2^63 - 1) / -1", {0x48, 0xF7, 0xF9}, 0x8000000000000001ull, ~0ull, ~0ull, 0x7FFFFFFFFFFFFFFFull, 0},
  };
  EmuRunner emu;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const uint64_t rip = emu.place(c.bytes);
    Regs in, out;
    in.gpr[RAX] = c.rax;
    in.gpr[RDX] = c.rdx;
    in.gpr[RCX] = c.rcx;
    EXPECT_EQ(emu.run(rip, 1, in, out), rip + c.bytes.size());
    EXPECT_EQ(out.gpr[RAX], c.want_rax) << std::hex << out.gpr[RAX];
    EXPECT_EQ(out.gpr[RDX], c.want_rdx) << std::hex << out.gpr[RDX];
  }
}

TEST(CpuException, RipRelativeAddressing) {
  EmuRunner emu;
  auto disp_to = [](uint64_t target, uint64_t next_rip) {
    return static_cast<int32_t>(static_cast<int64_t>(target - next_rip));
  };
  // LEA rax, [rip + disp]: the displacement is relative to the next instruction.
  for (int32_t disp : {0, 1, -1, 0x1234, -0x100000, 0x7FFFFFFF, INT32_MIN}) {
    for (unsigned size : {8u, 4u, 2u}) {
      Mem m;
      m.rip = true;
      m.disp = disp;
      Enc e;
      e.size = size;
      e.opcode = {0x8D};
      e.reg = 3;
      e.mem = &m;
      const Bytes b = encode(e);
      const uint64_t rip = emu.place(b);
      Regs in, out;
      in.gpr[RBX] = 0xAAAAAAAAAAAAAAAAull;
      ASSERT_EQ(emu.run(rip, 1, in, out), rip + b.size());
      const uint64_t ea = rip + b.size() + static_cast<uint64_t>(int64_t{disp});
      const uint64_t mask = size == 8 ? ~0ull : size == 4 ? 0xFFFFFFFFull : 0xFFFFull;
      const uint64_t want = size == 4 ? (ea & mask) : size == 2 ? ((in.gpr[RBX] & ~mask) | (ea & mask)) : ea;
      EXPECT_EQ(out.gpr[RBX], want) << "size " << size << " disp " << disp;
    }
  }
  // LEA with 67: [eip + disp], truncated to 32 bits.
  {
    const Bytes b = {0x67, 0x48, 0x8D, 0x05, 0x00, 0x00, 0x00, 0x80};  // lea rax, [eip - 0x80000000]
    const uint64_t rip = emu.place(b);
    Regs in, out;
    ASSERT_EQ(emu.run(rip, 1, in, out), rip + b.size());
    EXPECT_EQ(out.gpr[RAX], (rip + b.size() - 0x80000000ull) & 0xFFFFFFFF);
  }
  // A RIP-relative read-modify-write and a RIP-relative read with an immediate after
  // the displacement (the displacement is relative to the end of the instruction).
  const uint64_t target = EmuRunner::window_address() + 100;
  {
    const uint64_t v = 0x0123456789ABCDEFull;
    emu.memory().write(target, &v, 8);
    Bytes b = {0x48, 0x01, 0x0D, 0, 0, 0, 0};  // add [rip+disp], rcx
    const uint64_t rip = emu.place(b);
    const int32_t d = disp_to(target, rip + b.size());
    std::memcpy(&b[3], &d, 4);
    emu.memory().write(rip, b.data(), b.size());
    Regs in, out;
    in.gpr[RCX] = 0x1111;
    ASSERT_EQ(emu.run(rip, 1, in, out), rip + b.size());
    EXPECT_EQ(read64(emu, target), v + 0x1111);
  }
  {
    Bytes b = {0x81, 0x3D, 0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12};  // cmp dword [rip+disp], 0x12345678
    const uint64_t rip = emu.place(b);
    const int32_t d = disp_to(target, rip + b.size());
    std::memcpy(&b[2], &d, 4);
    emu.memory().write(rip, b.data(), b.size());
    const uint32_t v = 0x12345678;
    emu.memory().write(target, &v, 4);
    Regs in, out;
    ASSERT_EQ(emu.run(rip, 1, in, out), rip + b.size());
    EXPECT_TRUE(out.rflags & cpu::rflags::ZF);
  }
}

// LOCK is only allowed on read-modify-write memory forms; elsewhere it is #UD
// (natively SIGILL, so only the emulator is checked).
TEST(CpuException, LockOnARegisterOperandIsInvalid) {
  const Bytes cases[] = {
      {0xF0, 0x01, 0xC8},              // lock add eax, ecx
      {0xF0, 0x48, 0x0F, 0xC1, 0xC8},  // lock xadd rax, rcx
      {0xF0, 0x0F, 0xB1, 0xC8},        // lock cmpxchg eax, ecx
      {0xF0, 0x39, 0x08},              // lock cmp [rax], ecx: CMP does not write
      {0xF0, 0x8B, 0x08},              // lock mov ecx, [rax]
      {0xF0, 0x0F, 0xA3, 0x08},        // lock bt [rax], ecx: BT does not write
  };
  EmuRunner emu;
  for (const Bytes& b : cases) {
    SCOPED_TRACE(hex_bytes(b));
    const uint64_t rip = emu.place(b);
    Regs in, out;
    in.gpr[RAX] = EmuRunner::window_address();
    in.gpr[RCX] = 7;
    EXPECT_EQ(emu.run(rip, 1, in, out), EmuRunner::kHandlerBase + 16 * cpu::vec::UD + 1);
    EXPECT_EQ(read64(emu, EmuRunner::kStackTop - 40), rip);
    EXPECT_EQ(out.gpr[RCX], 7u);
  }
}

// The harness itself: a stub that changes nothing returns its inputs, natively and
// emulated, so a mismatch elsewhere is the instruction's.
TEST(CpuHarness, NopRoundTrips) {
  NativeRunner native;
  EmuRunner emu;
  const Bytes nop = {0x90};
  native.load(nop);
  const uint64_t rip = emu.place(nop);
  Rng rng(test_seed());
  for (int k = 0; k < 1000; ++k) {
    Regs in = random_regs(rng), n, e;
    native.run(in, n);
    ASSERT_EQ(emu.run(rip, 1, in, e), rip + 1);
    for (unsigned r = 0; r < 16; ++r) {
      if (r == RSP) continue;
      ASSERT_EQ(n.gpr[r], in.gpr[r]) << r;
      ASSERT_EQ(e.gpr[r], in.gpr[r]) << r;
    }
    ASSERT_EQ(n.rflags & cpu::rflags::kArith, in.rflags & cpu::rflags::kArith);
    ASSERT_EQ(e.rflags & cpu::rflags::kArith, in.rflags & cpu::rflags::kArith);
  }
}

}  // namespace
}  // namespace rw::cputest

namespace rw::cputest {
namespace {

// The comparison catches what it should: the emulator runs different bytes of the
// same length, and every kind of difference must be reported.
TEST(CpuHarness, DetectsDifferences) {
  struct Case {
    const char* what;
    Bytes native, emulated;
    bool mem;
  };
  const Case cases[] = {
      {"result", {0x01, 0xC8}, {0x29, 0xC8}, false},           // add eax,ecx vs sub eax,ecx
      {"flags", {0xF8}, {0xF9}, false},                         // clc vs stc
      {"upper half", {0x89, 0xC0}, {0x90, 0x90}, false},        // mov eax,eax (zero-extends) vs nops
      {"exception", {0x90, 0x90}, {0x0F, 0x0B}, false},         // nops vs ud2
      {"memory", {0x01, 0x0B}, {0x29, 0x0B}, true},             // add [rbx],ecx vs sub [rbx],ecx
  };
  for (const Case& c : cases) {
    Form f;
    f.name = c.what;
    f.bytes = c.native;
    f.emu_bytes = c.emulated;
    if (c.mem) {
      Mem m;
      m.base = cpu::RBX;
      f.mem = m;
      f.mem_bytes = 4;
    }
    const RunStats st = run_forms({f}, 200, test_seed(), false);
    EXPECT_GT(st.failures, 100u) << c.what;
  }
  // An address register that changes natively but not in the emulator.
  Form f;
  f.name = "address register";
  f.bytes = {0x48, 0xFF, 0xC3};     // inc rbx
  f.emu_bytes = {0x48, 0x85, 0xDB};  // test rbx, rbx (flags masked off below)
  f.check = [](const Regs&) { return Check{0}; };
  Mem m;
  m.base = cpu::RBX;
  f.mem = m;
  EXPECT_EQ(run_forms({f}, 200, test_seed(), false).failures, 200u);
}

}  // namespace
}  // namespace rw::cputest

namespace rw::cputest {
namespace {

// A REP string instruction counts one instruction per iteration and, when the budget
// runs out mid-way, stops on itself to resume later. Run it in slices of 1..4
// instructions and compare the final state with the host's.
TEST(CpuResume, RepStringInSlices) {
  NativeRunner native;
  EmuRunner emu;
  Rng rng(test_seed() ^ 0x5EB);
  unsigned resumed = 0;  // cases that took more than one slice
  const Bytes forms[] = {{0xF3, 0xA4}, {0xF3, 0x48, 0xA5}, {0xF3, 0xAA}, {0xF3, 0xA6}, {0xF2, 0xAE}, {0xF3, 0x66, 0xAF}};
  for (const Bytes& b : forms) {
    SCOPED_TRACE(hex_bytes(b));
    native.load(b);
    const uint64_t rip = emu.place(b);
    for (int k = 0; k < 300; ++k) {
      Regs in = random_regs(rng);
      in.gpr[RCX] = rng.below(20);
      in.gpr[cpu::RAX] = rng.chance(2) ? 0 : in.gpr[cpu::RAX];
      in.gpr[cpu::RSI] = 16 + rng.below(64);
      in.gpr[cpu::RDI] = 16 + rng.below(64) + 256;
      for (unsigned i = 0; i < kWindowBytes; ++i) native.window()[i] = emu.window()[i] = rng.chance(3) ? 0 : rng.next() & 0xFF;
      Regs nin = in, ein = in, n, e;
      nin.gpr[cpu::RSI] += native.window_address();
      nin.gpr[cpu::RDI] += native.window_address();
      ein.gpr[cpu::RSI] += EmuRunner::window_address();
      ein.gpr[cpu::RDI] += EmuRunner::window_address();
      native.run(nin, n);
      // First slice through the runner (sets the registers), then continue on the CPU.
      unsigned slices = 1;
      uint64_t end = emu.run(rip, 1 + rng.below(4), ein, e);
      cpu::Cpu& c = emu.cpu();
      while (end == rip && slices < 100) {
        cpu::run(c, c.icount + 1 + rng.below(4));
        end = c.rip;
        ++slices;
      }
      resumed += slices > 1;
      for (unsigned r = 0; r < 16; ++r) e.gpr[r] = c.gpr[r];
      e.rflags = cpu::get_rflags(c);
      // Finished: RIP past the instruction (or past the HLT after it).
      EXPECT_TRUE(end == rip + b.size() || end == rip + b.size() + 1) << std::hex << end;
      EXPECT_EQ(e.gpr[RCX], n.gpr[RCX]);
      EXPECT_EQ(e.gpr[cpu::RAX], n.gpr[cpu::RAX]);
      EXPECT_EQ(e.gpr[cpu::RSI] - EmuRunner::window_address(), n.gpr[cpu::RSI] - native.window_address());
      EXPECT_EQ(e.gpr[cpu::RDI] - EmuRunner::window_address(), n.gpr[cpu::RDI] - native.window_address());
      EXPECT_EQ(e.rflags & cpu::rflags::kArith, n.rflags & cpu::rflags::kArith);
      EXPECT_EQ(std::memcmp(native.window(), emu.window(), kWindowBytes), 0);
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(resumed, 900u);
}

}  // namespace
}  // namespace rw::cputest
