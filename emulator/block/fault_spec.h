// Fault injection for host disk I/O (--io-faults): slow, reordered and failing requests, so
// tests can show that the guest keeps working or sees a proper device error and that nothing
// is lost. Which requests fail and how long each takes follow from the seed and the request
// (device, id); when the completion reaches the guest still depends on the host.
#pragma once

#include <cstdint>
#include <string>

namespace rw::block {

struct FaultSpec {
  uint64_t seed = 0;
  uint32_t min_delay_us = 0;  // each host request sleeps a random time in [min, max]
  uint32_t max_delay_us = 0;
  uint32_t fail_percent = 0;  // this share of requests fails with EIO
  bool fail_reads = true;     // which requests may fail
  bool fail_writes = true;

  bool active() const { return max_delay_us > 0 || fail_percent > 0; }

  // What happens to one request.
  struct Decision {
    uint32_t delay_us;
    bool fail;
  };
  Decision decide(int device, uint32_t request_id, bool is_write) const;
};

// "seed=N,delay=MAX|MIN-MAX,fail=P[%],ops=read|write|all" (microseconds; every key optional).
// Throws std::invalid_argument with a one-line message.
FaultSpec parse_fault_spec(const std::string& text);

}  // namespace rw::block
