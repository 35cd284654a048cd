// The whole PC: RAM, port bus, devices and the CPU, wired together.
// Everything above emulator/ drives the guest through this class.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/external_source.h"
#include "core/io_bus.h"
#include "core/mmio_bus.h"
#include "core/irq_line.h"
#include "core/scheduler.h"
#include "core/stop_request.h"
#include "cpu/cpu.h"
#include "cpu/engine.h"
#include "cpu/debugger.h"
#include "machine/machine_state.h"
#include "memory/physical_memory.h"

namespace rw {

namespace cpu {
struct DebugState;
}
struct WordDescription;
class Uart16550;
class ResetControl;
class FpuError;
class Pic8259;
class LocalApic;
class IoApic;
class Pit8254;
class RtcCmos;
class AtaController;
class Kbc8042;
class Cga;
namespace block {
class Disks;
}

struct MachineConfig {
  uint64_t memory_bytes = 128ull << 20;
  FILE* serial_out = stdout;  // where COM1 output goes; not owned
  // The RTC's time at instruction 0, in Unix seconds: a non-deterministic input, so a
  // recording stores it and a replay sets it. Unset: kDefaultRtcBaseUnixSeconds, stored here
  // at construction (see Machine::config()); the machine itself never reads the host clock.
  std::optional<int64_t> rtc_base_unix_seconds;
  // What runs guest code (cpu/engine.h); unset: cpu::default_engine(). Either gives the
  // same machine, instruction for instruction.
  std::optional<cpu::Engine> engine;
};

// The devices the machine has, for `rewind info` and `--stats` (docs/devices.md).
inline constexpr const char* kPcDevices =
    "8259A PIC pair, 8254 PIT, CMOS RTC, 16550A UART (COM1), ATA (2 channels), local APIC (0xFEE00000), "
    "I/O APIC (0xFEC00000), IMCR, 8042 keyboard controller (A20, port 0x92), CGA text mode, x87 FERR# on IRQ 13 "
    "(port 0xF0), isa-debug-exit; MP tables";

inline constexpr int64_t kDefaultRtcBaseUnixSeconds = 946'684'800;  // 2000-01-01 00:00:00 UTC

// How a run ended, with what a user needs to know about it.
struct RunResult {
  cpu::StopReason reason = cpu::StopReason::kNone;
  int exit_code = 0;       // for kExit: (value << 1) | 1, as QEMU's isa-debug-exit
  std::string message;     // one line: why the machine stopped
};

class Machine {
 public:
  explicit Machine(const MachineConfig& config);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  PhysicalMemory& memory() { return memory_; }
  const PhysicalMemory& memory() const { return memory_; }
  IoBus& io() { return io_; }
  MmioBus& mmio() { return mmio_; }
  cpu::Cpu& cpu() { return cpu_; }
  const MachineConfig& config() const { return config_; }
  // The engine running guest code: the configured one, or the interpreter where the system
  // gives the translator no executable memory.
  cpu::Engine engine() const;
  // The guest time now, also in the middle of an instruction's I/O: the count of that
  // instruction (the clock devices read), not of its trace's start.
  uint64_t exact_icount() const;

  // Put the CPU in the state the Multiboot specification promises at the kernel entry.
  void enter_multiboot(uint32_t entry, uint32_t multiboot_info);

  // Boot a disk as a PC's BIOS hands over to it, with no BIOS behind (docs/devices.md,
  // "Booting from a disk"): `sector` (the first 512 bytes of the disk) at 0x7C00, real mode at
  // 0000:7C00 with DL = 0x80. The IVT points every vector at a stub in F000:E000: those of the
  // PIC's IRQs (0x08-0x0F, 0x70-0x77) acknowledge the PIC and return; any other (a BIOS
  // service such as int 13h, or an exception) stops the guest (kNoFirmware) saying which.
  static constexpr uint64_t kBootSectorAddress = 0x7C00;
  void enter_boot_sector(const uint8_t (&sector)[512]);

  // Run until the instruction count reaches `target` or the machine stops by itself.
  RunResult run(uint64_t target);

  // From any host thread: the run stops at the next poll (within kPollInterval instructions,
  // or at once from an idle wait), as at an instruction limit, and every later run() returns
  // at once. What Ctrl-C does to `rewind run` (cli/run_command.cpp).
  void request_host_stop() {
    host_stop_.store(true, std::memory_order_relaxed);
    wakeup_.notify();
  }
  bool host_stop_requested() const { return host_stop_.load(std::memory_order_relaxed); }

  // Devices report a guest-requested stop through these.
  void request_exit(uint32_t value);
  void request_reset(const char* how);
  // Something above the machine (a replay that diverged) stops the run with a reason.
  void request_stop(const std::string& message);
  // The guest reached a BIOS stub of a disk boot: vector `vector` has no BIOS behind it.
  void request_no_firmware(uint8_t vector);

  // The stop a device has asked for and run() has not reported yet (reason kNone if none).
  const RunResult& pending_stop() const { return pending_; }

  // How often the CPU's decoded code was thrown away (a statistic: debugger changes, code
  // overwritten, restores).
  uint64_t code_cache_flushes() const;

  // Writes out buffered serial output; run() does this whenever it returns.
  void flush_output();

  // --- time, interrupts, external events ---
  Scheduler& scheduler() { return scheduler_; }
  // Sources are polled at instruction boundaries: at least every kPollInterval
  // instructions, and whenever the CPU stops. Not owned.
  void add_external_source(ExternalSource* source) { sources_.push_back(source); }
  // No longer polled (a live run going into its past detaches its host inputs); adding it
  // again appends it, so a caller that cares about the order re-adds them in order.
  void remove_external_source(ExternalSource* source) { std::erase(sources_, source); }
  HostWakeup& host_wakeup() { return wakeup_; }
  static constexpr uint64_t kPollInterval = 1u << 16;
  // The interrupt controller registers itself here; devices raise their ISA IRQ lines
  // through set_irq() (a no-op until a controller is attached).
  using IrqSink = void (*)(void* controller, unsigned irq, bool level);
  void attach_interrupt_controller(IrqSink sink, void* controller) {
    irq_sink_ = sink;
    irq_controller_ = controller;
  }
  void set_irq(unsigned irq, bool level) {
    if (irq_sink_) irq_sink_(irq_controller_, irq, level);
  }

  // --- state digests (journal/state_hash.h) ---
  // The machine state as words, from the same description save_state() uses
  // (machine_state.cpp), so a digest covers exactly what a snapshot restores: the CPU's
  // architectural state, one word per named field (named by cpu_state_names()), and the
  // device state part by part (timers, disks, each device), each part named: what
  // save_state(false) saves, so without the disks' overlays (a digest hashes those as it
  // does memory, from their write epochs: journal/state_hash.cpp).
  // With `described`, each word's name and layout in the snapshot's archive is appended
  // there (machine/word_archive.h; device words are named "<part>.<field>").
  std::vector<uint64_t> cpu_state_words(std::vector<WordDescription>* described = nullptr);
  static const std::vector<std::string>& cpu_state_names();
  struct DeviceStateWords {
    const char* name;
    std::vector<uint64_t> words;
  };
  std::vector<DeviceStateWords> device_states(std::vector<WordDescription>* described = nullptr);

  // Start a new write epoch: from now on, the first write to each page marks it with
  // the new epoch (see PhysicalMemory::page_write_epoch). Returns the new epoch.
  uint32_t begin_write_epoch() {
    uint32_t e = memory_.new_write_epoch();
    cpu_.tlb.flush_writes();
    return e;
  }

  // --- whole machine state (machine/machine_state.h) ---
  // Capture and restore everything the guest can observe, exactly. Only between runs;
  // restoring only while host_io_idle() (else std::logic_error): see machine_state.h. restore_state
  // needs a machine of the same configuration (else std::invalid_argument), flushes the
  // CPU's TLB and code cache and marks the pages it changes as written (digests and write
  // epochs stay right); it clears a pending stop. Host-side things stay as they are.
  // Without memory, the disks' overlays are left out too (incremental snapshots keep both).
  MachineState save_state(bool with_memory = true);
  // Refuses (std::invalid_argument, nothing changed) a state that is not of this
  // configuration or does not parse. It trusts the values in it: states this rewind saved.
  void restore_state(const MachineState& state);
  // For a state from elsewhere (a recording file): empty if the machine can take it and run
  // from it (every index within its buffer, requests within the disks, counts a device
  // divides by not zero, the CPU's instruction count the state's); else why not. The machine
  // is unchanged (restored to it and back: between runs only, as restore_state).
  std::string check_state(const MachineState& state);
  // No ExternalSource has anything outstanding (no host I/O will arrive later).
  bool host_io_idle() const { return !sources_busy(); }

  // --- disks ---
  // The ATA controller is always there (guests probe it); this gives it its drives and
  // starts polling their host I/O completions. Call once, before running.
  void attach_disks(std::unique_ptr<block::Disks> disks);
  block::Disks* disks() { return disks_.get(); }
  AtaController& ata() { return *ata_; }

  // --- PC devices ---
  Uart16550& uart() { return *uart_; }
  Pic8259& pic() { return *pic_; }
  LocalApic& local_apic() { return *lapic_; }
  IoApic& io_apic() { return *ioapic_; }
  Pit8254& pit() { return *pit_; }
  RtcCmos& rtc() { return *rtc_; }
  Kbc8042& kbc() { return *kbc_; }
  Cga& cga() { return *cga_; }
  // The CGA's text screen now (Cga::screen_text): 25 lines.
  std::string screen_text() const;

  // Told of every exception and interrupt the CPU takes, once delivered (cpu/interrupts.h:
  // the journal's index of them). Empty: nobody, and a delivery costs one test.
  void set_event_taken_observer(std::function<void(const cpu::TakenEvent&)> observer);

  // --- debugger support (the gdb stub and the timeline drive these) ---
  // Breakpoints, watchpoints and exception stops (cpu/debugger.h); created and armed on
  // first use.
  cpu::Debugger debugger() { return cpu::Debugger(debug()); }
  // While disarmed, breakpoints and watchpoints stay set but stop nothing (a seek replays
  // through them). Returns whether they were armed. Arming again applies them afresh.
  bool set_debug_armed(bool armed);
  // The CPU's own side of it (cpu/debug.h), for the emulator and its tests; after changing
  // breakpoints or watchpoints there, call debug_changed().
  cpu::DebugState& debug();
  void debug_changed();
  // An exception or interrupt was delivered at the current instruction count: the state is
  // past the one a run to icount() leaves (which stops before a boundary's deliveries).
  bool past_delivery() const { return cpu_.delivered_at == cpu_.icount; }
  // Deliver the external interrupt the CPU takes at this boundary, if one is due (pending,
  // IF set, no interrupt shadow), and run nothing else: the machine is then at the handler's
  // first instruction, past the delivery. What `monitor catch io` stops at after a disk
  // completion or serial byte raised its IRQ. False, and nothing changed, if none is due.
  bool take_due_interrupt();
  void detach_debug();
  // Deliver the exception the CPU stopped before (a kException stop) to the guest now,
  // as the CPU would have: through the IDT, or to a triple fault (kShutdown).
  RunResult deliver_stopped_exception();
  // Guest-virtual memory through the current page tables, without side effects on
  // the guest (no accessed bits). False if any byte is not mapped to RAM.
  bool read_virtual(uint64_t addr, void* out, size_t len);
  bool write_virtual(uint64_t addr, const void* in, size_t len);
  // Where a guest-virtual range lies in RAM now: a piece per page it touches, in address
  // order. False (and `out` empty) if any byte is not mapped to RAM. A debugger's write is
  // journaled as these physical pieces, which do not depend on the page tables when replayed.
  struct PhysicalPiece {
    uint64_t phys;
    size_t offset;  // into the virtual range
    size_t len;
  };
  bool virtual_to_physical(uint64_t addr, size_t len, std::vector<PhysicalPiece>& out);
  // A debugger's write to RAM, as write_virtual does it: decoded code it overwrites is
  // thrown away. False (and nothing changed) if the range is not all RAM.
  bool write_physical(uint64_t phys, const void* in, size_t len);
  // [addr, addr + len) neither wraps past 2^64 nor, outside 64-bit mode, goes past 4 GiB.
  bool virtual_range_ok(uint64_t addr, size_t len) const;

 private:
  MachineConfig config_;
  PhysicalMemory memory_;
  IoBus io_;
  MmioBus mmio_;
  StopRequest stop_request_;  // for devices: request_exit and request_reset
  cpu::Cpu cpu_;
  std::unique_ptr<cpu::CodeCache> code_cache_;
  std::unique_ptr<Uart16550> uart_;
  std::function<void(const cpu::TakenEvent&)> event_taken_observer_;
  std::unique_ptr<ResetControl> reset_control_;
  std::unique_ptr<FpuError> fpu_error_;  // the x87's FERR# on IRQ 13, cleared by port 0xF0
  RunResult pending_;
  Scheduler scheduler_;
  std::vector<ExternalSource*> sources_;
  HostWakeup wakeup_;
  uint64_t wakeups_seen_ = 0;
  IrqSink irq_sink_ = nullptr;
  std::atomic<bool> host_stop_{false};
  // The device state's parts in archive order (machine_state.cpp): one list for save,
  // restore and digests. `held` holds the parts that are not device objects.
  struct HeldDeviceParts;
  template <class Visit>
  void visit_device_parts(HeldDeviceParts& held, Visit&& visit);
  void hold_device_parts(HeldDeviceParts& held, bool with_overlays);
  // Loads a device archive (MachineState::devices) into the device objects and `held`;
  // `check`: then says what keeps the machine from running from it (empty: nothing).
  std::string load_device_parts(const std::string& devices, HeldDeviceParts& held, bool check);
  void restore(const MachineState& state, bool check);
  void* irq_controller_ = nullptr;
  // An ISA interrupt line for a device: set_irq(irq, level).
  IrqLine irq_line(unsigned irq);
  // Timers due and external events ready at the current instruction boundary.
  void service_events();
  uint64_t next_event_deadline() const;
  uint64_t next_wake_deadline() const;
  bool sources_busy() const;
  std::unique_ptr<cpu::DebugState> debug_;
  // Interrupt controller, timer and clock (devices/pic8259, pit8254, rtc_cmos).
  std::unique_ptr<Pic8259> pic_;
  std::unique_ptr<LocalApic> lapic_;
  std::unique_ptr<IoApic> ioapic_;
  std::unique_ptr<Pit8254> pit_;
  std::unique_ptr<RtcCmos> rtc_;
  std::unique_ptr<Kbc8042> kbc_;
  std::unique_ptr<Cga> cga_;
  // The A20 gate changed (Kbc8042): the CPU's mask, its TLB and code cache.
  void set_a20(bool enabled);
  bool replan_ = false;  // a timer was armed inside the current CPU run (Scheduler::on_early_timer)
  void wire_pc_devices();
  // Whether ISA line `irq` could interrupt the CPU now (through the 8259s or the I/O APIC).
  bool isa_irq_can_interrupt(unsigned irq) const;
  // Last: destroyed first, so host I/O workers stop while the wakeup they ring still exists.
  std::unique_ptr<AtaController> ata_;
  std::unique_ptr<block::Disks> disks_;
};

}  // namespace rw
