// The disk options of `rewind run`: which raw images sit at the four ATA positions, what
// happens to the guest's writes at the end, and host I/O fault injection.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rw {
class Machine;
}

namespace rw::cli {

struct DiskOptions {
  std::vector<std::string> disks;         // --disk IMG, in order: the next free position each
  std::array<std::string, 4> hd;          // -hda .. -hdd: a fixed position
  std::array<std::string, 4> positions;   // resolved: image path per position ("" = none)
  bool writeback = false;                 // --disk-writeback
  std::vector<std::string> save;          // --disk-save FILE, one per attached disk in position order
  std::string io_faults;                  // --io-faults SPEC
};

void add_disk_options(CLI::App& run, DiskOptions& options);
// QEMU spells them -hda..-hdd; CLI11 wants one-letter short options, so they become --hda..--hdd.
void translate_qemu_disk_flags(std::vector<std::string>& args);
// Fills `positions`; throws std::invalid_argument (a usage error) on conflicts or bad --io-faults.
void resolve_disk_options(DiskOptions& options);
// Empty if every --disk-save target is a regular file or a new file in an existing
// directory; else one line saying which is not (checked before the guest runs).
std::string disk_save_problem(const DiskOptions& options);

// Opens the images and attaches them: throws block::ImageError (one line) when an image is
// missing, unreadable or too small. Nothing is attached when no disk is given.
// Without `host_io` (replay), requests complete only when the journal says so.
void attach_disks(Machine& machine, const DiskOptions& options, bool host_io = true);
// At the end of the run: --disk-writeback / --disk-save, and with `stats` the disk figures.
// Returns false (after printing one "rewind: error:" line) if saving failed.
bool finish_disks(Machine& machine, const DiskOptions& options, bool stats);

}  // namespace rw::cli
