// The Multiboot v1 loader (emulator/loader) on arbitrary images: ELF32, ELF64 and the a.out
// kludge. An image either boots or is refused with a LoadError; a plan never points
// outside the image, and what is loaded lies inside guest memory.
#include <memory>
#include <span>
#include <string>

#include "fuzz_check.h"
#include "loader/load_error.h"
#include "loader/load_plan.h"
#include "loader/multiboot_header.h"
#include "loader/multiboot_loader.h"
#include "memory/physical_memory.h"

namespace {

// Small, so that "does not fit" is easy to reach; the smallest --memory rewind accepts.
constexpr uint64_t kGuestMemoryBytes = 2u << 20;

void check_plan(const rw::loader::LoadPlan& plan, std::span<const uint8_t> image) {
  for (const rw::loader::LoadSegment& s : plan.segments) {
    FUZZ_CHECK(s.file_offset <= image.size() && s.file_size <= image.size() - s.file_offset);
    FUZZ_CHECK(s.file_size <= s.mem_size);
  }
  FUZZ_CHECK(plan.low <= plan.high);
}

// The planners on their own: they promise checked segments even when the loader would go
// on to refuse the image for another reason.
void check_planners(std::span<const uint8_t> image) {
  try {
    if (rw::loader::is_elf(image)) check_plan(rw::loader::plan_elf(image), image);
    if (auto header = rw::loader::find_multiboot_header(image); header && header->has_addresses)
      check_plan(rw::loader::plan_aout_kludge(image, *header), image);
  } catch (const rw::LoadError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One guest memory for every input: mapping and zeroing it each time would be most of
  // the work. The loader must not care what an earlier image left there.
  static auto memory = std::make_unique<rw::PhysicalMemory>(kGuestMemoryBytes);
  const std::span<const uint8_t> image(data, size);
  check_planners(image);
  try {
    const rw::loader::BootImage boot = rw::loader::load_multiboot(*memory, image, "fuzz.elf console=ttyS0");
    FUZZ_CHECK(boot.low <= boot.high && boot.high <= kGuestMemoryBytes);
    FUZZ_CHECK(boot.multiboot_info < kGuestMemoryBytes);
  } catch (const rw::LoadError& e) {
    FUZZ_CHECK(std::string(e.what()).find('\n') == std::string::npos);  // one line
  }
  return 0;
}
