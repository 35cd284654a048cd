// Deterministic input mutations for the standalone fuzz driver: the same seed gives the same
// inputs on every machine, so a ctest run of a fuzz target is repeatable (unlike libFuzzer,
// which is coverage-guided and takes its seed from the clock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rw::fuzz {

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : state_(seed) {}

  // A copy of `input` with a few random edits, some of them taking bytes from `donor`
  // (another corpus input); never longer than `max_size`.
  std::vector<uint8_t> mutate(std::span<const uint8_t> input, std::span<const uint8_t> donor, size_t max_size);

  // Uniform in [0, n); 0 when n is 0.
  uint64_t below(uint64_t n);

 private:
  uint64_t next();
  void edit(std::vector<uint8_t>& data, std::span<const uint8_t> donor);
  void overwrite_number(std::vector<uint8_t>& data);

  uint64_t state_;
};

}  // namespace rw::fuzz
