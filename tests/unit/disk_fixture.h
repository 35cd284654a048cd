// Temporary raw images with the make-disk-image pattern, for block layer and ATA tests.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace rw::test {

// The first 16 bytes of each sector say "RWDISK", the seed and the LBA; the rest is derived from both.
inline std::vector<uint8_t> pattern_sector(uint16_t seed, uint64_t lba) {
  std::vector<uint8_t> s(512);
  std::memcpy(s.data(), "RWDISK", 6);
  std::memcpy(s.data() + 6, &seed, 2);
  std::memcpy(s.data() + 8, &lba, 8);
  for (size_t i = 16; i < 512; ++i) s[i] = static_cast<uint8_t>(lba * 31 + i * 7 + seed);
  return s;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rewind-disk-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // A pattern image of `sectors` sectors.
  std::string image(const std::string& name, uint64_t sectors, uint16_t seed = 1) const {
    std::ofstream out(file(name), std::ios::binary);
    for (uint64_t lba = 0; lba < sectors; ++lba) {
      auto s = pattern_sector(seed, lba);
      out.write(reinterpret_cast<const char*>(s.data()), 512);
    }
    return file(name);
  }
  std::string raw(const std::string& name, size_t bytes) const {
    std::ofstream out(file(name), std::ios::binary);
    std::string zeros(bytes, '\0');
    out.write(zeros.data(), static_cast<std::streamsize>(bytes));
    return file(name);
  }

 private:
  std::string path_;
};

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace rw::test
