#include "cli/disk_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <stdexcept>

#include "block/fault_spec.h"
#include "block/overlay.h"

namespace rw::cli {

namespace {
constexpr const char* kPositionNames[4] = {"primary master", "primary slave", "secondary master", "secondary slave"};
}

void add_disk_options(CLI::App& run, DiskOptions& options) {
  run.add_option("--disk", options.disks,
                 "Raw disk image at the next free ATA position (primary master, primary slave, secondary "
                 "master, secondary slave); repeatable. The image is never written unless asked");
  for (int i = 0; i < 4; ++i)
    run.add_option(fmt::format("--hd{}", char('a' + i)), options.hd[i],
                   fmt::format("Raw disk image as the {} (QEMU's -hd{})", kPositionNames[i], char('a' + i)));
  run.add_flag("--disk-writeback", options.spec.writeback,
               "At the end, write the guest's disk writes back into the image files");
  run.add_option("--disk-save", options.spec.save,
                 "At the end, save each disk (image plus the guest's writes) to FILE; repeat for the next disk");
  run.add_option("--io-faults", options.spec.io_faults,
                 "Host I/O fault injection: seed=N,delay=[MIN-]MAX (microseconds),fail=P%,ops=read|write|all");
}

void translate_qemu_disk_flags(std::vector<std::string>& args) {
  for (std::string& a : args)
    if (a == "-hda" || a == "-hdb" || a == "-hdc" || a == "-hdd") a = "-" + a;
}

void resolve_disk_options(DiskOptions& options) {
  std::array<std::string, 4>& positions = options.spec.positions;
  positions = options.hd;
  size_t next = 0;
  for (const std::string& image : options.disks) {
    while (next < 4 && !positions[next].empty()) ++next;
    if (next == 4) throw std::invalid_argument("more than four disks (--disk, -hda..-hdd)");
    positions[next++] = image;
  }
  size_t attached = 0;
  for (const std::string& p : positions) attached += !p.empty();
  if (options.spec.save.size() > attached)
    throw std::invalid_argument(fmt::format("{} --disk-save files for {} disks", options.spec.save.size(), attached));
  if (!options.spec.io_faults.empty()) block::parse_fault_spec(options.spec.io_faults);  // throws std::invalid_argument
}

std::string disk_save_problem(const DiskOptions& options) {
  for (const std::string& target : options.spec.save)
    if (std::string problem = block::disk_save_target_problem(target); !problem.empty())
      return fmt::format("--disk-save {}: {}", target, problem);
  return {};
}

}  // namespace rw::cli
