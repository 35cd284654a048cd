// The disk options of `rewind run`: which raw images sit at the four ATA positions, what
// happens to the guest's writes at the end, and host I/O fault injection.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "session/session.h"

namespace CLI {
class App;
}

namespace rw::cli {

struct DiskOptions {
  std::vector<std::string> disks;  // --disk IMG, in order: the next free position each
  std::array<std::string, 4> hd;   // -hda .. -hdd: a fixed position
  // Resolved: the image per position, --disk-writeback, --disk-save FILE (one per attached
  // disk in position order), --io-faults SPEC.
  session::DiskSpec spec;
};

void add_disk_options(CLI::App& run, DiskOptions& options);
// QEMU spells them -hda..-hdd; CLI11 wants one-letter short options, so they become --hda..--hdd.
void translate_qemu_disk_flags(std::vector<std::string>& args);
// Fills `spec.positions`; throws std::invalid_argument (a usage error) on conflicts or bad --io-faults.
void resolve_disk_options(DiskOptions& options);
// Empty if every --disk-save target is a regular file or a new file in an existing
// directory; else one line saying which is not (checked before the guest runs).
std::string disk_save_problem(const DiskOptions& options);

}  // namespace rw::cli
