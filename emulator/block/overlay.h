// The guest's writes, kept in memory on top of the read-only base image. Later reads see
// them; nothing reaches the image file unless the user asks for it (write_back, save_as).
// Touched only on the CPU thread: at completion delivery, and by state restores between
// runs. Part of the machine state.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "block/base_image.h"

namespace rw::block {

class Overlay {
 public:
  using Sector = std::array<uint8_t, kSectorSize>;
  // Incremental snapshots (snapshots/) track, store and compare the overlay in groups of
  // this many consecutive sectors (group g: sectors 8g to 8g+7): 4 KiB, as a memory page,
  // which lz4 compresses far better than one sector and is what guests usually write.
  static constexpr uint32_t kGroupSectors = 8;

  void write(uint64_t lba, uint32_t count, const uint8_t* data);
  // Replaces the sectors of buf (holding `count` sectors from `lba`) that the guest wrote.
  void apply(uint64_t lba, uint32_t count, uint8_t* buf) const;
  size_t sectors() const { return sectors_.size(); }
  const std::map<uint64_t, Sector>& contents() const { return sectors_; }
  // Machine state restore: the overlay becomes exactly `sectors` (the groups that change
  // count as written).
  void restore(std::map<uint64_t, Sector> sectors);

  // Write tracking, as PhysicalMemory's write epochs: each group remembers the epoch of
  // its last write, so what changed since an epoch is found at the cost of what changed,
  // not of the overlay's size. Bookkeeping only, not part of the machine state.
  uint32_t new_write_epoch() { return ++epoch_; }
  // The groups written in or after `epoch`, ascending.
  std::vector<uint64_t> groups_written_since(uint32_t epoch) const;
  // Every group holding a sector, ascending (costs the overlay's size).
  std::vector<uint64_t> groups() const;
  // The sectors of `group` held: bit i of the result is set for sector 8 * group + i, and
  // their contents are stored to `out` back to back (room for kGroupSectors sectors).
  uint8_t read_group(uint64_t group, uint8_t* out) const;
  // Makes `group` hold exactly the sectors of `mask`, contents back to back in `data`
  // (a snapshot restore); the group counts as written.
  void write_group(uint64_t group, uint8_t mask, const uint8_t* data);

 private:
  void mark_written(uint64_t group);

  std::map<uint64_t, Sector> sectors_;  // ordered: write-back goes front to back
  uint32_t epoch_ = 1;
  std::unordered_map<uint64_t, uint32_t> group_epoch_;  // every group ever written: its last epoch
  std::set<std::pair<uint32_t, uint64_t>> by_epoch_;     // the same as (epoch, group), for the search
};

// Writes the overlay into the image file itself. Throws ImageError.
void write_back(const BaseImage& base, const Overlay& overlay);
// Writes base + overlay to a new file `path` (replaced atomically). Throws ImageError.
// `path` must name a regular file or a new file in an existing directory.
void save_as(const BaseImage& base, const Overlay& overlay, const std::string& path);
// Why `path` cannot be a --disk-save target (empty: it can), checked before the guest runs
// so that a bad target is refused up front rather than after the whole run.
std::string disk_save_target_problem(const std::string& path);

}  // namespace rw::block
