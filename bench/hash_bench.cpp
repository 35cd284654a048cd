// Hash throughput (docs/PERFORMANCE.md, "Issue 11" / "Hashes"): the hand-written CRC-32 and
// ContentHash of format versions 2 and 3 against XXH3-64 (libxxhash, its x86 dispatcher), on
// one large buffer (image hashes, chunk checksums) and page by page (the 4 KiB pages of the
// state digests). Best of several passes, in MB/s (10^6 bytes per second).
//
//   build/bench/hash_bench [MiB]   (default 256)
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "journal/checksum.h"

namespace {

using rw::journal::HashAlgorithm;

constexpr int kPasses = 5;

// Best MB/s of kPasses runs of `hash` over `bytes`; `sink` keeps the results alive.
double best_mbps(size_t bytes, const std::function<uint64_t()>& hash, uint64_t& sink) {
  double best = 0;
  for (int i = 0; i < kPasses; ++i) {
    const auto start = std::chrono::steady_clock::now();
    sink ^= hash();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(bytes) / seconds / 1e6);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  std::vector<uint8_t> buf(mib << 20);
  std::mt19937_64 rng(11);
  for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
    const uint64_t w = rng();
    std::memcpy(buf.data() + i, &w, 8);
  }
  uint64_t sink = 0;
  const size_t n = buf.size();
  auto pages = [&](HashAlgorithm a) {
    uint64_t x = 0;
    for (size_t at = 0; at < n; at += 4096) x += rw::journal::hash64(a, buf.data() + at, 4096);
    return x;
  };
  struct Row {
    const char* name;
    std::function<uint64_t()> hash;
  };
  const Row rows[] = {
      {"legacy CRC-32 (chunk checksums, versions 2-3)", [&] { return rw::journal::legacy::crc32(buf.data(), n); }},
      {"legacy ContentHash (image hashes, versions 2-3)",
       [&] {
         rw::journal::legacy::ContentHash h;
         h.update(buf.data(), n);
         return h.digest();
       }},
      {"XXH3-64 (all hashes and checksums, version 4)", [&] { return rw::journal::xxh3_64(buf.data(), n); }},
      {"XXH3-64 streamed in 4 MiB reads (image hashes)",
       [&] {
         rw::journal::StreamHash h(HashAlgorithm::kXxh3);
         for (size_t at = 0; at < n; at += 4u << 20) h.update(buf.data() + at, std::min<size_t>(4u << 20, n - at));
         return h.digest();
       }},
      {"legacy ContentHash, 4 KiB pages (state digests, 2-3)", [&] { return pages(HashAlgorithm::kLegacy); }},
      {"XXH3-64, 4 KiB pages (state digests, 4)", [&] { return pages(HashAlgorithm::kXxh3); }},
  };
  fmt::print("| hash ({} MiB buffer, best of {}) | MB/s |\n|---|---:|\n", mib, kPasses);
  for (const Row& r : rows) fmt::print("| {} | {:.0f} |\n", r.name, best_mbps(n, r.hash, sink));
  return sink == 42 ? 1 : 0;  // never: keeps the hashes from being optimized away
}
