// What the session tests share: the guests and disk images of the build, temporary files,
// and the LiveSpec every test starts from.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "session/session.h"

namespace rw::session::test_support {

inline const std::string kGuestDir = REWIND_TEST_GUEST_DIR;
inline const std::string kDiskDir = REWIND_TEST_DISK_DIR;

// A file in the temporary directory, removed when it goes.
struct TempFile {
  explicit TempFile(const std::string& name)
      : path((std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()))).string()) {}
  ~TempFile() { std::filesystem::remove(path); }
  std::string path;
};

// A live run of a guest of the build: 32 MiB, no serial output or input, a fixed clock.
inline LiveSpec live_spec(const std::string& elf, const std::string& append = "") {
  LiveSpec spec;
  spec.guest = kGuestDir + "/" + elf;
  spec.append = append;
  spec.memory_bytes = 32ull << 20;
  spec.serial_out = nullptr;
  spec.serial_in = "none";
  spec.host_time_unix_seconds = 1'700'000'000;
  return spec;
}

}  // namespace rw::session::test_support
