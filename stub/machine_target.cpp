#include "stub/machine_target.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>
#include <utility>

#include "cpu/debugger.h"
#include "cpu/registers.h"
#include "session/exit_codes.h"
#include "stub/x86_registers.h"
#include "journal/recording_format.h"
#include "timeline/timeline.h"

namespace rw::stub {

StopEvent::Why why_for_watch(cpu::WatchKind kind) {
  switch (kind) {
    case cpu::WatchKind::kWrite: return StopEvent::Why::kWatch;
    case cpu::WatchKind::kRead: return StopEvent::Why::kReadWatch;
    case cpu::WatchKind::kAccess: return StopEvent::Why::kAccessWatch;
  }
  return StopEvent::Why::kWatch;
}


namespace {

cpu::WatchKind watch_kind(WatchType t) {
  switch (t) {
    case WatchType::kWrite: return cpu::WatchKind::kWrite;
    case WatchType::kRead: return cpu::WatchKind::kRead;
    case WatchType::kAccess: return cpu::WatchKind::kAccess;
  }
  return cpu::WatchKind::kWrite;
}

// `monitor events [FROM [TO]]`: the journal's events (state digests left out), numbered
// from 1 over the whole history, disk completions with their requests, the current
// position marked. Without a range, the 10 before now and the 10 after; never more than
// kMaxEventLines lines.
constexpr size_t kMaxEventLines = 1000;

}  // namespace

bool parse_monitor_number(std::string_view text, uint64_t& out) {
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty() || text.size() > 20) return false;
  uint64_t v = 0;
  for (char ch : text) {
    const int d = ch >= '0' && ch <= '9' ? ch - '0' : base == 16 && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : base == 16 && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
    if (d < 0 || v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

namespace {

std::string events_text(const Timeline& t, std::string_view args) {
  std::vector<std::string_view> words;
  while (!args.empty()) {
    const size_t sp = args.find(' ');
    if (sp != 0) words.push_back(args.substr(0, sp));
    if (sp == std::string_view::npos) break;
    args.remove_prefix(sp + 1);
  }
  const uint64_t now = t.now();
  const journal::EventIndex& index = t.event_index();
  size_t first = 0, last = index.size();  // [first, last)
  uint64_t from = 0, to = UINT64_MAX;
  if (words.size() > 2 || (words.size() >= 1 && !parse_monitor_number(words[0], from)) ||
      (words.size() == 2 && !parse_monitor_number(words[1], to)) || from > to)
    return "usage: monitor events [FROM [TO]] (instruction counts, FROM <= TO)\n";
  if (words.empty()) {
    const size_t at = index.first_after(now);
    first = at > 10 ? at - 10 : 0;
    last = std::min(index.size(), at + 10);
  } else {
    first = index.first_at_or_after(from);
    last = to == UINT64_MAX ? index.size() : index.first_after(to);
  }
  std::string out = fmt::format("{} events journaled{}; now at icount {}\n", index.size(), t.live() ? " so far" : "", now);
  bool marked = false;
  auto mark = [&] {
    out += fmt::format("--> now: icount {}\n", now);
    marked = true;
  };
  size_t lines = 0;
  for (size_t k = first; k < last; ++k) {
    const journal::Event& e = index.event(k);
    if (!marked && e.icount > now && (k == first || index.event(k - 1).icount <= now)) mark();
    if (++lines > kMaxEventLines) {
      out += fmt::format("... cut at {} events: ask for a narrower range\n", kMaxEventLines);
      return out;
    }
    out += index.row(k) + "\n";
  }
  const bool now_in_range = words.empty() || (from <= now && now <= to);
  if (!marked && now_in_range) mark();
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

MachineTarget::MachineTarget(Machine& machine, bool is64, uint64_t max_instructions,
                             std::function<int(const RunResult&)> exit_status)
    : machine_(machine),
      is64_(is64),
      limit_(max_instructions),
      xml_(x86_target_xml(is64, !(machine.cpu().cr0 & cpu::cr0::PE))),
      exit_status_(std::move(exit_status)) {}

int MachineTarget::signal_for_vector(uint8_t vector) {
  switch (vector) {
    case 0: return gdb_signal::kSigFpe;   // #DE
    case 1:                               // #DB
    case 3: return gdb_signal::kSigTrap;  // #BP
    case 6: return gdb_signal::kSigIll;   // #UD
    case 16:                              // #MF
    case 19: return gdb_signal::kSigFpe;  // #XM
    default: return gdb_signal::kSigSegv; // #PF, #GP, #SS, #NP, #TS, #DF, ...
  }
}

size_t MachineTarget::register_count() const { return x86_registers(is64_).size(); }

size_t MachineTarget::register_size(size_t regno) const {
  const auto& regs = x86_registers(is64_);
  return regno < regs.size() ? regs[regno].bytes : 0;
}

namespace {
// gdb's fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop.
cpu::Reg fpu_reg(unsigned index) {
  static constexpr cpu::Reg kRegs[8] = {cpu::Reg::kFcw, cpu::Reg::kFsw, cpu::Reg::kFtw, cpu::Reg::kFcs,
                                        cpu::Reg::kFip, cpu::Reg::kFds, cpu::Reg::kFdp, cpu::Reg::kFop};
  return kRegs[index & 7];
}
}  // namespace

bool MachineTarget::read_register(size_t regno, std::span<uint8_t> out) {
  const auto& regs = x86_registers(is64_);
  if (regno >= regs.size() || out.size() != regs[regno].bytes) return false;
  const X86RegInfo& r = regs[regno];
  cpu::Cpu& c = machine_.cpu();
  std::fill(out.begin(), out.end(), 0);
  if (r.kind == X86Reg::kXmm) {
    std::memcpy(out.data(), c.xmm[r.index].q, 16);
    return true;
  }
  if (r.kind == X86Reg::kSt) {
    const cpu::F80& f = c.x87.regs[cpu::x87_physical(c, r.index)];
    std::memcpy(out.data(), &f.significand, 8);
    std::memcpy(out.data() + 8, &f.sign_exponent, 2);
    return true;
  }
  uint64_t v = 0;
  switch (r.kind) {
    case X86Reg::kGpr: v = c.gpr[r.index]; break;
    case X86Reg::kPc: v = c.rip; break;
    case X86Reg::kFlags: v = cpu::get_rflags(c); break;
    case X86Reg::kSeg: v = c.seg[r.index].selector; break;
    case X86Reg::kFpu: v = cpu::read_register(c, fpu_reg(r.index)); break;
    case X86Reg::kMxcsr: v = c.mxcsr; break;
    case X86Reg::kSegBase: v = c.seg[r.index].base; break;
    case X86Reg::kSt:
    case X86Reg::kXmm: break;
  }
  for (size_t i = 0; i < out.size() && i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return true;
}

bool MachineTarget::write_register(size_t regno, std::span<const uint8_t> in) {
  const auto& regs = x86_registers(is64_);
  if (regno >= regs.size() || in.size() != regs[regno].bytes) return false;
  const X86RegInfo& r = regs[regno];
  auto write = [this](cpu::Reg reg, uint64_t v) {
    return writers_.reg ? writers_.reg(reg, v) : cpu::write_register(machine_.cpu(), reg, v);
  };
  if (r.kind == X86Reg::kXmm) {
    uint64_t half[2];
    std::memcpy(half, in.data(), 16);
    return write(cpu::xmm_reg(r.index, false), half[0]) && write(cpu::xmm_reg(r.index, true), half[1]);
  }
  if (r.kind == X86Reg::kSt) {  // the physical register ST(i) is now
    const cpu::Cpu& c = machine_.cpu();
    const unsigned physical = cpu::x87_physical(c, r.index);
    uint64_t significand = 0;
    uint16_t sign_exponent = 0;
    std::memcpy(&significand, in.data(), 8);
    std::memcpy(&sign_exponent, in.data() + 8, 2);
    return write(cpu::fpr_reg(physical, false), significand) && write(cpu::fpr_reg(physical, true), sign_exponent);
  }
  uint64_t v = 0;
  for (size_t i = 0; i < in.size() && i < 8; ++i) v |= uint64_t{in[i]} << (8 * i);
  cpu::Reg reg;
  switch (r.kind) {
    case X86Reg::kGpr: reg = cpu::gpr_reg(r.index); break;
    case X86Reg::kPc: reg = cpu::Reg::kRip; break;
    case X86Reg::kFlags: reg = cpu::Reg::kRflags; break;
    case X86Reg::kSegBase: reg = cpu::segment_base_reg(r.index); break;
    case X86Reg::kMxcsr: reg = cpu::Reg::kMxcsr; break;
    case X86Reg::kFpu: reg = fpu_reg(r.index); break;
    // Loading a selector needs a descriptor and its checks. Writes to selectors are accepted
    // and ignored, so that `G` packets work.
    case X86Reg::kSeg: return true;
    default: return false;
  }
  return write(reg, v);
}

bool MachineTarget::read_memory(uint64_t addr, std::span<uint8_t> out) {
  return machine_.read_virtual(addr, out.data(), out.size());
}

bool MachineTarget::write_memory(uint64_t addr, std::span<const uint8_t> in) {
  return writers_.memory ? writers_.memory(addr, in) : machine_.write_virtual(addr, in.data(), in.size());
}

void MachineTarget::attach() {
  // A new debugger knows nothing of what an earlier one (gone without detaching) had set.
  sw_.clear();
  hw_.clear();
  machine_.debugger().clear();
  attached_ = true;
}

void MachineTarget::detach() {
  sw_.clear();
  hw_.clear();
  machine_.detach_debug();
  attached_ = false;
}

void MachineTarget::resume(const ResumeRequest& request) {
  request_ = request;
  first_slice_ = true;
  // The instruction under a breakpoint at the current address runs: gdb resumes from a
  // breakpoint it reported (or one it just set where the guest stands) by executing it.
  if (attached_) machine_.debugger().set_step_over_breakpoint(true);
}

RunResult MachineTarget::run_until(uint64_t target) {
  const auto start = std::chrono::steady_clock::now();
  RunResult r = runner_ ? runner_(target) : machine_.run(target);
  run_time_ += std::chrono::steady_clock::now() - start;
  return r;
}

std::optional<StopEvent> MachineTarget::run_slice() {
  const bool step = request_.kind == ResumeKind::kStep;
  cpu::Cpu& c = machine_.cpu();
  const bool first = std::exchange(first_slice_, false);
  if (first && end_) return last_stop_ = *end_;  // resumed at the end: it ends now
  if (first && at_exception_) {
    at_exception_ = false;
    // Stopped before an exception was delivered. One caught by `catch exceptions` goes to
    // the guest now. A fatal one is delivered only if gdb passes the signal on (the guest
    // then dies, as a process would); otherwise the instruction runs again and faults again.
    if (exception_was_caught_ || request_.signal != 0) {
      delivered_signal_ = signal_for_vector(machine_.debugger().stop().vector);
      RunResult r = machine_.deliver_stopped_exception();  // no instruction runs
      if (r.reason != cpu::StopReason::kShutdown) delivered_signal_ = 0;
      // A step ends at the handler's first instruction, not after it.
      if (step || r.reason != cpu::StopReason::kTarget) return stop_for(r, step);
    }
  }
  uint64_t target = c.icount + (step ? 1 : kSliceInstructions);
  if (limit_) target = std::min(target, limit_);
  RunResult r = run_until(target);
  if (r.reason == cpu::StopReason::kTarget && !step && !(limit_ && c.icount >= limit_)) return std::nullopt;
  return stop_for(r, step);
}

StopEvent MachineTarget::stop_for(const RunResult& r, bool stepping) {
  StopEvent e = StopEvent::signalled(gdb_signal::kSigTrap);
  auto ended = [&](StopEvent ev) {
    final_result_ = r;
    return ev;
  };
  switch (r.reason) {
    case cpu::StopReason::kTarget:
      if (limit_ && machine_.cpu().icount >= limit_) e = ended(StopEvent::exited(exit_status_(r)));
      break;  // a finished step
    case cpu::StopReason::kHalted:
      // A debugger can still look at a hung guest; without one, it is the end.
      if (!attached_) e = ended(StopEvent::exited(exit_status_(r)));
      break;
    case cpu::StopReason::kShutdown:
      // Killed by the exception gdb passed on, as a process by its signal; any other
      // triple fault (e.g. during an instruction fetch) reads as a segmentation fault.
      e = ended(StopEvent::terminated(delivered_signal_ ? delivered_signal_ : gdb_signal::kSigSegv));
      break;
    case cpu::StopReason::kReset:
    case cpu::StopReason::kNoFirmware: e = ended(StopEvent::exited(exit_status_(r))); break;
    case cpu::StopReason::kExit: e = ended(StopEvent::exited(r.exit_code & 0xFF)); break;
    case cpu::StopReason::kBreakpoint: {
      e.why = why_for_breakpoint(machine_.debugger().stop().address);
      break;
    }
    case cpu::StopReason::kWatchpoint:
      e.why = why_for_watch(machine_.debugger().stop().watch_kind);
      e.address = machine_.debugger().stop().address;
      break;
    case cpu::StopReason::kException:
      at_exception_ = true;
      exception_was_caught_ = machine_.debugger().catch_all_exceptions();
      e.signal = signal_for_vector(machine_.debugger().stop().vector);
      break;
    case cpu::StopReason::kRequested: e.signal = gdb_signal::kSigInt; break;
    case cpu::StopReason::kNone: break;
  }
  if (e.ended() && end_stop_ && attached_) {
    // The end is a place too: stop there first, with everything as the guest left it.
    end_ = e;
    e = StopEvent::signalled(gdb_signal::kSigTrap);
    e.console = fmt::format("rewind: the guest {}: `continue` ends it{}\n", ending_text(*end_, r),
                            can_go_back_ ? ", or go back (reverse-stepi, reverse-continue)" : "");
  }
  last_stop_ = e;
  return e;
}

std::string MachineTarget::ending_text(const StopEvent& end, const RunResult& r) const {
  switch (r.reason) {
    case cpu::StopReason::kExit: return fmt::format("is exiting with status {}", end.exit_status);
    case cpu::StopReason::kTarget:
      if (end.exit_status == session::kExitWindowEnd)
        return fmt::format("reached the end of the trimmed window ({} instructions; exit status {})",
                           machine_.cpu().icount, end.exit_status);
      return fmt::format("reached the instruction limit ({} instructions; exit status {})", machine_.cpu().icount,
                         end.exit_status);
    case cpu::StopReason::kReset: return fmt::format("asked for a reset (exit status {})", end.exit_status);
    case cpu::StopReason::kShutdown: return fmt::format("is dying: {}", r.message);
    case cpu::StopReason::kNoFirmware: return fmt::format("ends: {} (exit status {})", r.message, end.exit_status);
    default: return r.message;
  }
}

void MachineTarget::moved_in_time(const StopEvent& stop) {
  end_.reset();
  at_exception_ = false;
  exception_was_caught_ = false;
  delivered_signal_ = 0;
  last_stop_ = stop;
}

StopEvent MachineTarget::interrupt() {
  last_stop_ = StopEvent::signalled(gdb_signal::kSigInt);
  return last_stop_;
}

// Breakpoints go straight into the CPU's set, O(log n) each; the code cache learns of
// them once, when the guest next runs (DebugState::changed), however many changed.
bool MachineTarget::add_breakpoint(std::set<uint64_t>& mine, uint64_t addr) {
  if (!machine_.debugger().add_breakpoint(addr)) return false;
  mine.insert(addr);
  return true;
}

bool MachineTarget::remove_breakpoint(std::set<uint64_t>& mine, const std::set<uint64_t>& other, uint64_t addr) {
  if (!mine.erase(addr)) return true;  // nothing there: removing it again is harmless
  if (!other.count(addr)) machine_.debugger().remove_breakpoint(addr);
  return true;
}

bool MachineTarget::add_sw_breakpoint(uint64_t addr) { return add_breakpoint(sw_, addr); }
bool MachineTarget::remove_sw_breakpoint(uint64_t addr) { return remove_breakpoint(sw_, hw_, addr); }
bool MachineTarget::add_hw_breakpoint(uint64_t addr) { return add_breakpoint(hw_, addr); }
bool MachineTarget::remove_hw_breakpoint(uint64_t addr) { return remove_breakpoint(hw_, sw_, addr); }

bool MachineTarget::watchable(uint64_t addr, uint64_t len) const {
  if (len == 0 || addr + (len - 1) < addr) return false;  // empty, or wraps past 2^64
  const uint64_t last = addr + (len - 1);
  if (!is64_) return addr <= 0xFFFFFFFF;  // some of it below 4 GiB
  // Some of it canonical: below 2^47, or at or above 2^64 - 2^47.
  constexpr uint64_t kLowEnd = uint64_t{1} << 47, kHighStart = ~uint64_t{0} << 47;
  return addr < kLowEnd || last >= kHighStart;
}

bool MachineTarget::add_watchpoint(uint64_t addr, uint64_t len, WatchType type) {
  return watchable(addr, len) && machine_.debugger().add_watchpoint({addr, len, watch_kind(type)});
}

bool MachineTarget::remove_watchpoint(uint64_t addr, uint64_t len, WatchType type) {
  return machine_.debugger().remove_watchpoint({addr, len, watch_kind(type)});
}

std::string MachineTarget::info_registers() {
  cpu::Cpu& c = machine_.cpu();
  std::string s;
  static const char* const k64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (int i = 0; i < 16; ++i) s += fmt::format("{:<6} 0x{:016x}{}", k64[i], c.gpr[i], i % 2 ? "\n" : "   ");
  s += fmt::format("rip    0x{:016x}   rflags 0x{:08x}\n", c.rip, cpu::get_rflags(c));
  static const char* const kSeg[] = {"es", "cs", "ss", "ds", "fs", "gs"};
  for (int i = 0; i < 6; ++i)
    s += fmt::format("{}     0x{:04x} base 0x{:016x} limit 0x{:08x} attr 0x{:04x}\n", kSeg[i], c.seg[i].selector,
                     c.seg[i].base, c.seg[i].limit, c.seg[i].attr);
  s += fmt::format("cr0    0x{:016x}   cr2    0x{:016x}\n", c.cr0, c.cr2);
  s += fmt::format("cr3    0x{:016x}   cr4    0x{:016x}\n", c.cr3, c.cr4);
  s += fmt::format("efer   0x{:016x}\n", c.efer);
  s += fmt::format("gdtr   base 0x{:016x} limit 0x{:04x}\n", c.gdtr.base, c.gdtr.limit);
  s += fmt::format("idtr   base 0x{:016x} limit 0x{:04x}\n", c.idtr.base, c.idtr.limit);
  s += fmt::format("cpl    {}   mode {}\n", c.cpl,
                   c.code_size == cpu::CodeSize::k64 ? "64-bit" : c.code_size == cpu::CodeSize::k32 ? "32-bit" : "16-bit");
  return s;
}

std::string MachineTarget::monitor(std::string_view command) {
  const std::string cmd = trim(command);
  if (cmd == "help" || cmd.empty()) {
    return "monitor commands:\n"
           "  help                      this list\n"
           "  info registers            general, segment, control and descriptor-table registers\n"
           "  icount                    instructions retired so far (guest time)\n"
           "  stats                     instructions, run time, MIPS, unimplemented-opcode #UDs\n"
           "  catch exceptions on|off   stop before every exception is delivered (default: only\n"
           "                            exceptions the guest cannot handle)\n" +
           std::string(timeline_ ? "  when                      where the guest is in its recorded history, and its "
                                   "snapshots\n"
                                   "  events [FROM [TO]]        the journaled deliveries (disk completions, serial "
                                   "input, ...)\n"
                                   "                            between two instruction counts, or around now\n"
                                   "  seek ICOUNT | seek event N  go there (gdb keeps showing the old registers and\n"
                                   "                            frames until `maintenance flush register-cache`\n"
                                   "                            or a step)\n"
                                 : "");
  }
  if ((cmd == "events" || cmd.rfind("events ", 0) == 0) && timeline_)
    return events_text(*timeline_, std::string_view(cmd).substr(6));
  if (cmd == "when" && timeline_) {
    const Timeline& t = *timeline_;
    const uint64_t nearest = t.snapshot_icount(t.snapshot_at_or_before(t.now()));
    return fmt::format("icount {} of {} recorded; {} snapshots ({:.1f} MiB), the nearest at or before now at {} "
                       "({} instructions back)\n",
                       t.now(), t.end(), t.snapshot_count(), static_cast<double>(t.snapshot_bytes()) / 1048576.0,
                       nearest, t.now() - nearest);
  }
  if (cmd == "info registers" || cmd == "info reg" || cmd == "info registers all") return info_registers();
  if (cmd == "icount") return fmt::format("icount {}\n", machine_.cpu().icount);
  if (cmd == "stats") {
    const double seconds = std::chrono::duration<double>(run_time_).count();
    const auto& c = machine_.cpu();
    return fmt::format(
        "instructions retired: {}\nrun time: {:.3f} s\nspeed: {:.1f} MIPS\nunimplemented-opcode #UDs: {}\n", c.icount,
        seconds, seconds > 0 ? static_cast<double>(c.icount) / seconds / 1e6 : 0.0, c.unimplemented_count);
  }
  if (cmd.rfind("catch exceptions", 0) == 0) {
    const std::string arg = trim(std::string_view(cmd).substr(16));
    cpu::Debugger d = machine_.debugger();
    if (arg == "on")
      d.set_catch_all_exceptions(true);
    else if (arg == "off")
      d.set_catch_all_exceptions(false);
    else if (!arg.empty())
      return "usage: monitor catch exceptions on|off\n";
    return fmt::format("catch exceptions: {}\n", d.catch_all_exceptions() ? "on (every exception stops)"
                                                                          : "off (only fatal exceptions stop)");
  }
  return fmt::format("unknown monitor command '{}'; try 'monitor help'\n", cmd);
}

}  // namespace rw::stub
