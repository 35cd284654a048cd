// Machine::save_state and Machine::restore_state (see machine_state.h), and the words state
// digests hash. One description serves all three: the CPU's fields (cpu/cpu_state.h) and the
// device parts (visit_device_parts below, whose devices serialize themselves).
#include "machine/machine_state.h"

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/vector.hpp>

#include <array>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "block/disks.h"
#include "cpu/code_cache.h"
#include "cpu/cpu_state.h"
#include "cpu/debug.h"
#include "cpu/registers.h"
#include "devices/ata.h"
#include "devices/io_apic.h"
#include "devices/local_apic.h"
#include "devices/cga.h"
#include "devices/kbc8042.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/reset_control.h"
#include "devices/fpu_error.h"
#include "devices/rtc_cmos.h"
#include "devices/uart16550.h"
#include "machine/bounded_archive.h"
#include "machine/machine.h"
#include "machine/word_archive.h"

namespace rw::block {

template <class Archive>
void serialize(Archive& ar, BlockDevice::Request& r) {
  ar(cereal::make_nvp("id", r.id), cereal::make_nvp("op", r.op), cereal::make_nvp("lba", r.lba),
     cereal::make_nvp("count", r.count), cereal::make_nvp("data", r.data));
}
template <class Archive>
void serialize(Archive& ar, BlockDevice::Snapshot& s) {
  ar(cereal::make_nvp("next_id", s.next_id), cereal::make_nvp("in_flight", s.in_flight),
     cereal::make_nvp("overlay", s.overlay));
}

}  // namespace rw::block

namespace rw {

// The device state's parts that are not device objects: timer deadlines and disks. They
// depend on the configuration, so they come first in the archive: a state of another
// configuration is rejected before any device changes.
struct Machine::HeldDeviceParts {
  // A drive position: whether a disk is there, its size (both configuration: a state of
  // another is refused as soon as they are read, before anything that follows is parsed
  // as what it is not) and its overlay and requests in flight.
  struct Disk {
    block::BlockDevice* device = nullptr;  // not saved: this machine's disk there
    bool present = false;
    uint64_t sectors = 0;
    block::BlockDevice::Snapshot snapshot;
    template <class Archive>
    void serialize(Archive& ar) {
      ar(cereal::make_nvp("present", present));
      if (present != (device != nullptr))
        throw std::invalid_argument("Machine::restore_state: the state is of a machine with other disks");
      if (!present) return;
      ar(cereal::make_nvp("sectors", sectors));
      if (sectors != device->sectors())
        throw std::invalid_argument("Machine::restore_state: the state is of a machine with disks of other sizes");
      ar(cereal::make_nvp("snapshot", snapshot));
    }
  };
  std::vector<uint64_t> deadlines;  // the scheduler's, in timer order
  std::array<Disk, block::Disks::kPositions> disks;
};

template <class Visit>
void Machine::visit_device_parts(HeldDeviceParts& held, Visit&& visit) {
  static constexpr const char* kDiskNames[block::Disks::kPositions] = {"disk0", "disk1", "disk2", "disk3"};
  visit("timers", held.deadlines);
  for (int p = 0; p < block::Disks::kPositions; ++p) {
    held.disks[p].device = disks_ ? disks_->device(p) : nullptr;
    visit(kDiskNames[p], held.disks[p]);
  }
  visit("pic", *pic_);
  visit("local-apic", *lapic_);
  visit("io-apic", *ioapic_);
  visit("pit", *pit_);
  visit("rtc", *rtc_);
  visit("uart", *uart_);
  visit("reset-control", *reset_control_);
  visit("ata-primary", ata_->channel(0));
  visit("ata-secondary", ata_->channel(1));
  visit("kbc", *kbc_);
  visit("cga", *cga_);
  visit("fpu-error", *fpu_error_);
}

namespace {

// 2: without the loop's target; 3: named fields, no next_rip; 4: the local APIC, I/O APIC,
// kbc and cga parts; 5: the CPU's XMM registers, MXCSR, x87 state and XCR0, the fpu-error part.
constexpr uint32_t kFormatVersion = 5;

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

// Fills the parts a visit cannot take from device objects (the disks' overlays only
// `with_overlays`: incremental snapshots keep them themselves, snapshots/).
void Machine::hold_device_parts(HeldDeviceParts& held, bool with_overlays) {
  held.deadlines = scheduler_.deadlines();
  for (int p = 0; p < block::Disks::kPositions; ++p) {
    block::BlockDevice* dev = disks_ ? disks_->device(p) : nullptr;
    held.disks[p].present = dev != nullptr;
    if (dev) {
      held.disks[p].sectors = dev->sectors();
      held.disks[p].snapshot = dev->snapshot(with_overlays);
    }
  }
}

std::vector<uint64_t> Machine::cpu_state_words(std::vector<WordDescription>* described) {
  std::vector<uint64_t> words;
  WordArchive ar(words, described);
  uint64_t rflags = cpu::get_rflags(cpu_);
  cpu::architectural_state(ar, cpu_, rflags);
  return words;
}

const std::vector<std::string>& Machine::cpu_state_names() {
  static const std::vector<std::string> names = [] {
    std::vector<uint64_t> words;
    std::vector<WordDescription> described;
    WordArchive ar(words, &described);
    cpu::Cpu c;
    uint64_t rflags = 0;
    cpu::architectural_state(ar, c, rflags);
    std::vector<std::string> out;
    for (WordDescription& d : described) out.push_back(std::move(d.name));
    return out;
  }();
  return names;
}

std::vector<Machine::DeviceStateWords> Machine::device_states(std::vector<WordDescription>* described) {
  // Host I/O may be outstanding (a recording digests while disks work): a snapshot of a
  // block device then reads only what the CPU thread owns.
  HeldDeviceParts held;
  hold_device_parts(held, /*with_overlays=*/false);
  std::vector<DeviceStateWords> out;
  visit_device_parts(held, [&](const char* name, auto& part) {
    out.push_back({name, {}});
    WordArchive ar(out.back().words, described);
    ar(cereal::make_nvp(name, part));
  });
  return out;
}

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
      cpu::architectural_state(ar, cpu_, rflags);
    }
    s.cpu = std::move(os).str();
  }
  {
    std::ostringstream os(std::ios::binary);
    {
      cereal::BinaryOutputArchive ar(os);
      ar(kFormatVersion);
      HeldDeviceParts held;
      hold_device_parts(held, /*with_overlays=*/with_memory);
      visit_device_parts(held, [&](const char*, auto& part) { ar(part); });
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

std::string Machine::load_device_parts(const std::string& devices, HeldDeviceParts& held, bool check) {
  auto load = [&](auto& ar) {
    uint32_t version = 0;
    ar(version);
    if (version != kFormatVersion) throw std::invalid_argument("Machine::restore_state: unknown state format");
    visit_device_parts(held, [&](const char*, auto& part) {
      ar(part);
      using Part = std::decay_t<decltype(part)>;
      if constexpr (std::is_same_v<Part, std::vector<uint64_t>>) {
        if (part.size() != scheduler_.deadlines().size())
          throw std::invalid_argument("Machine::restore_state: the state is of a machine with other timers");
      }
    });
  };
  if (!check) {
    std::istringstream is(devices, std::ios::binary);
    cereal::BinaryInputArchive ar(is);
    load(ar);
    return {};
  }
  // A state from elsewhere: no container sized from a damaged count.
  BoundedBinaryInputArchive ar(devices);
  load(ar);
  for (const HeldDeviceParts::Disk& d : held.disks)
    if (d.present)
      if (std::string why = d.device->check(d.snapshot); !why.empty()) return "Machine::restore_state: disk: " + why;
  for (int c = 0; c < 2; ++c) {
    const std::array<const block::BlockDevice::Snapshot*, 2> units = {
        held.disks[2 * c].present ? &held.disks[2 * c].snapshot : nullptr,
        held.disks[2 * c + 1].present ? &held.disks[2 * c + 1].snapshot : nullptr};
    if (std::string why = ata_->channel(c).check_state(units); !why.empty()) return "Machine::restore_state: " + why;
  }
  for (const std::string& why : {pic_->check_state(), lapic_->check_state(), ioapic_->check_state(), pit_->check_state(),
                                  rtc_->check_state(), uart_->check_state(), kbc_->check_state(), cga_->check_state()})
    if (!why.empty()) return "Machine::restore_state: " + why;
  return {};
}

std::string Machine::check_state(const MachineState& s) {
  const MachineState now = save_state(/*with_memory=*/false);
  try {
    restore(s, /*check=*/true);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  const bool same_icount = cpu_.icount == s.icount;
  restore_state(now);
  if (!same_icount) return "Machine::restore_state: the CPU's instruction count is not the state's";
  return {};
}

void Machine::restore_state(const MachineState& s) { restore(s, /*check=*/false); }

void Machine::restore(const MachineState& s, bool check) {
  if (sources_busy())
    throw std::logic_error("Machine::restore_state: host I/O is outstanding (only an idle or replaying machine can be restored)");
  if (s.memory_bytes != memory_.size())
    throw std::invalid_argument("Machine::restore_state: the state is of a machine with a different memory size");
  if (s.page_data.size() != s.pages.size() * MachineState::kPageSize)
    throw std::invalid_argument("Machine::restore_state: malformed memory pages");

  // Check the configuration and parse the CPU before changing anything; only a damaged
  // device part (truncated archive) can leave the devices partly restored.
  auto load_cpu = [&](cpu::Cpu& c, uint64_t& rflags) {
    auto load = [&](auto& ar) {
      uint32_t version = 0;
      ar(version);
      if (version != kFormatVersion) throw std::invalid_argument("Machine::restore_state: unknown state format");
      cpu::architectural_state(ar, c, rflags);
    };
    try {
      if (check) {
        BoundedBinaryInputArchive ar(s.cpu);
        load(ar);
      } else {
        std::istringstream is(s.cpu, std::ios::binary);
        cereal::BinaryInputArchive ar(is);
        load(ar);
      }
    } catch (const cereal::Exception& e) {
      throw std::invalid_argument(std::string("Machine::restore_state: malformed CPU state: ") + e.what());
    }
  };
  {
    cpu::Cpu scratch;
    uint64_t rflags = 0;
    load_cpu(scratch, rflags);
    // From elsewhere: the fields the CPU indexes with or switches on, within their ranges.
    if (check && (scratch.cpl > 3 || static_cast<unsigned>(scratch.code_size) > static_cast<unsigned>(cpu::CodeSize::k64) ||
                  scratch.fault_chain_len > std::size(scratch.fault_chain)))
      throw std::invalid_argument("Machine::restore_state: a CPU state out of range (privilege level, code size or "
                                  "fault chain)");
  }
  for (size_t i = 0; i < s.pages.size(); ++i)
    if (s.pages[i] >= memory_.page_count() || (i > 0 && s.pages[i] <= s.pages[i - 1]))
      throw std::invalid_argument("Machine::restore_state: malformed memory pages");

  // Devices, in the order visit_device_parts gives: the timers and disks are checked against
  // this machine as they are read, before the first device object is. The device objects
  // load themselves; if that fails, or (`check`) what they loaded cannot be run from (an
  // index out of its buffer: a state from a damaged file), they get their state from before
  // back and nothing changed.
  const std::string devices_before = [&] {
    std::ostringstream os(std::ios::binary);
    {
      cereal::BinaryOutputArchive out(os);
      out(kFormatVersion);
      HeldDeviceParts now;
      hold_device_parts(now, /*with_overlays=*/false);
      visit_device_parts(now, [&](const char*, auto& part) { out(part); });
    }
    return std::move(os).str();
  }();
  HeldDeviceParts held;
  std::string problem;
  try {
    problem = load_device_parts(s.devices, held, check);
  } catch (const std::invalid_argument& e) {
    problem = e.what();
  } catch (const cereal::Exception& e) {
    problem = std::string("Machine::restore_state: malformed device state: ") + e.what();
  } catch (const std::bad_alloc&) {
    problem = "Machine::restore_state: malformed device state (a size beyond memory)";
  } catch (const std::length_error&) {
    problem = "Machine::restore_state: malformed device state (a size beyond memory)";
  }
  if (!problem.empty()) {
    HeldDeviceParts ignored;
    load_device_parts(devices_before, ignored, /*check=*/false);
    throw std::invalid_argument(problem);
  }
  scheduler_.restore_deadlines(held.deadlines);
  for (const HeldDeviceParts::Disk& d : held.disks)
    if (d.present) d.device->restore(d.snapshot, s.overlays_included);

  // CPU: the described fields in (the same bytes parsed again, into the machine's own CPU:
  // its caches and wiring stay), the stop state cleared.
  uint64_t rflags = 0;
  load_cpu(cpu_, rflags);
  cpu::set_rflags(cpu_, rflags);
  cpu_.next_rip = cpu_.rip;  // not state: each trace sets it
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

  // Caches: nothing decoded or translated before survives (the A20 gate is the 8042's state).
  cpu_.a20_mask = !kbc_ || kbc_->a20() ? ~uint64_t{0} : ~(uint64_t{1} << 20);
  cpu_.tlb.set_user(cpu_.cpl == 3);
  cpu_.tlb.flush();
  code_cache_->flush(cpu_);
  if (debug_) cpu::debug_changed(cpu_);
}

}  // namespace rw
