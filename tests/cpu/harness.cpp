#include "harness.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "cpu/code_cache.h"
#include "cpu/exec.h"
#include "cpu/operands.h"
#include "cpu/segments.h"

namespace rw::cputest {

// --- Rng ---

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) {
    seed += 0x9E3779B97F4A7C15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    s = z ^ (z >> 31);
  }
}

uint64_t Rng::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t test_seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("REWIND_CPU_SEED");
    uint64_t s = env ? std::strtoull(env, nullptr, 0) : 0x5EED2024ull;
    std::printf("cpu differential tests: seed 0x%llx (set REWIND_CPU_SEED to change)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

uint64_t edge_value(Rng& r) {
  uint64_t v = r.next();
  if (r.chance(5)) return v;
  static constexpr unsigned kWidths[] = {8, 16, 32, 64};
  const unsigned w = kWidths[r.below(4)];
  const uint64_t mask = w == 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1;
  const uint64_t sign = uint64_t{1} << (w - 1);
  uint64_t e;
  switch (r.below(10)) {
    case 0: e = 0; break;
    case 1: e = 1; break;
    case 2: e = ~uint64_t{0}; break;
    case 3: e = sign; break;
    case 4: e = sign - 1; break;
    case 5: e = sign + 1; break;
    case 6: e = r.below(72); break;
    case 7: e = uint64_t{1} << r.below(w); break;
    case 8: e = (uint64_t{1} << r.below(w)) - 1; break;
    default: e = ~uint64_t{0} - r.below(4); break;
  }
  if (r.chance(3)) v = r.chance(2) ? 0 : ~uint64_t{0};
  v = (v & ~mask) | (e & mask);
  // An edge byte where AH..BH live.
  if (r.chance(6)) {
    static constexpr uint8_t kBytes[] = {0, 1, 0x7F, 0x80, 0x81, 0xFF, 0xFE, 7, 8, 9};
    v = (v & ~uint64_t{0xFF00}) | uint64_t{kBytes[r.below(10)]} << 8;
  }
  return v;
}

Regs random_regs(Rng& r) {
  Regs s;
  for (auto& g : s.gpr) g = edge_value(r);
  // Equal operands: CMP equal, CMPXCHG success, SUB to zero.
  if (r.chance(4)) s.gpr[r.below(16)] = s.gpr[r.below(16)];
  s.rflags = (r.next() & cpu::rflags::kArith) | 0x202;
  return s;
}

// --- NativeRunner ---

namespace {

void emit(std::vector<uint8_t>& out, std::initializer_list<uint8_t> bytes) { out.insert(out.end(), bytes); }

// mov r64, [rdi + disp8] (load) or mov [rdi + disp8], r64 (store).
void emit_rdi_mov(std::vector<uint8_t>& out, bool store, unsigned r, uint8_t disp) {
  emit(out, {static_cast<uint8_t>(0x48 | (r >= 8 ? 4 : 0)), static_cast<uint8_t>(store ? 0x89 : 0x8B),
             static_cast<uint8_t>(0x47 | ((r & 7) << 3)), disp});
}

}  // namespace

NativeRunner::NativeRunner() {
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map an executable page");
  code_ = static_cast<uint8_t*>(p);
  void* d = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (d == MAP_FAILED) throw std::runtime_error("cannot map a data window below 4 GiB");
  data_ = static_cast<uint8_t*>(d);
}

NativeRunner::~NativeRunner() {
  munmap(code_, 4096);
  munmap(data_, 8192);
}

void NativeRunner::load(std::span<const uint8_t> code) {
  std::vector<uint8_t> s;
  // Callee-saved registers, then the state pointer.
  emit(s, {0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57});
  emit(s, {0xFF, 0xB7, 0x80, 0x00, 0x00, 0x00});  // push qword [rdi+128]
  emit(s, {0x9D});                                // popfq
  for (unsigned r = 0; r < 16; ++r)
    if (r != cpu::RSP && r != cpu::RDI) emit_rdi_mov(s, false, r, static_cast<uint8_t>(8 * r));
  emit_rdi_mov(s, false, cpu::RDI, 8 * cpu::RDI);
  s.insert(s.end(), code.begin(), code.end());
  emit(s, {0x57});                          // push rdi (the result)
  emit(s, {0x48, 0x8B, 0x7C, 0x24, 0x08});  // mov rdi, [rsp+8] (the state pointer)
  for (unsigned r = 0; r < 16; ++r)
    if (r != cpu::RSP && r != cpu::RDI) emit_rdi_mov(s, true, r, static_cast<uint8_t>(8 * r));
  emit(s, {0x58});  // pop rax
  emit_rdi_mov(s, true, cpu::RAX, 8 * cpu::RDI);
  emit(s, {0x9C, 0x58});                                // pushfq; pop rax
  emit(s, {0x48, 0x89, 0x87, 0x80, 0x00, 0x00, 0x00});  // mov [rdi+128], rax
  emit(s, {0x5F, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3});
  if (s.size() > 4096) throw std::runtime_error("native stub too long");
  std::memcpy(code_, s.data(), s.size());
  entry_ = reinterpret_cast<void (*)(Regs*)>(code_);
}

void NativeRunner::run(const Regs& in, Regs& out) {
  static_assert(sizeof(Regs) == 136);
  out = in;
  out.rflags = (in.rflags & cpu::rflags::kArith) | 0x202;
  entry_(&out);
}

// --- EmuRunner ---

namespace {
constexpr uint64_t kPml4 = 0x1000, kPdpt = 0x2000, kPd = 0x3000, kGdt = 0x4000, kIdt = 0x5000;
constexpr uint64_t kCodeDescriptor = 0x00AF9B000000FFFFull;
constexpr uint64_t kDataDescriptor = 0x00CF93000000FFFFull;
}  // namespace

EmuRunner::EmuRunner() : memory_(4ull << 20), cache_(cpu::make_code_cache()) {
  cpu_.mem = &memory_;
  cpu_.io = &io_;
  cpu_.code = cache_.get();

  auto put64 = [&](uint64_t pa, uint64_t v) { memory_.write(pa, &v, 8); };
  // Identity map of the first 4 MiB with two 2 MiB pages.
  put64(kPml4, kPdpt | 3);
  put64(kPdpt, kPd | 3);
  put64(kPd, 0x000000 | 0x83);
  put64(kPd + 8, 0x200000 | 0x83);
  put64(kGdt, 0);
  put64(kGdt + 8, kCodeDescriptor);
  put64(kGdt + 16, kDataDescriptor);
  for (unsigned v = 0; v < 32; ++v) {
    const uint64_t handler = kHandlerBase + 16 * v;
    const uint64_t low = (handler & 0xFFFF) | uint64_t{0x08} << 16 | uint64_t{0x8E} << 40 |
                         ((handler >> 16) & 0xFFFF) << 48;
    put64(kIdt + 16 * v, low);
    put64(kIdt + 16 * v + 8, handler >> 32);
    const uint8_t hlt = 0xF4;
    memory_.write(handler, &hlt, 1);
  }

  cpu_.gdtr = cpu::TableRegister{kGdt, 23};
  cpu_.idtr = cpu::TableRegister{kIdt, 32 * 16 - 1};
  cpu_.cr3 = kPml4;
  cpu_.cr4 = cpu::cr4::PAE;
  cpu_.efer = cpu::efer::LME | cpu::efer::LMA | cpu::efer::NXE;
  cpu_.cr0 = cpu::cr0::PE | cpu::cr0::ET | cpu::cr0::NE | cpu::cr0::PG;
  for (unsigned s = cpu::ES; s <= cpu::GS; ++s) cpu_.seg[s] = cpu::segment_from_descriptor(0x10, kDataDescriptor);
  cpu_.tr.attr = 0x8B;
  cpu::set_code_segment(cpu_, 0x08, kCodeDescriptor, 0);
  cpu_.tlb.flush();
  cpu::update_mode(cpu_);
}

EmuRunner::~EmuRunner() = default;

uint64_t EmuRunner::place(std::span<const uint8_t> code, unsigned page_split) {
  if (code.size() + 1 > kSlotBytes) throw std::runtime_error("code too long for a slot");
  uint64_t rip = next_slot_;
  if (page_split) {
    rip = ((next_slot_ + page_split + 4095) & ~uint64_t{4095}) - page_split;
    next_slot_ = rip;
  }
  if (next_slot_ + kSlotBytes > kCodeEnd) throw std::runtime_error("out of code slots");
  next_slot_ = (next_slot_ + code.size() + 1 + kSlotBytes - 1) & ~(kSlotBytes - 1);
  memory_.write(rip, code.data(), code.size());
  const uint8_t hlt = 0xF4;
  memory_.write(rip + code.size(), &hlt, 1);
  return rip;
}

uint64_t EmuRunner::run(uint64_t rip, unsigned count, const Regs& in, Regs& out) {
  for (unsigned r = 0; r < 16; ++r) cpu_.gpr[r] = in.gpr[r];
  cpu_.gpr[cpu::RSP] = kStackTop;
  cpu::set_rflags(cpu_, (in.rflags & cpu::rflags::kArith) | 0x2);
  cpu_.rip = rip;
  cpu_.halted = false;
  cpu::run(cpu_, cpu_.icount + count);
  for (unsigned r = 0; r < 16; ++r) out.gpr[r] = cpu_.gpr[r];
  out.rflags = cpu::get_rflags(cpu_);
  return cpu_.rip;
}

// --- formatting ---

std::string hex_bytes(std::span<const uint8_t> bytes) {
  std::string s;
  char b[4];
  for (uint8_t x : bytes) {
    std::snprintf(b, sizeof b, "%s%02x", s.empty() ? "" : " ", x);
    s += b;
  }
  return s;
}

std::string flags_string(uint64_t f) {
  std::string s;
  s += (f & cpu::rflags::OF) ? 'O' : '-';
  s += (f & cpu::rflags::SF) ? 'S' : '-';
  s += (f & cpu::rflags::ZF) ? 'Z' : '-';
  s += (f & cpu::rflags::AF) ? 'A' : '-';
  s += (f & cpu::rflags::PF) ? 'P' : '-';
  s += (f & cpu::rflags::CF) ? 'C' : '-';
  return s;
}

}  // namespace rw::cputest
