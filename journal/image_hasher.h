// Hashing the guest and disk images a recording names: at once for a replay's check, and
// beside the run for `rewind record`, which must not wait seconds for a multi-gigabyte disk
// before the guest starts. The recording writer takes the result when it is ready (a 'HASH'
// chunk), or waits for it before the end record.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "journal/checksum.h"
#include "journal/recording_format.h"

namespace rw::journal {

// Hash of a whole file (a regular file or block device); throws RecordingError, with the
// reason, if it cannot be read.
uint64_t hash_file(const std::string& path, HashAlgorithm algorithm);

class ImageHasher {
 public:
  // Starts hashing `images` (XXH3) on a thread of its own: image 0 is the first, and an
  // empty path is skipped. `size` is what the header says; an image found with another
  // size, or whose size, modification time or identity changes while it is read, gets hash
  // 0 and a problem saying so.
  explicit ImageHasher(std::vector<ImageInfo> images);
  // Stops the thread at its next read and waits for it.
  ~ImageHasher();
  ImageHasher(const ImageHasher&) = delete;
  ImageHasher& operator=(const ImageHasher&) = delete;

  // Whether the hashes are known (never blocks).
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Waits until they are; one per image named, in image order.
  const std::vector<ImageHash>& wait();
  // After wait(): the images that could not be hashed, one line each, for the user.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void run();
  std::vector<ImageInfo> images_;
  std::vector<ImageHash> hashes_;
  std::vector<std::string> problems_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> cancel_{false};
  std::thread thread_;  // last: started when everything above is ready
};

}  // namespace rw::journal
