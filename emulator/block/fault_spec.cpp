#include "block/fault_spec.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace rw::block {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t parse_number(std::string_view text, std::string_view key) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    throw std::invalid_argument(fmt::format("--io-faults: bad number '{}' for {}", text, key));
  return value;
}

}  // namespace

FaultSpec::Decision FaultSpec::decide(int device, uint32_t request_id, bool is_write) const {
  const uint64_t r = splitmix64(seed ^ splitmix64((uint64_t(device) << 32) | request_id));
  Decision d{min_delay_us, false};
  if (max_delay_us > min_delay_us) d.delay_us += static_cast<uint32_t>((r & 0xFFFFFFFF) % (max_delay_us - min_delay_us + 1));
  const bool may_fail = is_write ? fail_writes : fail_reads;
  d.fail = may_fail && fail_percent > 0 && ((r >> 32) % 100) < fail_percent;
  return d;
}

FaultSpec parse_fault_spec(const std::string& text) {
  FaultSpec spec;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      throw std::invalid_argument(fmt::format("--io-faults: '{}' is not KEY=VALUE (keys: seed, delay, fail, ops)", item));
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "seed") {
      spec.seed = parse_number(value, key);
    } else if (key == "delay") {
      const size_t dash = value.find('-');
      const uint64_t lo = dash == std::string_view::npos ? 0 : parse_number(value.substr(0, dash), key);
      const uint64_t hi = parse_number(dash == std::string_view::npos ? value : value.substr(dash + 1), key);
      if (lo > hi || hi > 10'000'000)
        throw std::invalid_argument(fmt::format("--io-faults: delay '{}' must be MAX or MIN-MAX microseconds, at most 10 s", value));
      spec.min_delay_us = static_cast<uint32_t>(lo);
      spec.max_delay_us = static_cast<uint32_t>(hi);
    } else if (key == "fail") {
      const std::string_view digits = !value.empty() && value.back() == '%' ? value.substr(0, value.size() - 1) : value;
      const uint64_t p = parse_number(digits, key);
      if (p > 100) throw std::invalid_argument(fmt::format("--io-faults: fail '{}' is more than 100%", value));
      spec.fail_percent = static_cast<uint32_t>(p);
    } else if (key == "ops") {
      if (value == "read") spec.fail_writes = false, spec.fail_reads = true;
      else if (value == "write") spec.fail_reads = false, spec.fail_writes = true;
      else if (value == "all") spec.fail_reads = spec.fail_writes = true;
      else throw std::invalid_argument(fmt::format("--io-faults: ops '{}' must be read, write or all", value));
    } else {
      throw std::invalid_argument(fmt::format("--io-faults: unknown key '{}' (keys: seed, delay, fail, ops)", key));
    }
  }
  return spec;
}

}  // namespace rw::block
