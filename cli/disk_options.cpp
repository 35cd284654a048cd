#include "cli/disk_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <stdexcept>

#include "block/disks.h"
#include "block/overlay.h"
#include "machine/machine.h"

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
  run.add_flag("--disk-writeback", options.writeback,
               "At the end, write the guest's disk writes back into the image files");
  run.add_option("--disk-save", options.save,
                 "At the end, save each disk (image plus the guest's writes) to FILE; repeat for the next disk");
  run.add_option("--io-faults", options.io_faults,
                 "Host I/O fault injection: seed=N,delay=[MIN-]MAX (microseconds),fail=P%,ops=read|write|all");
}

void translate_qemu_disk_flags(std::vector<std::string>& args) {
  for (std::string& a : args)
    if (a == "-hda" || a == "-hdb" || a == "-hdc" || a == "-hdd") a = "-" + a;
}

void resolve_disk_options(DiskOptions& options) {
  options.positions = options.hd;
  size_t next = 0;
  for (const std::string& image : options.disks) {
    while (next < 4 && !options.positions[next].empty()) ++next;
    if (next == 4) throw std::invalid_argument("more than four disks (--disk, -hda..-hdd)");
    options.positions[next++] = image;
  }
  size_t attached = 0;
  for (const std::string& p : options.positions) attached += !p.empty();
  if (options.save.size() > attached)
    throw std::invalid_argument(fmt::format("{} --disk-save files for {} disks", options.save.size(), attached));
  if (!options.io_faults.empty()) block::parse_fault_spec(options.io_faults);  // throws std::invalid_argument
}

std::string disk_save_problem(const DiskOptions& options) {
  for (const std::string& target : options.save)
    if (std::string problem = block::disk_save_target_problem(target); !problem.empty())
      return fmt::format("--disk-save {}: {}", target, problem);
  return {};
}

void attach_disks(Machine& machine, const DiskOptions& options, bool host_io) {
  block::Disks::Images images;
  bool any = false;
  for (int i = 0; i < 4; ++i) {
    if (options.positions[i].empty()) continue;
    images[i] = block::BaseImage::open(options.positions[i]);
    any = true;
  }
  if (!any) return;
  const block::FaultSpec faults = options.io_faults.empty() ? block::FaultSpec{} : block::parse_fault_spec(options.io_faults);
  machine.attach_disks(std::make_unique<block::Disks>(machine.host_wakeup(), std::move(images), faults, host_io));
}

bool finish_disks(Machine& machine, const DiskOptions& options, bool stats) {
  block::Disks* disks = machine.disks();
  if (!disks) return true;
  if (stats) {
    const block::DiskStats& s = disks->source().stats();
    fmt::print(stderr, "rewind: stats: disk requests: {} ({} failed), sectors read: {}, written: {}\n", s.requests,
               s.failed, s.sectors_read, s.sectors_written);
    fmt::print(stderr, "rewind: stats: disk completion delay: mean {} instructions, max {}\n",
               s.requests ? s.delay_total / s.requests : 0, s.delay_max);
  }
  bool ok = true;
  size_t save_index = 0;
  for (int i = 0; i < block::Disks::kPositions; ++i) {
    const block::BlockDevice* d = disks->device(i);
    if (!d) continue;
    try {
      if (save_index < options.save.size()) block::save_as(d->base(), d->overlay(), options.save[save_index]);
      if (options.writeback) block::write_back(d->base(), d->overlay());
    } catch (const block::ImageError& e) {
      fmt::print(stderr, "rewind: error: {}\n", e.what());
      ok = false;
    }
    ++save_index;
  }
  return ok;
}

}  // namespace rw::cli
