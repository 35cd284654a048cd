// The vendor fixture (vendor_results.csv): a few fixed inputs for each row of the table
// "Undefined and vendor-dependent results" in docs/cpu.md, with the results that Intel
// and AMD hosts gave. Its test runs only the emulator, so it checks rewind against the
// table, and the recorded hosts against what docs/cpu.md says of each vendor, whatever
// the vendor of the machine running it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "encoder.h"
#include "forms.h"

namespace rw::cputest {

// One instruction with register operands (RAX RCX RDX RBX; every other GPR is zero).
struct VendorCase {
  std::string name;  // the fixture's key
  std::string row;   // the row of the table in docs/cpu.md
  Bytes bytes;
  unsigned count = 1;                              // instructions in `bytes`
  std::function<void(Regs&, unsigned k)> inputs;  // bias input k (counts, divisors)
  std::function<Check(const Regs& in)> check;      // what the SDM defines
  std::function<void(const Regs& in, Regs& expect)> table;  // rewind's values for the rest
  // What each vendor's hosts do with the undefined parts (docs/cpu.md), where known:
  // true when `out` agrees. Empty: not documented.
  std::function<bool(const Regs& in, const Regs& out)> amd, intel;
};

const std::vector<VendorCase>& vendor_cases();

constexpr unsigned kInputsPerCase = 5;
// The registers the fixture records, in its column order.
constexpr int kFixtureRegs[] = {0, 1, 2, 3};  // RAX RCX RDX RBX

// The inputs of a case: the same on every host.
std::vector<Regs> vendor_case_inputs(const VendorCase& c);

// "amd", "intel" or "other", from CPUID.
std::string host_vendor();
std::string host_cpu_name();

// Runs every case natively and rewrites this host's vendor's rows of `path` (others kept).
bool capture_vendor_results(const std::string& path);

}  // namespace rw::cputest
