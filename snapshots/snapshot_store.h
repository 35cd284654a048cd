// Incremental machine snapshots: a chain in which each snapshot keeps the machine state
// without memory (CPU, devices, disks: Machine::save_state(false)) and only the memory pages
// whose content changed since the snapshot before it, each lz4-compressed.
//
// Which pages changed is found from PhysicalMemory's write epochs (pages written since the
// store last knew memory exactly), then confirmed by comparing each such page with its
// version at the snapshot before: a page written back to what it was costs nothing.
// Restoring snapshot k copies back only the pages that can differ from what the machine
// holds now (those written since, and those that changed between the snapshot memory last
// matched and k), and of those only the ones that do differ.
//
// Dropping a snapshot (thinning) moves its pages that the next snapshot does not have into
// that next one, so every later snapshot still restores exactly. The first snapshot holds
// every non-zero page. See docs/timeline.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

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

  size_t size() const { return snapshots_.size(); }
  uint64_t icount(size_t index) const { return snapshots_[index].state.icount; }
  // Host memory the snapshots take: compressed pages, their index, the rest of the state.
  size_t bytes() const { return bytes_; }
  // The pages snapshot `index` itself stores (not those it shares with earlier ones).
  size_t pages_stored(size_t index) const { return snapshots_[index].pages.size(); }

 private:
  struct StoredPage {
    uint64_t page;
    uint32_t offset;  // into Snapshot::data
    uint32_t length;  // compressed bytes
  };
  struct Snapshot {
    MachineState state;             // without memory
    std::vector<StoredPage> pages;  // ascending page numbers
    std::string data;               // the compressed pages back to back
    size_t bytes() const;
  };

  void add_page(Snapshot& s, uint64_t page, const uint8_t* content);
  // `next` also takes the pages of `earlier` (sorted) it does not hold itself, each added by
  // `add_earlier`: what `next` becomes when the snapshot before it changes (dropped or inserted).
  void merge_into(Snapshot& next, const std::vector<StoredPage>& earlier,
                  const std::function<void(Snapshot&, const StoredPage&)>& add_earlier);
  void add_compressed(Snapshot& s, uint64_t page, const char* data, uint32_t length);
  // The page's content as of snapshot `index` into `out`; false if it is zero there.
  bool content_at(size_t index, uint64_t page, uint8_t* out) const;
  // Pages that may differ between what memory holds now and snapshot `index`'s memory,
  // ascending, without repeats.
  std::vector<uint64_t> pages_that_may_differ(const Machine& machine, size_t index) const;
  // Memory now equals snapshot `index` (pages written from now on get a newer epoch).
  void synced_with(Machine& machine, size_t index);

  std::vector<Snapshot> snapshots_;
  // Memory equals this snapshot's but for pages written in or after `synced_epoch_`; unset
  // when the snapshot it last matched was dropped (then every page ever written may differ).
  std::optional<size_t> synced_;
  uint32_t synced_epoch_ = 0;
  size_t bytes_ = 0;
};

}  // namespace rw::snapshots
