// The guest's writes, kept in memory on top of the read-only base image. Later reads see
// them; nothing reaches the image file unless the user asks for it (write_back, save_as).
// Touched only on the CPU thread, at completion delivery. Part of the machine state.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "block/base_image.h"

namespace rw::block {

class Overlay {
 public:
  using Sector = std::array<uint8_t, kSectorSize>;

  void write(uint64_t lba, uint32_t count, const uint8_t* data);
  // Replaces the sectors of buf (holding `count` sectors from `lba`) that the guest wrote.
  void apply(uint64_t lba, uint32_t count, uint8_t* buf) const;
  size_t sectors() const { return sectors_.size(); }
  const std::map<uint64_t, Sector>& contents() const { return sectors_; }
  // Machine state restore: the overlay becomes exactly `sectors`.
  void restore(std::map<uint64_t, Sector> sectors) { sectors_ = std::move(sectors); }

 private:
  std::map<uint64_t, Sector> sectors_;  // ordered: write-back goes front to back
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
