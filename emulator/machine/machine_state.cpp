// Machine::save_state and Machine::restore_state (see machine_state.h). CPU fields are read
// and written here directly; devices serialize themselves (their serialize() members).
#include "machine/machine_state.h"

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/vector.hpp>

#include <array>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "block/disks.h"
#include "cpu/code_cache.h"
#include "cpu/debug.h"
#include "cpu/operands.h"
#include "devices/ata.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/reset_control.h"
#include "devices/rtc_cmos.h"
#include "devices/uart16550.h"
#include "machine/machine.h"

namespace cereal {

template <class Archive>
void serialize(Archive& ar, rw::cpu::Segment& s) {
  ar(s.selector, s.base, s.limit, s.attr);
}
template <class Archive>
void serialize(Archive& ar, rw::cpu::TableRegister& t) {
  ar(t.base, t.limit);
}
template <class Archive>
void serialize(Archive& ar, rw::block::BlockDevice::Request& r) {
  ar(r.id, r.op, r.lba, r.count, r.data);
}
template <class Archive>
void serialize(Archive& ar, rw::block::BlockDevice::Snapshot& s) {
  ar(s.next_id, s.in_flight, s.overlay);
}

}  // namespace cereal

namespace rw {
namespace {

constexpr uint32_t kFormatVersion = 2;  // 2: without the loop's target

// The CPU's architectural state: everything in Cpu but caches, wiring and what the loop
// reports about its last stop. Lazy flags are materialized. Not the loop's `target` either:
// cpu::run() sets it on entry, and it depends on how a run was cut into slices, so two
// machines at the same instruction (a straight run, a restore and replay) would differ.
template <class Archive>
void cpu_fields(Archive& ar, cpu::Cpu& c, uint64_t& rflags) {
  ar(c.gpr, c.rip, c.next_rip, rflags, c.seg_base, c.lin_mask, c.icount, c.halted, c.intr);
  ar(c.seg, c.ldtr, c.tr, c.gdtr, c.idtr, c.cr0, c.cr2, c.cr3, c.cr4, c.cr8, c.dr);
  ar(c.efer, c.star, c.lstar, c.cstar, c.sfmask, c.kernel_gs_base, c.sysenter_cs, c.sysenter_esp, c.sysenter_eip,
     c.pat, c.tsc_aux, c.apic_base, c.tsc_offset, c.cpl, c.code_size, c.interrupt_shadow_until);
  ar(c.unimplemented_count, c.fault_chain, c.fault_chain_len, c.fault_rip);
}

bool page_is_zero(const uint8_t* p) {
  uint64_t acc = 0;
  for (size_t i = 0; i < MachineState::kPageSize; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  return acc == 0;
}

}  // namespace

MachineState Machine::save_state(bool with_memory) {
  MachineState s;
  s.icount = cpu_.icount;
  s.memory_bytes = memory_.size();
  {
    std::ostringstream os(std::ios::binary);
    {
      cereal::BinaryOutputArchive ar(os);
      uint64_t rflags = cpu::get_rflags(cpu_);
      ar(kFormatVersion);
      cpu_fields(ar, cpu_, rflags);
    }
    s.cpu = std::move(os).str();
  }
  {
    std::ostringstream os(std::ios::binary);
    {
      cereal::BinaryOutputArchive ar(os);
      ar(kFormatVersion, scheduler_.deadlines());
      for (int p = 0; p < block::Disks::kPositions; ++p) {
        block::BlockDevice* dev = disks_ ? disks_->device(p) : nullptr;
        const bool present = dev != nullptr;
        ar(present);
        if (present) ar(dev->sectors(), dev->snapshot(/*with_overlay=*/with_memory));
      }
      ar(*pic_, *pit_, *rtc_, *uart_, *reset_control_, *ata_);
    }
    s.devices = std::move(os).str();
  }
  s.memory_included = with_memory;
  s.overlays_included = with_memory;
  if (!with_memory) return s;
  for (uint64_t p = 0; p < memory_.page_count(); ++p) {
    if (memory_.page_write_epoch(p) == 0) continue;  // never written: zero
    const uint8_t* src = memory_.host(p * MachineState::kPageSize);
    if (!page_is_zero(src)) s.pages.push_back(p);
  }
  s.page_data.resize(s.pages.size() * MachineState::kPageSize);
  for (size_t i = 0; i < s.pages.size(); ++i)
    std::memcpy(s.page_data.data() + i * MachineState::kPageSize, memory_.host(s.pages[i] * MachineState::kPageSize),
                MachineState::kPageSize);
  return s;
}

void Machine::restore_state(const MachineState& s) {
  if (sources_busy())
    throw std::logic_error("Machine::restore_state: host I/O is outstanding (only an idle or replaying machine can be restored)");
  if (s.memory_bytes != memory_.size())
    throw std::invalid_argument("Machine::restore_state: the state is of a machine with a different memory size");
  if (s.page_data.size() != s.pages.size() * MachineState::kPageSize)
    throw std::invalid_argument("Machine::restore_state: malformed memory pages");

  // Check the configuration and parse the CPU, timers and disks before changing anything; only
  // a damaged device part (truncated archive) can leave the devices partly restored.
  cpu::Cpu c = cpu_;
  uint64_t rflags = 0;
  std::vector<uint64_t> deadlines;
  std::array<std::optional<block::BlockDevice::Snapshot>, block::Disks::kPositions> disk_states;
  try {
    std::istringstream is(s.cpu, std::ios::binary);
    cereal::BinaryInputArchive ar(is);
    uint32_t version = 0;
    ar(version);
    if (version != kFormatVersion) throw std::invalid_argument("Machine::restore_state: unknown state format");
    cpu_fields(ar, c, rflags);
  } catch (const cereal::Exception& e) {
    throw std::invalid_argument(std::string("Machine::restore_state: malformed CPU state: ") + e.what());
  }
  // The devices archive holds the configuration-dependent parts first (timers, disks), so
  // that a state of another configuration is rejected before any device changes.
  std::istringstream is(s.devices, std::ios::binary);
  cereal::BinaryInputArchive ar(is);
  try {
    uint32_t version = 0;
    ar(version);
    if (version != kFormatVersion) throw std::invalid_argument("Machine::restore_state: unknown state format");
    ar(deadlines);
    for (int p = 0; p < block::Disks::kPositions; ++p) {
      bool present = false;
      ar(present);
      block::BlockDevice* dev = disks_ ? disks_->device(p) : nullptr;
      if (present != (dev != nullptr))
        throw std::invalid_argument("Machine::restore_state: the state is of a machine with other disks");
      if (!present) continue;
      uint64_t sectors = 0;
      block::BlockDevice::Snapshot snap;
      ar(sectors, snap);
      if (sectors != dev->sectors())
        throw std::invalid_argument("Machine::restore_state: the state is of a machine with disks of other sizes");
      disk_states[p] = std::move(snap);
    }
  } catch (const cereal::Exception& e) {
    throw std::invalid_argument(std::string("Machine::restore_state: malformed device state: ") + e.what());
  }
  if (deadlines.size() != scheduler_.deadlines().size())
    throw std::invalid_argument("Machine::restore_state: the state is of a machine with other timers");
  for (size_t i = 0; i < s.pages.size(); ++i)
    if (s.pages[i] >= memory_.page_count() || (i > 0 && s.pages[i] <= s.pages[i - 1]))
      throw std::invalid_argument("Machine::restore_state: malformed memory pages");
  try {
    ar(*pic_, *pit_, *rtc_, *uart_, *reset_control_, *ata_);
  } catch (const cereal::Exception& e) {
    // Only a damaged state gets here (its layout was checked above).
    throw std::invalid_argument(std::string("Machine::restore_state: truncated device state: ") + e.what());
  }
  if (!scheduler_.restore_deadlines(deadlines))
    throw std::invalid_argument("Machine::restore_state: the state is of a machine with other timers");
  for (int p = 0; p < block::Disks::kPositions; ++p)
    if (disk_states[p]) disks_->device(p)->restore(*disk_states[p], s.overlays_included);

  // CPU: architectural state in, caches and wiring kept, stop state cleared.
  for (unsigned i = 0; i < 16; ++i) cpu_.gpr[i] = c.gpr[i];
  cpu_.gpr[cpu::kZeroReg] = 0;
  cpu_.rip = c.rip;
  cpu_.next_rip = c.next_rip;
  cpu::set_rflags(cpu_, rflags);
  std::memcpy(cpu_.seg_base, c.seg_base, sizeof cpu_.seg_base);
  cpu_.lin_mask = c.lin_mask;
  cpu_.icount = c.icount;
  cpu_.halted = c.halted;
  cpu_.intr = c.intr;
  for (int i = 0; i < 6; ++i) cpu_.seg[i] = c.seg[i];
  cpu_.ldtr = c.ldtr;
  cpu_.tr = c.tr;
  cpu_.gdtr = c.gdtr;
  cpu_.idtr = c.idtr;
  cpu_.cr0 = c.cr0;
  cpu_.cr2 = c.cr2;
  cpu_.cr3 = c.cr3;
  cpu_.cr4 = c.cr4;
  cpu_.cr8 = c.cr8;
  std::memcpy(cpu_.dr, c.dr, sizeof cpu_.dr);
  cpu_.efer = c.efer;
  cpu_.star = c.star;
  cpu_.lstar = c.lstar;
  cpu_.cstar = c.cstar;
  cpu_.sfmask = c.sfmask;
  cpu_.kernel_gs_base = c.kernel_gs_base;
  cpu_.sysenter_cs = c.sysenter_cs;
  cpu_.sysenter_esp = c.sysenter_esp;
  cpu_.sysenter_eip = c.sysenter_eip;
  cpu_.pat = c.pat;
  cpu_.tsc_aux = c.tsc_aux;
  cpu_.apic_base = c.apic_base;
  cpu_.tsc_offset = c.tsc_offset;
  cpu_.cpl = c.cpl;
  cpu_.code_size = c.code_size;
  cpu_.interrupt_shadow_until = c.interrupt_shadow_until;
  cpu_.unimplemented_count = c.unimplemented_count;
  std::memcpy(cpu_.fault_chain, c.fault_chain, sizeof cpu_.fault_chain);
  cpu_.fault_chain_len = c.fault_chain_len;
  cpu_.fault_rip = c.fault_rip;
  cpu_.delivered_at = ~uint64_t{0};  // states are saved at boundaries before their deliveries
  cpu_.stop_reason = cpu::StopReason::kNone;
  cpu_.stop_requested = false;
  pending_ = RunResult{};
  replan_ = false;

  // Memory: the saved pages, zero elsewhere. Pages that change are marked written.
  size_t next = 0;
  for (uint64_t p = 0; s.memory_included && p < memory_.page_count(); ++p) {
    uint8_t* dst = memory_.host(p * MachineState::kPageSize);
    if (next < s.pages.size() && s.pages[next] == p) {
      const uint8_t* src = s.page_data.data() + next * MachineState::kPageSize;
      ++next;
      if (std::memcmp(dst, src, MachineState::kPageSize) == 0) continue;
      std::memcpy(dst, src, MachineState::kPageSize);
      memory_.mark_page_written(p);
    } else if (memory_.page_write_epoch(p) != 0 && !page_is_zero(dst)) {
      std::memset(dst, 0, MachineState::kPageSize);
      memory_.mark_page_written(p);
    }
  }

  // Caches: nothing decoded or translated before survives.
  cpu_.tlb.set_user(cpu_.cpl == 3);
  cpu_.tlb.flush();
  code_cache_->flush(cpu_);
  if (debug_) cpu::debug_changed(cpu_);
}

}  // namespace rw
