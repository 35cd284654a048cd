#include "driver/mutator.h"

#include <algorithm>
#include <cstring>

namespace rw::fuzz {

namespace {

// Bytes that mean something in the formats we fuzz: gdb packet framing and escapes, hex
// digits, separators, and the values at the edges of signed and unsigned bytes.
constexpr uint8_t kSignificantBytes[] = {'$', '#', '}', '*', '+', '-', 0x03, ',', ':', ';', '=', '0', '1', '7', '9',
                                         'a', 'f', 'F', 'g', 'm', 'M', 'X', 'Z', 'q', 'v', 0x00, 0x01, 0x7F, 0x80, 0xFF};

// Values that sit on boundaries: sizes, offsets and counts in binary headers go wrong there.
constexpr uint64_t kEdgeValues[] = {0,          1,          2,          0x7F,       0x80,
                                    0xFF,       0x100,      0x7FFF,     0x8000,     0xFFFF,
                                    0x10000,    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000,
                                    0x7FFFFFFFFFFFFFFF,     0x8000000000000000, ~uint64_t{0}, 0xFFFFFFFFFFFFF000};

}  // namespace

uint64_t Mutator::next() {
  // splitmix64: tiny, fast, and good enough to pick edits.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Mutator::below(uint64_t n) { return n == 0 ? 0 : next() % n; }

void Mutator::overwrite_number(std::vector<uint8_t>& data) {
  static constexpr size_t kWidths[] = {1, 2, 4, 8};
  const size_t width = kWidths[below(4)];
  if (data.size() < width) return;
  const size_t at = below(data.size() - width + 1);
  uint64_t value = kEdgeValues[below(std::size(kEdgeValues))];
  if (below(4) == 0) {  // near the value that is there: off-by-one and small overflows
    uint64_t old = 0;
    std::memcpy(&old, data.data() + at, width);
    value = old + below(33) - 16;
  }
  std::memcpy(data.data() + at, &value, width);  // little endian, as on x86
}

void Mutator::edit(std::vector<uint8_t>& data, std::span<const uint8_t> donor) {
  const size_t size = data.size();
  switch (below(10)) {
    case 0:  // flip one bit
      if (size) data[below(size)] ^= static_cast<uint8_t>(1u << below(8));
      break;
    case 1:  // any byte
      if (size) data[below(size)] = static_cast<uint8_t>(next());
      break;
    case 2:  // a byte that means something
      if (size) data[below(size)] = kSignificantBytes[below(std::size(kSignificantBytes))];
      break;
    case 3:
      overwrite_number(data);
      break;
    case 4: {  // insert random bytes
      const size_t at = below(size + 1), n = 1 + below(16);
      std::vector<uint8_t> bytes(n);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(next());
      data.insert(data.begin() + static_cast<long>(at), bytes.begin(), bytes.end());
      break;
    }
    case 5: {  // delete a range
      if (!size) break;
      const size_t at = below(size), n = 1 + below(std::min<size_t>(size - at, 64));
      data.erase(data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + n));
      break;
    }
    case 6: {  // repeat a range of the input elsewhere in it
      if (!size) break;
      const size_t from = below(size), n = 1 + below(std::min<size_t>(size - from, 64)), to = below(size + 1);
      std::vector<uint8_t> block(data.begin() + static_cast<long>(from), data.begin() + static_cast<long>(from + n));
      data.insert(data.begin() + static_cast<long>(to), block.begin(), block.end());
      break;
    }
    case 7:  // cut short
      data.resize(below(size + 1));
      break;
    case 8: {  // splice: our head, the donor's tail
      if (donor.empty()) break;
      const size_t keep = below(size + 1), from = below(donor.size());
      data.resize(keep);
      data.insert(data.end(), donor.begin() + static_cast<long>(from), donor.end());
      break;
    }
    case 9: {  // a piece of the donor inserted somewhere
      if (donor.empty()) break;
      const size_t from = below(donor.size()), n = 1 + below(std::min<size_t>(donor.size() - from, 128));
      const size_t at = below(size + 1);
      data.insert(data.begin() + static_cast<long>(at), donor.begin() + static_cast<long>(from),
                  donor.begin() + static_cast<long>(from + n));
      break;
    }
  }
}

std::vector<uint8_t> Mutator::mutate(std::span<const uint8_t> input, std::span<const uint8_t> donor, size_t max_size) {
  std::vector<uint8_t> data(input.begin(), input.end());
  // Mostly a few edits, sometimes many: small steps stay near valid inputs, big ones do not.
  const uint64_t edits = 1 + below(below(4) == 0 ? 32 : 4);
  for (uint64_t i = 0; i < edits; ++i) edit(data, donor);
  if (data.size() > max_size) data.resize(max_size);
  return data;
}

}  // namespace rw::fuzz
