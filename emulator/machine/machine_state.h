// The whole machine state as a value: what snapshots and time travel restore.
//
// Machine::save_state() captures it, Machine::restore_state() puts it back exactly: the
// CPU's architectural state (not its caches), every device's registers and internal state,
// the scheduler's timer deadlines, the disks' overlays and requests in flight, and guest
// memory as the list of pages that differ from zero.
//
// Host-side things are not part of it: the serial output FILE and output already written,
// observers, host I/O threads, debugger breakpoints. A live machine can be saved at any
// boundary (host threads touch only their own jobs; a request in flight is saved as the
// guest issued it). Restoring is allowed only while no host I/O is outstanding (every
// ExternalSource of the machine idle, see Machine::host_io_idle()): a restored request in
// flight then has no host job and completes only through BlockDevice::deliver(), as in a
// replay. So time travel runs in replay (disks attached with host_io = false, inputs
// delivered from the journal).
//
// The value is self-contained and can be restored into any Machine of the same
// configuration (memory size, disks at the same positions with the same sizes).
//
// State digests (journal/state_hash.h) hash the CPU and device parts from the same
// description (Machine::cpu_state_words, Machine::device_states): what a digest checks is
// exactly what a snapshot restores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rw {

struct MachineState {
  static constexpr uint64_t kPageSize = 4096;

  uint64_t icount = 0;        // the CPU's instruction count: when this state was taken
  uint64_t memory_bytes = 0;  // the machine's RAM size
  // CPU, devices, scheduler deadlines, disks: a cereal binary archive (machine_state.cpp).
  std::string cpu;
  std::string devices;
  // Guest memory: the page numbers (ascending) of every page that is not all zero, and
  // their contents, kPageSize bytes each, in the same order. Every other page is zero.
  // Without memory (Machine::save_state(false), for incremental snapshots that keep pages
  // themselves: snapshots/), both are empty and restoring leaves memory alone.
  bool memory_included = true;
  std::vector<uint64_t> pages;
  std::vector<uint8_t> page_data;
  // The disks' overlays are in `devices`, unless left out with memory (save_state(false)):
  // then restoring leaves them alone too, for the snapshot store to set.
  bool overlays_included = true;

  // Host memory the value takes, roughly.
  size_t bytes() const { return cpu.size() + devices.size() + pages.size() * 8 + page_data.size(); }
  bool operator==(const MachineState&) const = default;
};

}  // namespace rw
