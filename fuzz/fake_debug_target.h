// A stub::Target with every capability, for the session fuzzer. Unlike the unit tests'
// FakeTarget it checks what it is asked: register writes of the register's size, memory
// ranges that do not wrap, reads no longer than a reply can carry, non-empty watchpoints.
// Whatever the fuzzer sends, the Session must only ever ask it sensible things.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <tuple>
#include <vector>

#include "fuzz_check.h"
#include "stub/session.h"
#include "stub/target.h"

namespace rw::fuzz {

class FakeDebugTarget : public stub::Target,
                        public stub::SwBreakpointOps,
                        public stub::HwBreakpointOps,
                        public stub::WatchpointOps,
                        public stub::MonitorOps,
                        public stub::ReverseStepOps,
                        public stub::ReverseContinueOps {
 public:
  // Two windows of memory: one low, one ending at the top of the 64-bit address space,
  // where a careless addr + len wraps around.
  static constexpr uint64_t kLowBase = 0x1000, kHighBase = 0xFFFFFFFFFFFFF000ull, kWindowBytes = 0x1000;
  static constexpr size_t kMaxPoints = 64;  // the fake refuses more (as a real target may)
  // The longest packet after run-length decoding: every 3 bytes ("X*~") can stand for 98.
  static constexpr size_t kMaxExpandedPacket = stub::kMaxPacketSize / 3 * 98 + 2;

  const std::string& target_xml() const override { return xml_; }
  size_t register_count() const override { return kRegisterSizes.size(); }
  size_t register_size(size_t n) const override {
    FUZZ_CHECK(n < kRegisterSizes.size());
    return kRegisterSizes[n];
  }
  bool read_register(size_t n, std::span<uint8_t> out) override {
    if (n >= kRegisterSizes.size()) return false;
    FUZZ_CHECK(out.size() == kRegisterSizes[n]);
    std::memcpy(out.data(), registers_.data() + offset_of(n), out.size());
    return true;
  }
  bool write_register(size_t n, std::span<const uint8_t> in) override {
    if (n >= kRegisterSizes.size()) return false;
    FUZZ_CHECK(in.size() == kRegisterSizes[n]);
    std::memcpy(registers_.data() + offset_of(n), in.data(), in.size());
    return true;
  }
  bool read_memory(uint64_t addr, std::span<uint8_t> out) override {
    FUZZ_CHECK(out.size() <= stub::kMaxPacketSize / 2);  // the reply is hex: twice as long
    uint8_t* p = window(addr, out.size());
    if (!p) return false;
    std::copy_n(p, out.size(), out.data());  // memcpy would get a null pointer for m ADDR,0
    return true;
  }
  bool write_memory(uint64_t addr, std::span<const uint8_t> in) override {
    FUZZ_CHECK(in.size() <= kMaxExpandedPacket);  // it came in one packet
    uint8_t* p = window(addr, in.size());
    if (!p) return false;
    std::copy_n(in.data(), in.size(), p);
    return true;
  }

  void resume(const stub::ResumeRequest& r) override {
    FUZZ_CHECK(!running_);  // all-stop: the server never resumes a running target
    running_ = true;
    slices_left_ = r.kind == stub::ResumeKind::kStep ? 1 : 1 + static_cast<int>(stops_ % 3);
  }
  void begin_reverse_step() override { resume({stub::ResumeKind::kStep, 0}); }
  void begin_reverse_continue() override { resume({stub::ResumeKind::kContinue, 0}); }
  std::optional<stub::StopEvent> run_slice() override {
    FUZZ_CHECK(running_);
    if (--slices_left_ > 0) return std::nullopt;
    running_ = false;
    return last_ = next_stop();
  }
  stub::StopEvent interrupt() override {
    running_ = false;
    return last_ = stub::StopEvent::signalled(stub::gdb_signal::kSigInt);
  }
  stub::StopEvent last_stop() const override { return last_; }
  bool running() const { return running_; }
  void attach() override {}
  void detach() override {
    sw_.clear();
    hw_.clear();
    watches_.clear();
  }

  SwBreakpointOps* sw_breakpoints() override { return this; }
  HwBreakpointOps* hw_breakpoints() override { return this; }
  WatchpointOps* watchpoints() override { return this; }
  MonitorOps* monitor() override { return this; }
  ReverseStepOps* reverse_step() override { return this; }
  ReverseContinueOps* reverse_continue() override { return this; }

  bool add_sw_breakpoint(uint64_t a) override { return sw_.size() < kMaxPoints && sw_.insert(a).second; }
  bool remove_sw_breakpoint(uint64_t a) override { return sw_.erase(a) == 1; }
  bool add_hw_breakpoint(uint64_t a) override { return hw_.size() < kMaxPoints && hw_.insert(a).second; }
  bool remove_hw_breakpoint(uint64_t a) override { return hw_.erase(a) == 1; }
  bool add_watchpoint(uint64_t addr, uint64_t len, stub::WatchType type) override {
    FUZZ_CHECK(len > 0);
    return watches_.size() < kMaxPoints && watches_.insert({addr, len, type}).second;
  }
  bool remove_watchpoint(uint64_t addr, uint64_t len, stub::WatchType type) override {
    FUZZ_CHECK(len > 0);
    return watches_.erase({addr, len, type}) == 1;
  }
  std::string monitor(std::string_view command) override {
    FUZZ_CHECK(command.size() <= kMaxExpandedPacket / 2);  // it arrived hex-encoded
    return command.empty() ? "" : "echo " + std::string(command) + "\n";
  }

 private:
  // An x86-64-like mix of sizes, so that 'g', 'G', 'p' and 'P' meet registers of several widths.
  static constexpr std::array<size_t, 6> kRegisterSizes = {8, 8, 4, 4, 16, 2};

  static size_t offset_of(size_t n) {
    size_t offset = 0;
    for (size_t i = 0; i < n; ++i) offset += kRegisterSizes[i];
    return offset;
  }
  uint8_t* window(uint64_t addr, uint64_t len) {
    for (auto [base, bytes] : {std::pair{kLowBase, &low_}, std::pair{kHighBase, &high_}}) {
      if (addr >= base && len <= kWindowBytes && addr - base <= kWindowBytes - len) return bytes->data() + (addr - base);
    }
    return nullptr;
  }
  // Every kind of stop reply in turn.
  stub::StopEvent next_stop() {
    using stub::StopEvent;
    switch (stops_++ % 8) {
      case 0: return StopEvent::signalled(stub::gdb_signal::kSigTrap);
      case 1: return StopEvent::signalled(stub::gdb_signal::kSigTrap, StopEvent::Why::kSwBreak);
      case 2: return StopEvent::signalled(stub::gdb_signal::kSigTrap, StopEvent::Why::kHwBreak);
      case 3: return StopEvent::signalled(stub::gdb_signal::kSigTrap, StopEvent::Why::kWatch, kHighBase + 0xFF8);
      case 4: return StopEvent::signalled(stub::gdb_signal::kSigTrap, StopEvent::Why::kAccessWatch, kLowBase);
      case 5: return StopEvent::signalled(stub::gdb_signal::kSigSegv, StopEvent::Why::kHistoryBegin);
      case 6: return StopEvent::exited(0x1FF);
      default: return StopEvent::terminated(stub::gdb_signal::kSigKill);
    }
  }

  std::string xml_ = "<?xml version=\"1.0\"?><target><architecture>i386:x86-64</architecture>"
                     "<feature name=\"fuzz\">$#}*</feature></target>";
  std::array<uint8_t, 42> registers_{};
  std::array<uint8_t, kWindowBytes> low_{}, high_{};
  std::set<uint64_t> sw_, hw_;
  std::set<std::tuple<uint64_t, uint64_t, stub::WatchType>> watches_;
  stub::StopEvent last_ = stub::StopEvent::signalled(stub::gdb_signal::kSigTrap);
  bool running_ = false;
  int slices_left_ = 0;
  uint64_t stops_ = 0;
};

}  // namespace rw::fuzz
