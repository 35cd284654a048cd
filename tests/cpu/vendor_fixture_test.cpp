// The vendor fixture (vendor_results.csv): rewind gives the table's values on every
// recorded input, agrees with the recorded hosts on everything the SDM defines, and
// each recorded host behaves as docs/cpu.md says its vendor does. Only the emulator
// runs, so the result does not depend on the vendor of this machine.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "vendor_cases.h"

namespace rw::cputest {
namespace {

struct FixtureRow {
  std::string vendor, name, bytes;
  Regs in, out;
  unsigned line = 0;
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) fields.push_back(f);
  return fields;
}

std::vector<FixtureRow> read_fixture() {
  std::ifstream in(REWIND_CPU_VENDOR_FIXTURE);
  EXPECT_TRUE(in) << "cannot read " << REWIND_CPU_VENDOR_FIXTURE;
  std::vector<FixtureRow> rows;
  std::string line;
  unsigned n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split(line);
    constexpr size_t kRegs = std::size(kFixtureRegs);
    if (f.size() != 3 + 2 * (kRegs + 1)) {
      ADD_FAILURE() << "line " << n << ": " << f.size() << " fields";
      continue;
    }
    FixtureRow row{f[0], f[1], f[2], {}, {}, n};
    for (size_t k = 0; k < kRegs; ++k) {
      row.in.gpr[kFixtureRegs[k]] = std::stoull(f[3 + k], nullptr, 16);
      row.out.gpr[kFixtureRegs[k]] = std::stoull(f[4 + kRegs + k], nullptr, 16);
    }
    row.in.rflags = std::stoull(f[3 + kRegs], nullptr, 16);
    row.out.rflags = std::stoull(f[4 + 2 * kRegs], nullptr, 16);
    rows.push_back(row);
  }
  return rows;
}

TEST(CpuVendorFixture, RewindFollowsTheTableAndHostsTheirVendor) {
  std::map<std::string, const VendorCase*> cases;
  for (const VendorCase& c : vendor_cases()) cases[c.name] = &c;
  std::map<std::string, unsigned> amd_rows;
  unsigned intel_rows = 0;
  EmuRunner emu;
  for (const FixtureRow& row : read_fixture()) {
    SCOPED_TRACE("vendor_results.csv line " + std::to_string(row.line) + ": " + row.vendor + " " + row.name);
    const auto it = cases.find(row.name);
    ASSERT_NE(it, cases.end()) << "no such case";
    const VendorCase& c = *it->second;
    EXPECT_EQ(row.bytes, hex_bytes(c.bytes)) << "the fixture was captured for other bytes";
    if (row.vendor == "amd") ++amd_rows[row.name];
    if (row.vendor == "intel") ++intel_rows;

    Regs eout;
    emu.run(emu.place(c.bytes), c.count, row.in, eout);
    const Check k = c.check(row.in);
    Regs expect = row.in;
    c.table(row.in, expect);
    const uint64_t undefined_flags = fl::kAll & ~k.flags;
    EXPECT_EQ(flags_string(eout.rflags & k.flags), flags_string(row.out.rflags & k.flags)) << "defined flags: rewind vs the host";
    EXPECT_EQ(flags_string(eout.rflags & undefined_flags), flags_string(expect.rflags & undefined_flags))
        << "undefined flags: rewind vs its table";
    for (int r : kFixtureRegs) {
      const uint64_t u = k.undefined[r];
      EXPECT_EQ(eout.gpr[r] & ~u, row.out.gpr[r] & ~u) << reg_name(r, 8) << ", defined bits: rewind vs the host";
      EXPECT_EQ(eout.gpr[r] & u, expect.gpr[r] & u) << reg_name(r, 8) << ", undefined bits: rewind vs its table";
    }
    const auto& vendor_says = row.vendor == "amd" ? c.amd : row.vendor == "intel" ? c.intel : nullptr;
    if (vendor_says) {
      EXPECT_TRUE(vendor_says(row.in, row.out)) << "the host does not do what docs/cpu.md says of " << row.vendor;
    }
  }
  // Every case was captured on AMD; Intel rows wait for an Intel host (docs/cpu.md).
  for (const VendorCase& c : vendor_cases()) EXPECT_EQ(amd_rows[c.name], kInputsPerCase) << c.name << ": AMD rows";
  EXPECT_GE(intel_rows, 1u);
}

// The fixture's AMD inputs are the generator's, so a capture on another host
// records results for the same inputs.
TEST(CpuVendorFixture, InputsAreTheGenerators) {
  std::map<std::string, std::vector<Regs>> recorded;
  for (const FixtureRow& row : read_fixture())
    if (row.vendor == "amd") recorded[row.name].push_back(row.in);
  for (const VendorCase& c : vendor_cases()) {
    const std::vector<Regs> want = vendor_case_inputs(c);
    const std::vector<Regs>& got = recorded[c.name];
    ASSERT_EQ(got.size(), want.size()) << c.name;
    for (size_t k = 0; k < want.size(); ++k) {
      for (int r : kFixtureRegs) EXPECT_EQ(got[k].gpr[r], want[k].gpr[r]) << c.name << " input " << k;
      EXPECT_EQ(got[k].rflags, want[k].rflags & (fl::kAll | 0x2)) << c.name << " input " << k;
    }
  }
}

}  // namespace
}  // namespace rw::cputest
