#include "block/overlay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace rw::block {

void Overlay::write(uint64_t lba, uint32_t count, const uint8_t* data) {
  for (uint32_t i = 0; i < count; ++i) std::memcpy(sectors_[lba + i].data(), data + size_t{i} * kSectorSize, kSectorSize);
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

void write_back(const BaseImage& base, const Overlay& overlay) {
  if (overlay.sectors() == 0) return;
  const int fd = ::open(base.path().c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw ImageError(fmt::format("--disk-writeback {}: cannot open for writing: {}", base.path(), std::strerror(errno)));
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
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw ImageError(fmt::format("--disk-save {}: cannot create: {}", path, std::strerror(errno)));
  constexpr uint32_t kChunk = 2048;  // sectors: 1 MiB at a time
  std::vector<uint8_t> buf(size_t{kChunk} * kSectorSize);
  std::string problem;
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
