// A tiny in-memory Target for the protocol tests: 3 registers, 256 bytes of memory at
// 0x1000, a "program" that stops after a given number of slices.
#pragma once

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "stub/target.h"

namespace rw::stub::testing {

class FakeTarget : public Target, public SwBreakpointOps, public MonitorOps {
 public:
  bool offer_breakpoints = true;
  bool offer_monitor = true;
  std::vector<uint64_t> regs = {0x1122334455667788ull, 0x2, 0x1000};
  std::vector<uint8_t> memory = std::vector<uint8_t>(256, 0);
  std::set<uint64_t> breakpoints;
  int slices_until_stop = 3;  // a continue stops after this many slices (-1: never)
  int slices_run = 0;
  std::vector<ResumeRequest> resumes;
  StopEvent stop = StopEvent::signalled(5);
  std::string xml = "<target><architecture>fake</architecture></target>";
  int attaches = 0, detaches = 0;
  std::string refusal;  // reverse_refusal()
  std::string reverse_refusal() const override { return refusal; }

  const std::string& target_xml() const override { return xml; }
  size_t register_count() const override { return regs.size(); }
  size_t register_size(size_t) const override { return 8; }
  bool read_register(size_t n, std::span<uint8_t> out) override {
    if (n >= regs.size()) return false;
    std::memcpy(out.data(), &regs[n], 8);
    return true;
  }
  bool write_register(size_t n, std::span<const uint8_t> in) override {
    if (n >= regs.size()) return false;
    std::memcpy(&regs[n], in.data(), 8);
    return true;
  }
  int memory_writes = 0;  // write_memory calls, accepted or not
  bool inside(uint64_t addr, size_t len) const {
    return addr >= 0x1000 && len <= memory.size() && addr - 0x1000 <= memory.size() - len;
  }
  bool read_memory(uint64_t addr, std::span<uint8_t> out) override {
    if (!inside(addr, out.size())) return false;
    std::copy_n(memory.begin() + static_cast<long>(addr - 0x1000), out.size(), out.begin());
    return true;
  }
  bool write_memory(uint64_t addr, std::span<const uint8_t> in) override {
    ++memory_writes;
    if (!inside(addr, in.size())) return false;
    std::copy(in.begin(), in.end(), memory.begin() + static_cast<long>(addr - 0x1000));
    return true;
  }
  void resume(const ResumeRequest& r) override {
    resumes.push_back(r);
    slices_run = 0;
  }
  std::optional<StopEvent> run_slice() override {
    ++slices_run;
    if (resumes.empty() || resumes.back().kind == ResumeKind::kStep) return stop = StopEvent::signalled(5);
    if (slices_until_stop >= 0 && slices_run >= slices_until_stop) return stop;
    return std::nullopt;
  }
  StopEvent interrupt() override { return stop = StopEvent::signalled(2); }
  StopEvent last_stop() const override { return stop; }
  void attach() override { ++attaches; }
  void detach() override { ++detaches; }
  SwBreakpointOps* sw_breakpoints() override { return offer_breakpoints ? this : nullptr; }
  MonitorOps* monitor() override { return offer_monitor ? this : nullptr; }
  bool add_sw_breakpoint(uint64_t a) override { return breakpoints.insert(a).second; }
  bool remove_sw_breakpoint(uint64_t a) override { return breakpoints.erase(a) == 1; }
  std::string monitor(std::string_view cmd) override { return "you said " + std::string(cmd) + "\n"; }
};

}  // namespace rw::stub::testing
