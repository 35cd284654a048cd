// The interrupt controller, timer and clock of the PC, and how they hang together:
// devices -> Machine::set_irq -> PIC and I/O APIC; PIC -> (IMCR or LINT0) and I/O APIC -> local
// APIC -> CPU INTR; device timers -> Scheduler; the MP tables SeaBIOS would leave (mp_tables.h).

#include "cpu/cpuid.h"
#include "cpu/insn.h"
#include "devices/io_apic.h"
#include "devices/local_apic.h"
#include "cpu/code_cache.h"
#include "devices/cga.h"
#include "devices/fpu_error.h"
#include "devices/kbc8042.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc_cmos.h"
#include "devices/uart16550.h"
#include "machine/machine.h"
#include "machine/mp_tables.h"

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

bool Machine::isa_irq_can_interrupt(unsigned irq) const {
  return (pic_->can_interrupt(irq) && lapic_->pic_reaches_cpu()) ||
         (ioapic_->can_interrupt(IoApic::pin_of_isa_irq(irq)) && lapic_->software_enabled());
}

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
  // The local APIC owns INTR: its own interrupts, and the 8259's output when it gets through.
  lapic_ = std::make_unique<LocalApic>(cpu_.intr, cpu_.apic_base, scheduler_, clock);
  ioapic_ = std::make_unique<IoApic>(*lapic_);
  ioapic_->attach(mmio_);
  lapic_->connect_eoi(IoApic::eoi_thunk, ioapic_.get());
  pic_ = std::make_unique<Pic8259>(lapic_->pic_output());
  pic_->set_output_listener([](void* apic) { static_cast<LocalApic*>(apic)->pic_changed(); }, lapic_.get());
  pic_->attach(io_);
  lapic_->connect_pic(Pic8259::acknowledge_thunk, pic_.get());
  // Every ISA line goes to both the 8259s and the I/O APIC, as on a PC.
  attach_interrupt_controller(
      [](void* machine, unsigned irq, bool level) {
        auto* m = static_cast<Machine*>(machine);
        m->pic_->set_irq(irq, level);
        m->ioapic_->set_pin(IoApic::pin_of_isa_irq(irq), level);
      },
      this);
  cpu_.acknowledge_interrupt = LocalApic::acknowledge_thunk;
  cpu_.interrupt_controller = lapic_.get();

  pit_ = std::make_unique<Pit8254>(scheduler_, clock, irq_line(0));
  pit_->attach(io_);

  rtc_ = std::make_unique<RtcCmos>(scheduler_, clock, irq_line(8), *config_.rtc_base_unix_seconds);
  rtc_->attach(io_);
  rtc_->set_memory_size(config_.memory_bytes);

  uart_->connect(scheduler_, clock, irq_line(4));

  kbc_ = std::make_unique<Kbc8042>(
      stop_request_, irq_line(1),
      A20Line{[](void* machine, bool enabled) { static_cast<Machine*>(machine)->set_a20(enabled); }, this});
  kbc_->attach(io_);
  cga_ = std::make_unique<Cga>(clock);
  cga_->attach(io_);
  fpu_error_ = std::make_unique<FpuError>(irq_line(13));
  fpu_error_->attach(io_);
  cpu_.raise_ferr = FpuError::raise_thunk;
  cpu_.ferr_context = fpu_error_.get();

  // Last, so that the older devices' timers keep their order (ties fire in it).
  lapic_->attach(io_, mmio_);

  // What the guest finds after the BIOS, as on QEMU with SeaBIOS.
  pic_->bios_setup(kBiosMasterMask, kBiosSlaveMask);
  pit_->bios_setup();
  lapic_->bios_setup();
  ioapic_->bios_setup(kMpIoApicId);
  write_mp_tables(memory_, cpu::kCpuidSignature, cpu::kCpuidFeaturesEdx);
  kbc_->bios_setup();
  cga_->bios_setup();

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
  return cga_->screen_text(memory_.host(Cga::kTextMemory));
}

}  // namespace rw
