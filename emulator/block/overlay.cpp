#include "block/overlay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "block/input_file.h"

namespace rw::block {

void Overlay::write(uint64_t lba, uint32_t count, const uint8_t* data) {
  if (count == 0) return;
  for (uint32_t i = 0; i < count; ++i) std::memcpy(sectors_[lba + i].data(), data + size_t{i} * kSectorSize, kSectorSize);
  for (uint64_t g = lba / kGroupSectors; g <= (lba + count - 1) / kGroupSectors; ++g) mark_written(g);
}

void Overlay::mark_written(uint64_t group) {
  auto [it, first] = group_epoch_.try_emplace(group, epoch_);
  if (!first) {
    if (it->second == epoch_) return;  // the common case: written again in the same epoch
    by_epoch_.erase({it->second, group});
    it->second = epoch_;
  }
  by_epoch_.emplace(epoch_, group);
}

void Overlay::restore(std::map<uint64_t, Sector> sectors) {
  // Both maps are ordered: one walk finds the sectors that appear, vanish or change.
  auto a = sectors_.begin();
  auto b = sectors.begin();
  while (a != sectors_.end() || b != sectors.end()) {
    if (b == sectors.end() || (a != sectors_.end() && a->first < b->first)) {
      mark_written((a++)->first / kGroupSectors);
    } else if (a == sectors_.end() || b->first < a->first) {
      mark_written((b++)->first / kGroupSectors);
    } else {
      if (a->second != b->second) mark_written(a->first / kGroupSectors);
      ++a, ++b;
    }
  }
  sectors_ = std::move(sectors);
}

std::vector<uint64_t> Overlay::groups_written_since(uint32_t epoch) const {
  std::vector<uint64_t> out;
  for (auto it = by_epoch_.lower_bound({epoch, 0}); it != by_epoch_.end(); ++it) out.push_back(it->second);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint64_t> Overlay::groups() const {
  std::vector<uint64_t> out;
  for (const auto& entry : sectors_)
    if (out.empty() || out.back() != entry.first / kGroupSectors) out.push_back(entry.first / kGroupSectors);
  return out;
}

uint8_t Overlay::read_group(uint64_t group, uint8_t* out) const {
  uint8_t mask = 0;
  const uint64_t first = group * kGroupSectors;
  for (auto it = sectors_.lower_bound(first); it != sectors_.end() && it->first < first + kGroupSectors; ++it) {
    mask |= static_cast<uint8_t>(1u << (it->first - first));
    std::memcpy(out, it->second.data(), kSectorSize);
    out += kSectorSize;
  }
  return mask;
}

void Overlay::write_group(uint64_t group, uint8_t mask, const uint8_t* data) {
  const uint64_t first = group * kGroupSectors;
  for (uint32_t i = 0; i < kGroupSectors; ++i) {
    if (mask & (1u << i)) {
      std::memcpy(sectors_[first + i].data(), data, kSectorSize);
      data += kSectorSize;
    } else {
      sectors_.erase(first + i);
    }
  }
  mark_written(group);
}

void Overlay::apply(uint64_t lba, uint32_t count, uint8_t* buf) const {
  for (auto it = sectors_.lower_bound(lba); it != sectors_.end() && it->first < lba + count; ++it)
    std::memcpy(buf + (it->first - lba) * kSectorSize, it->second.data(), kSectorSize);
}

namespace {

bool write_all(int fd, const uint8_t* data, size_t len, off_t offset) {
  while (len > 0) {
    const ssize_t n = pwrite(fd, data, len, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    offset += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string disk_save_target_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return fmt::format("cannot stat: {}", std::strerror(errno));
    // A new file: its directory must exist, or the save fails after the whole run.
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return fmt::format("{} is not a directory", dir);
    return {};
  }
  // Saving renames a new file over the target: a device or FIFO there would be replaced.
  if (!S_ISREG(st.st_mode)) return fmt::format("is {}, not a regular file", file_type_name(st.st_mode));
  return {};
}

void write_back(const BaseImage& base, const Overlay& overlay) {
  if (overlay.sectors() == 0) return;
  // O_NONBLOCK: if the image was replaced by a FIFO meanwhile, fail (ENXIO) instead of waiting
  // for a reader; the type check refuses anything else that is not a disk.
  const int fd = ::open(base.path().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw ImageError(fmt::format("--disk-writeback {}: cannot open for writing: {}", base.path(), std::strerror(errno)));
  if (struct stat st {}; fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
    ::close(fd);
    throw ImageError(fmt::format("--disk-writeback {}: no longer a regular file or block device", base.path()));
  }
  for (const auto& [lba, sector] : overlay.contents()) {
    if (!write_all(fd, sector.data(), kSectorSize, static_cast<off_t>(lba * kSectorSize))) {
      const int err = errno;
      ::close(fd);
      throw ImageError(fmt::format("--disk-writeback {}: write failed: {}", base.path(), std::strerror(err)));
    }
  }
  const bool ok = fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) throw ImageError(fmt::format("--disk-writeback {}: fsync failed: {}", base.path(), std::strerror(err)));
}

void save_as(const BaseImage& base, const Overlay& overlay, const std::string& path) {
  const std::string tmp = path + ".rewind-tmp";
  std::string problem = disk_save_target_problem(path);
  if (!problem.empty()) throw ImageError(fmt::format("--disk-save {}: {}", path, problem));
  // A fresh file: whatever was at the temporary name (a FIFO, a link) is not opened.
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw ImageError(fmt::format("--disk-save {}: cannot create: {}", path, std::strerror(errno)));
  constexpr uint32_t kChunk = 2048;  // sectors: 1 MiB at a time
  std::vector<uint8_t> buf(size_t{kChunk} * kSectorSize);
  for (uint64_t lba = 0; lba < base.sectors() && problem.empty(); lba += kChunk) {
    const auto n = static_cast<uint32_t>(std::min<uint64_t>(kChunk, base.sectors() - lba));
    if (!base.read(lba, n, buf.data())) {
      problem = fmt::format("cannot read {}", base.path());
      break;
    }
    overlay.apply(lba, n, buf.data());
    if (!write_all(fd, buf.data(), size_t{n} * kSectorSize, static_cast<off_t>(lba * kSectorSize)))
      problem = fmt::format("write failed: {}", std::strerror(errno));
  }
  if (problem.empty() && fsync(fd) != 0) problem = fmt::format("fsync failed: {}", std::strerror(errno));
  ::close(fd);
  if (problem.empty() && std::rename(tmp.c_str(), path.c_str()) != 0)
    problem = fmt::format("cannot rename into place: {}", std::strerror(errno));
  if (!problem.empty()) {
    ::unlink(tmp.c_str());
    throw ImageError(fmt::format("--disk-save {}: {}", path, problem));
  }
}

}  // namespace rw::block
