#include "journal/image_hasher.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "block/input_file.h"
#include "journal/recording_error.h"

namespace rw::journal {
namespace {

// Large reads: a multi-gigabyte image is read at the speed of the disk (or of the page
// cache), and XXH3 is much faster than either.
constexpr size_t kReadBytes = 4u << 20;

// The whole file as opened; nullopt on a read error (errno set) or when `cancel` is set.
std::optional<uint64_t> hash_contents(const block::InputFile& file, HashAlgorithm algorithm,
                                      const std::atomic<bool>* cancel) {
  posix_fadvise(file.fd(), 0, 0, POSIX_FADV_SEQUENTIAL);
  StreamHash h(algorithm);
  std::vector<uint8_t> buf(kReadBytes);
  // Only the size seen when opened: a file that grows meanwhile does not keep this going.
  for (uint64_t at = 0; at < file.size();) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return std::nullopt;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), file.size() - at));
    if (!file.read_at(at, buf.data(), n)) return std::nullopt;
    h.update(buf.data(), n);
    at += n;
  }
  return h.digest();
}

// What says that a file changed between two looks at it.
struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  bool operator==(const Identity& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

Identity identity(const struct stat& st) { return Identity{st.st_dev, st.st_ino, st.st_size, st.st_mtim}; }

}  // namespace

uint64_t hash_file(const std::string& path, HashAlgorithm algorithm) {
  std::string problem;
  std::optional<block::InputFile> file = block::InputFile::open(path, block::FileKinds::kRegularOrBlockDevice, problem);
  if (!file) throw RecordingError(path + ": " + problem);
  std::optional<uint64_t> hash = hash_contents(*file, algorithm, nullptr);
  if (!hash) throw RecordingError(path + ": read error while hashing");
  return *hash;
}

ImageHasher::ImageHasher(std::vector<ImageInfo> images) : images_(std::move(images)), thread_([this] { run(); }) {}

ImageHasher::~ImageHasher() {
  cancel_.store(true, std::memory_order_relaxed);
  if (thread_.joinable()) thread_.join();
}

const std::vector<ImageHash>& ImageHasher::wait() {
  if (thread_.joinable()) thread_.join();
  return hashes_;
}

void ImageHasher::run() {
  for (size_t i = 0; i < images_.size() && i < kMaxImages; ++i) {
    const ImageInfo& image = images_[i];
    if (image.path.empty()) continue;
    const std::string what = fmt::format("{} image {}", i == 0 ? "guest" : "disk", image.path);
    const std::string unchecked = "the recording holds no hash of it, and a replay cannot check it";
    ImageHash out{static_cast<uint8_t>(i), image.size, 0};
    std::string problem;
    std::optional<block::InputFile> file =
        block::InputFile::open(image.path, block::FileKinds::kRegularOrBlockDevice, problem);
    struct stat before {};
    if (!file || fstat(file->fd(), &before) != 0) {
      problems_.push_back(fmt::format("the {} could not be hashed ({}): {}", what, file ? "cannot stat" : problem,
                                      unchecked));
      hashes_.push_back(out);
      continue;
    }
    out.size = file->size();
    const std::optional<uint64_t> hash = hash_contents(*file, HashAlgorithm::kXxh3, &cancel_);
    if (cancel_.load(std::memory_order_relaxed)) return;
    struct stat after {};
    const bool same = out.size == image.size && stat(image.path.c_str(), &after) == 0 &&
                      identity(before) == identity(after);
    if (!hash) {
      problems_.push_back(fmt::format("the {} could not be hashed (read error): {}", what, unchecked));
    } else if (!same) {
      problems_.push_back(fmt::format("the {} changed while it was being hashed (its size, modification time or file "
                                      "changed): {}",
                                      what, unchecked));
    } else {
      out.hash = *hash;
    }
    hashes_.push_back(out);
  }
  ready_.store(true, std::memory_order_release);
}

}  // namespace rw::journal
