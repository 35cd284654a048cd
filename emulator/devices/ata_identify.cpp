// IDENTIFY DEVICE data (ATA8-ACS table 45), for a PIO-only LBA48 disk.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "devices/ata.h"

namespace rw::ata {

namespace {

// ATA strings: two characters per word, the first in the high byte, padded with spaces.
void put_string(std::array<uint16_t, 256>& w, int first, int words, const char* text) {
  const size_t len = std::strlen(text);
  for (int i = 0; i < words; ++i) {
    const uint8_t hi = 2 * i < static_cast<int>(len) ? text[2 * i] : ' ';
    const uint8_t lo = 2 * i + 1 < static_cast<int>(len) ? text[2 * i + 1] : ' ';
    w[first + i] = static_cast<uint16_t>(hi << 8 | lo);
  }
}

}  // namespace

std::array<uint16_t, 256> identify_words(uint64_t sectors, int position, uint8_t multiple) {
  std::array<uint16_t, 256> w{};
  constexpr uint16_t heads = 16, sectors_per_track = 63;
  const uint64_t cylinders = std::clamp<uint64_t>(sectors / (heads * sectors_per_track), 1, 16383);
  const uint64_t chs_capacity = cylinders * heads * sectors_per_track;
  const uint64_t lba28 = std::min<uint64_t>(sectors, 0x0FFFFFFF);
  char serial[21];
  std::snprintf(serial, sizeof serial, "RW%05d", position + 1);

  w[0] = 0x0040;  // fixed disk, not removable
  w[1] = static_cast<uint16_t>(cylinders);
  w[3] = heads;
  w[6] = sectors_per_track;
  put_string(w, 10, 10, serial);
  put_string(w, 23, 4, "0.1");
  put_string(w, 27, 20, "REWIND HARDDISK");
  w[47] = 0x8000 | kMaxMultiple;  // READ/WRITE MULTIPLE: up to 16 sectors per DRQ block
  w[49] = 0x0A00;                 // LBA supported, IORDY supported (no DMA)
  w[50] = 0x4000;
  w[51] = 0x0200;                 // PIO mode 2 timing (obsolete field)
  w[53] = 0x0003;                 // words 54-58 and 64-70 valid
  w[54] = static_cast<uint16_t>(cylinders);
  w[55] = heads;
  w[56] = sectors_per_track;
  w[57] = static_cast<uint16_t>(chs_capacity);
  w[58] = static_cast<uint16_t>(chs_capacity >> 16);
  w[59] = multiple ? static_cast<uint16_t>(0x0100 | multiple) : 0;  // current multiple setting valid
  w[60] = static_cast<uint16_t>(lba28);
  w[61] = static_cast<uint16_t>(lba28 >> 16);
  w[64] = 0x0003;                 // PIO modes 3 and 4
  w[65] = w[66] = w[67] = w[68] = 120;
  w[80] = 0x00F0;                 // ATA/ATAPI-4 to -7
  w[81] = 0x0016;
  w[82] = 0x4000;                 // NOP command set
  w[83] = 0x7400;                 // valid; FLUSH CACHE EXT; FLUSH CACHE; 48-bit addresses
  w[84] = 0x4000;
  w[85] = 0x4000;
  w[86] = 0x3400;                 // enabled: FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses
  w[87] = 0x4000;
  w[93] = position % 2 == 0 ? 0x4009 : 0x4B00;  // hardware reset result (no cable detection)
  for (int i = 0; i < 4; ++i) w[100 + i] = static_cast<uint16_t>(sectors >> (16 * i));
  w[106] = 0x4000;                // 512-byte logical sectors, one per physical sector
  // Integrity word: signature A5h, then the checksum that makes all 512 bytes sum to 0.
  uint8_t sum = 0xA5;
  for (int i = 0; i < 255; ++i) sum = static_cast<uint8_t>(sum + (w[i] & 0xFF) + (w[i] >> 8));
  w[255] = static_cast<uint16_t>((static_cast<uint8_t>(-sum) << 8) | 0xA5);
  return w;
}

}  // namespace rw::ata
