#include "machine/machine.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "cpu/code_cache.h"
#include "cpu/debug.h"
#include "cpu/exec.h"
#include "cpu/interrupts.h"
#include "block/disks.h"
#include "devices/ata.h"
#include "devices/cga.h"
#include "devices/fpu_error.h"
#include "devices/debug_exit.h"
#include "devices/io_apic.h"
#include "devices/local_apic.h"
#include "devices/kbc8042.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/post_port.h"
#include "devices/reset_control.h"
#include "devices/rtc_cmos.h"
#include "devices/uart16550.h"

namespace rw {

Machine::Machine(const MachineConfig& config)
    : config_(config),
      memory_(config.memory_bytes),
      stop_request_{[](void* m, uint32_t value) { static_cast<Machine*>(m)->request_exit(value); },
                    [](void* m, const char* how) { static_cast<Machine*>(m)->request_reset(how); }, this},
      code_cache_(cpu::make_code_cache(config.engine.value_or(cpu::default_engine()))),
      uart_(std::make_unique<Uart16550>(config.serial_out)),
      reset_control_(std::make_unique<ResetControl>(stop_request_)) {
  cpu_.mem = &memory_;
  cpu_.io = &io_;
  cpu_.mmio = &mmio_;
  cpu_.code = code_cache_.get();

  uart_->attach(io_);
  reset_control_->attach(io_);
  attach_debug_exit(io_, stop_request_);
  attach_post_port(io_);
  wire_pc_devices();
  ata_ = std::make_unique<AtaController>(irq_line(14), irq_line(15));
  ata_->attach(io_);
}

void Machine::attach_disks(std::unique_ptr<block::Disks> disks) {
  disks_ = std::move(disks);
  for (int p = 0; p < block::Disks::kPositions; ++p) ata_->set_drive(p, disks_->device(p));
  add_external_source(&disks_->source());
}

Machine::~Machine() { flush_output(); }

void Machine::enter_multiboot(uint32_t entry, uint32_t multiboot_info) {
  cpu::enter_multiboot_state(cpu_, entry, multiboot_info);
}

namespace {

// The port the BIOS stubs of a disk boot write their vector to (unused on a PC).
constexpr uint16_t kFirmwareTrapPort = 0xEF;
constexpr uint32_t kStubSegment = 0xF000, kStubOffset = 0xE000, kStubBytes = 16;

// A vector's stub: the PIC's IRQs acknowledge and return; the others report and stop.
std::vector<uint8_t> bios_stub(unsigned vector) {
  const bool master_irq = vector >= 0x08 && vector <= 0x0F, slave_irq = vector >= 0x70 && vector <= 0x77;
  if (master_irq) return {0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF};  // push ax; mov al,20h; out 20h,al; pop ax; iret
  if (slave_irq) return {0x50, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF};  // ... out 0A0h,al; out 20h,al ...
  // mov al, vector; out kFirmwareTrapPort, al; cli; hlt; jmp $-2 (the out ends the run)
  return {0xB0, static_cast<uint8_t>(vector), 0xE6, static_cast<uint8_t>(kFirmwareTrapPort), 0xFA, 0xF4, 0xEB, 0xFD};
}

}  // namespace

void Machine::enter_boot_sector(const uint8_t (&sector)[512]) {
  memory_.write(kBootSectorAddress, sector, sizeof sector);
  for (unsigned v = 0; v < 256; ++v) {
    const uint32_t offset = kStubOffset + v * kStubBytes;
    const uint32_t ivt_entry = (kStubSegment << 16) | offset;
    memory_.write(v * 4, &ivt_entry, 4);
    const std::vector<uint8_t> stub = bios_stub(v);
    memory_.write((kStubSegment << 4) + offset, stub.data(), stub.size());
  }
  io_.map(kFirmwareTrapPort, 1,
          PortHandler{this, [](void*, uint16_t, unsigned) -> uint32_t { return 0xFF; },
                      [](void* machine, uint16_t, unsigned, uint32_t value) {
                        static_cast<Machine*>(machine)->request_no_firmware(static_cast<uint8_t>(value));
                      }});
  cpu::enter_boot_sector_state(cpu_, static_cast<uint16_t>(kBootSectorAddress), 0x80,
                               static_cast<uint16_t>(kBootSectorAddress));
}

void Machine::request_no_firmware(uint8_t vector) {
  if (pending_.reason != cpu::StopReason::kNone) return;
  // The caller's return address is on top of its stack: IP, CS (the stub pushed nothing).
  // An INT n (CD n) ends just before it; anything else (an exception, an IRQ at a vector
  // the PIC does not use) is named by where it returns to.
  uint16_t frame[2] = {0, 0};
  const uint64_t sp = cpu_.seg[cpu::SS].base + (cpu_.gpr[cpu::RSP] & 0xFFFF);
  if (memory_.contains(sp, sizeof frame)) memory_.read(sp, frame, sizeof frame);
  const uint64_t int_at = (uint64_t{frame[1]} << 4) + static_cast<uint16_t>(frame[0] - 2);
  uint8_t insn[2] = {0, 0};
  if (memory_.contains(int_at, sizeof insn)) memory_.read(int_at, insn, sizeof insn);
  pending_.reason = cpu::StopReason::kNoFirmware;
  if (insn[0] == 0xCD && insn[1] == vector)
    pending_.message = fmt::format(
        "the guest called the BIOS (int 0x{:02x}, AH=0x{:02x}) at {:04x}:{:04x}, but a disk boots here without a BIOS: "
        "the boot code must do its own I/O",
        vector, (cpu_.gpr[cpu::RAX] >> 8) & 0xFF, frame[1], static_cast<uint16_t>(frame[0] - 2));
  else
    pending_.message = fmt::format(
        "the guest took interrupt 0x{:02x} in real mode (returning to {:04x}:{:04x}), which has no handler: a disk "
        "boots here without a BIOS",
        vector, frame[1], frame[0]);
  cpu_.stop_reason = cpu::StopReason::kNoFirmware;
  cpu_.stop_requested = true;
}

void Machine::request_exit(uint32_t value) {
  // Only the first request counts: the guest stops at the end of this instruction.
  if (pending_.reason != cpu::StopReason::kNone) return;
  pending_.reason = cpu::StopReason::kExit;
  pending_.exit_code = static_cast<int>((value << 1) | 1);
  pending_.message = fmt::format("guest exited through isa-debug-exit with value {} (status {})", value,
                                 pending_.exit_code & 0xFF);
  cpu_.stop_reason = cpu::StopReason::kExit;
  cpu_.stop_requested = true;
}

void Machine::request_stop(const std::string& message) {
  if (pending_.reason != cpu::StopReason::kNone) return;
  pending_.reason = cpu::StopReason::kRequested;
  pending_.message = message;
  cpu_.stop_requested = true;
}

void Machine::request_reset(const char* how) {
  if (pending_.reason != cpu::StopReason::kNone) return;
  pending_.reason = cpu::StopReason::kReset;
  pending_.message = fmt::format("guest requested a reset ({})", how);
  cpu_.stop_reason = cpu::StopReason::kReset;
  cpu_.stop_requested = true;
}

void Machine::flush_output() { uart_->flush(); }

uint64_t Machine::code_cache_flushes() const { return code_cache_->flushes(); }

void Machine::service_events() {
  // Timers that fell due while the machine skipped ahead (idle in HLT past timers whose IRQ
  // is masked, up to the next wake-up or the end of the run) fire at their own deadlines, in
  // order: a device reads the time it is due, not how far a run happened to skip, so a run
  // stopped and resumed anywhere reaches the same states as a straight one.
  const uint64_t now = cpu_.icount;
  for (uint64_t due; (due = scheduler_.next_deadline()) < now;) {
    cpu_.icount = due;
    scheduler_.run_due(due);
  }
  cpu_.icount = now;
  scheduler_.run_due(now);
  for (ExternalSource* s : sources_) s->poll(now);
}

uint64_t Machine::next_event_deadline() const {
  uint64_t next = scheduler_.next_deadline();
  for (const ExternalSource* s : sources_) next = std::min(next, s->next_deadline());
  return next;
}

// While the CPU idles in HLT, timers whose IRQ is masked cannot wake it: skip to the
// first one that can (the others fire on the way, in order).
uint64_t Machine::next_wake_deadline() const {
  uint64_t next = pic_ ? scheduler_.next_wake_deadline([this](unsigned irq) { return isa_irq_can_interrupt(irq); })
                       : scheduler_.next_deadline();
  for (const ExternalSource* s : sources_) next = std::min(next, s->next_deadline());
  return next;
}

bool Machine::sources_busy() const {
  for (const ExternalSource* s : sources_)
    if (s->busy()) return true;
  return false;
}

RunResult Machine::run(uint64_t target) {
  cpu::StopReason reason = cpu::StopReason::kNone;
  while (pending_.reason == cpu::StopReason::kNone) {
    const uint64_t now = cpu_.icount;
    if (now >= target || host_stop_.load(std::memory_order_relaxed)) {
      reason = cpu::StopReason::kTarget;
      break;
    }
    // Run up to the next timer or journaled event, and poll host completions regularly.
    const uint64_t stop_at = std::min({target, next_event_deadline(), now + kPollInterval});
    scheduler_.set_horizon(stop_at);
    reason = stop_at > now ? cpu::run(cpu_, stop_at) : cpu::StopReason::kTarget;
    scheduler_.set_horizon(0);
    // A timer armed during the run stopped it early: plan again from here.
    if (std::exchange(replan_, false) && reason == cpu::StopReason::kRequested) reason = cpu::StopReason::kTarget;
    service_events();
    uart_->flush_pending();
    if (reason == cpu::StopReason::kTarget) continue;
    if (reason != cpu::StopReason::kHalted) break;

    // HLT: sleep until the next event instead of spinning.
    if (cpu_.intr && (cpu_.rflags_stored & cpu::rflags::IF)) continue;  // the CPU takes it now
    if (!(cpu_.rflags_stored & cpu::rflags::IF)) break;                   // nothing can wake it: a hang
    const uint64_t next = next_wake_deadline();
    if (next != Scheduler::kNever) {
      // With host I/O outstanding, idle guest time passes no faster than host time (an
      // instruction is a nanosecond), so a completion arrives after a realistic idle span
      // rather than after every timer tick of the wait has been skipped through.
      const uint64_t until = std::min(next, target);
      if (until > cpu_.icount && sources_busy()) {
        const auto start = std::chrono::steady_clock::now();
        if (wakeup_.wait_for(wakeups_seen_, std::chrono::nanoseconds(until - cpu_.icount))) {
          const auto waited = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
          cpu_.icount = std::min(until, cpu_.icount + static_cast<uint64_t>(waited.count()));
          for (ExternalSource* s : sources_) s->idle_advanced(cpu_.icount);
          service_events();
          continue;
        }
      }
      cpu_.icount = std::max(cpu_.icount, std::min(next, target));  // guest time passes while idle
      service_events();
      continue;
    }
    if (!sources_busy()) break;  // waiting for an interrupt that can never come
    wakeup_.wait(wakeups_seen_);
    service_events();
  }
  flush_output();

  // A nudge to end the CPU's run (a delivery the debugger stops at, an early timer) that
  // came after the loop's last run has done its job: the machine stops here. Left set, it
  // would end the next run before its first instruction (and a due interrupt would not be
  // taken at this stop: take_due_interrupt's run would end at once).
  if (pending_.reason == cpu::StopReason::kNone) cpu_.stop_requested = false;

  RunResult result;
  if (pending_.reason != cpu::StopReason::kNone) {
    // A device stopped the CPU; whatever the loop called it, the device knows why.
    result = std::move(pending_);
    pending_ = RunResult{};
    cpu_.stop_requested = false;
    return result;
  }

  result.reason = reason;
  switch (reason) {
    case cpu::StopReason::kTarget:
    case cpu::StopReason::kNone:
      result.reason = cpu::StopReason::kTarget;
      result.message = fmt::format("instruction limit reached ({} instructions)", cpu_.icount);
      break;
    case cpu::StopReason::kHalted:
      if (cpu_.rflags_stored & cpu::rflags::IF)
        result.message = fmt::format("guest halted waiting for an interrupt that can never come (hang) at rip=0x{:x}",
                                     cpu_.rip);
      else
        result.message = fmt::format("guest halted with interrupts disabled (hang) at rip=0x{:x}", cpu_.rip);
      break;
    case cpu::StopReason::kShutdown:
      result.message = "triple fault: " + cpu::shutdown_description(cpu_);
      break;
    case cpu::StopReason::kReset:
      result.message = "guest requested a reset";
      break;
    case cpu::StopReason::kNoFirmware:
      result.message = "the guest called the BIOS";
      break;
    case cpu::StopReason::kExit:
      result.message = "guest exited";
      result.exit_code = 1;
      break;
    case cpu::StopReason::kRequested:
      result.message = "stopped on request";
      cpu_.stop_requested = false;
      break;
    case cpu::StopReason::kBreakpoint:
      result.message = fmt::format("breakpoint at 0x{:x}", debug_->stop.address);
      break;
    case cpu::StopReason::kWatchpoint:
      result.message = fmt::format("watchpoint at 0x{:x} hit", debug_->stop.address);
      break;
    case cpu::StopReason::kException:
      result.message = fmt::format("exception {} at rip=0x{:x}", debug_->stop.vector, cpu_.rip);
      break;
  }
  return result;
}

cpu::Engine Machine::engine() const {
  return code_cache_->translator() ? cpu::Engine::kTranslator : cpu::Engine::kInterpreter;
}

cpu::DebugState& Machine::debug() {
  if (!debug_) debug_ = std::make_unique<cpu::DebugState>();
  cpu_.debug = debug_.get();
  return *debug_;
}

void Machine::debug_changed() { cpu::debug_changed(cpu_); }

bool Machine::set_debug_armed(bool armed) {
  const bool was = cpu_.debug != nullptr;
  cpu_.debug = armed ? debug_.get() : nullptr;
  // Traces and TLB entries made while disarmed know nothing of breakpoints and watched
  // pages: the next run rebuilds them.
  if (cpu_.debug) cpu_.debug->changed = true;
  return was;
}

RunResult Machine::deliver_stopped_exception() {
  const cpu::DebugStop& s = debug().stop;
  cpu::deliver_exception(cpu_, cpu::GuestFault{s.vector, s.has_error, s.error});
  RunResult r;
  if (cpu_.stop_reason == cpu::StopReason::kShutdown) {
    cpu_.stop_reason = cpu::StopReason::kNone;
    cpu_.stop_requested = false;
    r.reason = cpu::StopReason::kShutdown;
    r.message = "triple fault: " + cpu::shutdown_description(cpu_);
  } else {
    r.reason = cpu::StopReason::kTarget;
  }
  return r;
}

void Machine::set_event_taken_observer(std::function<void(const cpu::TakenEvent&)> observer) {
  event_taken_observer_ = std::move(observer);
  cpu_.event_taken_context = this;
  cpu_.event_taken = nullptr;
  if (event_taken_observer_)
    cpu_.event_taken = [](void* machine, const cpu::TakenEvent& e) { static_cast<Machine*>(machine)->event_taken_observer_(e); };
}

bool Machine::take_due_interrupt() {
  if (!cpu_.intr || !(cpu_.rflags_stored & cpu::rflags::IF) || cpu_.icount < cpu_.interrupt_shadow_until) return false;
  // The CPU delivers it at the top of its next run, and stops right after (before any
  // instruction) when asked to stop after deliveries: ask, with the debugger armed for
  // this one call, and put both back as they were.
  cpu::DebugState* const armed = cpu_.debug;
  cpu::DebugState& d = debug();
  const bool stop_after = std::exchange(d.stop_after_delivery, true);
  const uint64_t at = cpu_.icount;
  cpu::run(cpu_, at + 1);
  d.stop_after_delivery = stop_after;
  if (cpu_.debug != armed) {
    cpu_.debug = armed;
    if (armed) armed->changed = true;
  }
  return cpu_.icount == at && past_delivery();
}

void Machine::detach_debug() {
  cpu_.debug = nullptr;
  debug_.reset();
  cpu::debug_changed(cpu_);
}

bool Machine::virtual_range_ok(uint64_t addr, size_t len) const {
  if (len == 0) return true;
  const uint64_t last = addr + (len - 1);
  if (last < addr) return false;  // wraps past 2^64
  return cpu_.long_mode() || last <= 0xFFFFFFFF;  // linear addresses are 32 bits there
}

bool Machine::read_virtual(uint64_t addr, void* out, size_t len) {
  if (!virtual_range_ok(addr, len)) return false;
  auto* dst = static_cast<uint8_t*>(out);
  while (len > 0) {
    uint64_t phys;
    size_t n = std::min<uint64_t>(len, 4096 - (addr & 4095));
    if (!cpu::debug_translate(cpu_, addr, phys) || !memory_.contains(phys, n)) return false;
    memory_.read(phys, dst, n);
    dst += n;
    addr += n;
    len -= n;
  }
  return true;
}

bool Machine::virtual_to_physical(uint64_t addr, size_t len, std::vector<PhysicalPiece>& out) {
  out.clear();
  if (!virtual_range_ok(addr, len)) return false;
  for (size_t done = 0; done < len;) {
    uint64_t phys;
    const size_t n = std::min<uint64_t>(len - done, 4096 - (addr & 4095));
    if (!cpu::debug_translate(cpu_, addr, phys) || !memory_.contains(phys, n)) {
      out.clear();
      return false;
    }
    out.push_back({phys, done, n});
    done += n;
    addr += n;
  }
  return true;
}

bool Machine::write_physical(uint64_t phys, const void* in, size_t len) {
  if (!memory_.contains(phys, len)) return false;
  if (len == 0) return true;
  memory_.write(phys, in, len);
  // The code chunks are tracked per page: look at each page the write touches.
  bool code_touched = false;
  for (uint64_t a = phys, end = phys + len; a < end;) {
    const uint64_t n = std::min<uint64_t>(end - a, 4096 - (a & 4095));
    if (memory_.code_chunks(a >> 12) & PhysicalMemory::chunk_mask(a & 4095, n)) code_touched = true;
    a += n;
  }
  if (code_touched) code_cache_->flush(cpu_);
  return true;
}

bool Machine::write_virtual(uint64_t addr, const void* in, size_t len) {
  // Every page is checked first, so that a failed write changes nothing.
  std::vector<PhysicalPiece> pieces;
  if (!virtual_to_physical(addr, len, pieces)) return false;
  const auto* src = static_cast<const uint8_t*>(in);
  for (const PhysicalPiece& p : pieces) write_physical(p.phys, src + p.offset, p.len);
  return true;
}

}  // namespace rw
