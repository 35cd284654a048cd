// Incremental machine snapshots: a chain in which each snapshot keeps the machine state
// without memory and disk overlays (CPU, devices, requests in flight:
// Machine::save_state(false)) and only the memory pages and overlay sector groups whose
// content changed since the snapshot before it, each lz4-compressed.
//
// Which pages changed is found from PhysicalMemory's write epochs, which sector groups
// changed from each Overlay's (both: written since the store last knew them exactly), then
// confirmed by comparing each with its version at the snapshot before: a page or sector
// written back to what it was costs nothing. Restoring snapshot k copies back only the
// pages and groups that can differ from what the machine holds now (those written since,
// and those that changed between the snapshot the machine last matched and k), and of
// those only the ones that do differ.
//
// Dropping a snapshot (thinning) moves what it stores that the next snapshot does not have
// into that next one, so every later snapshot still restores exactly. The first snapshot
// holds every non-zero page and the whole overlays. See docs/timeline.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "block/disks.h"
#include "machine/machine.h"
#include "machine/machine_state.h"

namespace rw::snapshots {

class SnapshotStore {
 public:
  // Adds a snapshot of `machine` as it is now, in instruction-count order: after the newest,
  // or between two (where a seek arrived). Returns its index. Only while the machine's host
  // I/O is idle (see Machine::save_state). A machine at the instruction count of an existing
  // snapshot replaces nothing: that one's index is returned.
  size_t take(Machine& machine);
  // Puts the machine back to snapshot `index` exactly.
  void restore(Machine& machine, size_t index);
  // Forgets snapshot `index`, neither the first nor the newest (std::invalid_argument).
  void drop(size_t index);

  // --- snapshots in recording files (snapshot_encoding.cpp, docs/recording-format.md) ---
  // Snapshot `index` as it is stored now, as bytes: its state and the blocks it stores
  // itself (those that changed since the snapshot before it; all of them for the first).
  std::string encode(size_t index) const;
  // Appends a snapshot from encode()'s bytes after the newest, its blocks taken as they are
  // (relative to the newest; the first: to all zero and empty), without recompressing
  // anything or touching the machine's state. Everything is checked first against
  // `machine`'s configuration (memory size, disks and their sizes) and the state against
  // what the machine can run from (Machine::check_state); std::invalid_argument (why, one
  // line) and nothing changed otherwise. The machine must be between runs.
  void append_encoded(std::string_view bytes, Machine& machine);

  size_t size() const { return snapshots_.size(); }
  uint64_t icount(size_t index) const { return snapshots_[index].state.icount; }
  // Host memory the snapshots take: compressed pages and sectors, their index, the rest of
  // the state.
  size_t bytes() const { return bytes_; }
  // The pages snapshot `index` itself stores (not those it shares with earlier ones).
  size_t pages_stored(size_t index) const { return snapshots_[index].parts[kMemoryPart].blocks.size(); }
  // The same for the disks (all of them): the sector groups (block::Overlay::kGroupSectors
  // sectors each) snapshot `index` stores, and the overlay sectors in them.
  size_t groups_stored(size_t index) const;
  size_t sectors_stored(size_t index) const;

 private:
  // A snapshot's parts: memory, then the overlay of each disk position.
  static constexpr size_t kMemoryPart = 0;
  static constexpr size_t kParts = 1 + block::Disks::kPositions;

  struct StoredBlock {
    uint64_t key;     // page number, or sector group
    uint32_t offset;  // into Part::data
    uint32_t length;  // compressed bytes
  };
  // What a snapshot stores of one part: blocks (pages, or sector groups as a mask byte and
  // the sectors it names) in ascending key order, compressed back to back.
  struct Part {
    std::vector<StoredBlock> blocks;
    std::string data;
    size_t bytes() const { return blocks.size() * sizeof(StoredBlock) + data.size(); }
  };
  struct Snapshot {
    MachineState state;  // without memory and overlays
    std::array<Part, kParts> parts;
    size_t bytes() const;
  };
  // A block's content (not compressed).
  struct Content {
    const uint8_t* data;
    size_t length;
    bool operator==(const Content& o) const;
  };

  // The block's content in the machine now: in memory itself, or read into `buf`.
  static Content current(Machine& machine, size_t part, uint64_t key, uint8_t* buf);
  // Makes the machine's block hold `content`.
  static void put(Machine& machine, size_t part, uint64_t key, Content content);
  // The overlay of part `part` (null for memory and for disk positions without a disk).
  static block::Overlay* overlay(Machine& machine, size_t part);

  void add_block(Part& p, uint64_t key, Content content);
  void add_compressed(Part& p, uint64_t key, const char* data, uint32_t length);
  // `next` also takes the blocks of part `part` in `earlier` (sorted) it does not hold
  // itself, each added by `add_earlier`: what `next` becomes when the snapshot before it
  // changes (dropped or inserted).
  void merge_into(Snapshot& next, size_t part, const std::vector<StoredBlock>& earlier,
                  const std::function<void(Part&, const StoredBlock&)>& add_earlier);
  // The block's content as of snapshot `index`, decompressed into `buf` when a snapshot
  // holds it; else what it is where nothing was ever stored (a zero page, no sectors).
  Content content_at(size_t index, size_t part, uint64_t key, uint8_t* buf) const;
  static Content nothing(size_t part);
  // Blocks that may differ between what the machine holds now and snapshot `index` (none:
  // from all zero and empty), ascending, without repeats.
  std::vector<uint64_t> keys_that_may_differ(Machine& machine, size_t part, std::optional<size_t> index) const;
  // The machine now equals snapshot `index` (what is written from now on gets a newer epoch).
  void synced_with(Machine& machine, size_t index);

  std::vector<Snapshot> snapshots_;
  // The machine equals this snapshot but for what was written in or after `synced_epochs_`
  // (memory's, each overlay's); unset when the snapshot it last matched was dropped (then
  // every page ever written and every group in the overlays may differ).
  std::optional<size_t> synced_;
  std::array<uint32_t, kParts> synced_epochs_{};
  size_t bytes_ = 0;
};

}  // namespace rw::snapshots
