// The interrupt controller, timer and clock of the PC, and how they hang together:
// PIC -> CPU INTR, devices -> Machine::set_irq -> PIC, device timers -> Scheduler.

#include "cpu/insn.h"
#include "cpu/code_cache.h"
#include "devices/cga.h"
#include "devices/kbc8042.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc_cmos.h"
#include "devices/uart16550.h"
#include "machine/machine.h"

namespace rw {

namespace {

// The PIC masks SeaBIOS leaves behind (read back on QEMU): IRQ 0, 1, 2, 6, 8, 12, 13
// and 14 open.
constexpr uint8_t kBiosMasterMask = 0xB8, kBiosSlaveMask = 0x8E;

// Inside a trace, Cpu::icount is the count at the trace's start and Cpu::current the
// instruction running (an IN or OUT, when a device asks).
uint64_t exact_icount(const void* cpu) {
  const auto& c = *static_cast<const cpu::Cpu*>(cpu);
  return c.trace_begin && c.current ? c.icount + c.current->idx : c.icount;
}

}  // namespace

uint64_t Machine::exact_icount() const { return rw::exact_icount(&cpu_); }

IrqLine Machine::irq_line(unsigned irq) {
  return IrqLine{[](void* machine, unsigned line, bool level) { static_cast<Machine*>(machine)->set_irq(line, level); },
                 this, irq};
}

void Machine::wire_pc_devices() {
  // The machine never reads the host clock: whoever builds it passes the time in (rewind run
  // passes the host's, a replay the recorded one); unset, it is a fixed date.
  if (!config_.rtc_base_unix_seconds) config_.rtc_base_unix_seconds = kDefaultRtcBaseUnixSeconds;

  scheduler_.on_early_timer(
      [](void* machine) {
        auto* m = static_cast<Machine*>(machine);
        m->replan_ = true;
        m->cpu_.stop_requested = true;
      },
      this);

  const GuestClock clock{rw::exact_icount, &cpu_};
  pic_ = std::make_unique<Pic8259>(cpu_.intr);
  pic_->attach(io_);
  attach_interrupt_controller(Pic8259::set_irq_thunk, pic_.get());
  cpu_.acknowledge_interrupt = Pic8259::acknowledge_thunk;
  cpu_.interrupt_controller = pic_.get();

  pit_ = std::make_unique<Pit8254>(scheduler_, clock, irq_line(0));
  pit_->attach(io_);

  rtc_ = std::make_unique<RtcCmos>(scheduler_, clock, irq_line(8), *config_.rtc_base_unix_seconds);
  rtc_->attach(io_);
  rtc_->set_memory_size(config_.memory_bytes);

  uart_->connect(scheduler_, clock, irq_line(4));

  if (config_.keyboard_controller_and_cga) {
    // Takes port 0x64 over from ResetControl (which answers it on the older machine).
    kbc_ = std::make_unique<Kbc8042>(
        stop_request_, irq_line(1),
        A20Line{[](void* machine, bool enabled) { static_cast<Machine*>(machine)->set_a20(enabled); }, this});
    kbc_->attach(io_);
    cga_ = std::make_unique<Cga>(clock);
    cga_->attach(io_);
  }

  // What the guest finds after the BIOS, as on QEMU with SeaBIOS.
  pic_->bios_setup(kBiosMasterMask, kBiosSlaveMask);
  pit_->bios_setup();
  if (kbc_) kbc_->bios_setup();
  if (cga_) cga_->bios_setup();

}

void Machine::set_a20(bool enabled) {
  const uint64_t mask = enabled ? ~uint64_t{0} : ~(uint64_t{1} << 20);
  if (cpu_.a20_mask == mask) return;
  cpu_.a20_mask = mask;
  // Called from an OUT inside a trace: as for self-modifying code, the flush ends the trace
  // after this instruction, and every translation is made again through the new mask.
  cpu_.tlb.flush();
  code_cache_->flush(cpu_);
}

std::string Machine::screen_text() const {
  if (!cga_) return {};
  return cga_->screen_text(memory_.host(Cga::kTextMemory));
}

}  // namespace rw
